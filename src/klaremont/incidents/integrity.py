"""Everything ``klaremont incidents verify`` checks, in one place: the action logs, the
evidence files (each decrypted and re-hashed, the finding put on its chain of custody), the
custody chains and the members' written reports, each against its digest and its audit
event. The command prints :meth:`Integrity.lines` and fails when anything broke."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.incidents import custody, evidence, log, reports
from klaremont.incidents.casefile_models import FINDING_WORDS, Finding
from klaremont.incidents.models import Incident

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

DEFAULT_WHY = "routine verification (klaremont incidents verify)"


@dataclass
class Integrity:
    """What a verification found."""

    entries: int = 0
    files: int = 0
    custody_entries: int = 0
    report_entries: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing broke."""
        return not self.broken

    def lines(self) -> list[str]:
        """What to print: each problem, then the totals."""
        said = [f"BROKEN: {problem}" for problem in self.broken]
        verdict = "OK" if self.ok else "NOT OK"
        said.append(
            f"{verdict}: {self.entries} action-log entries, {self.files} evidence file(s) "
            f"re-hashed, {self.custody_entries} custody entries and {self.report_entries} "
            "member-report entries checked against the audit log"
        )
        return said


def verify_all(uow: UnitOfWork, why: str = DEFAULT_WHY) -> Integrity:
    """Check every incident's records; each evidence file's finding joins its custody."""
    incidents = {i.id: i for i in uow.session.scalars(select(Incident))}
    references = {key: incident.reference for key, incident in incidents.items()}
    found = Integrity()
    found.entries, broken_log = log.verify(uow, references)
    found.broken += [f"{references[b.incident_id]} entry {b.number}: {b.why}" for b in broken_log]
    found.custody_entries, broken_chain = custody.verify_chains(uow, references)
    found.broken += [
        f"{references[b.incident_id]} evidence {b.evidence}, custody entry {b.entry}: {b.why}"
        for b in broken_chain
    ]
    checked = evidence.verify_files(uow, incidents, why)
    found.files = len(checked)
    found.custody_entries += len(checked)  # the verifications just recorded
    found.broken += [
        f"{incident.reference} evidence {item.number} ({item.original_name}): "
        f"{FINDING_WORDS[result.finding]}: {result.note}"
        for incident, item, result in checked
        if result.finding is not Finding.INTACT
    ]
    found.report_entries, broken_reports = reports.verify(uow, references)
    found.broken += [
        f"{references[b.incident_id]} written report of {b.member}, entry {b.number}: {b.why}"
        for b in broken_reports
    ]
    return found
