"""Evidence files and their custody as plain values, for the API, the pages, the printable
timeline and the command line alike (never an ORM object, never a row id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from klaremont.incidents import clocks, custody, evidence
from klaremont.incidents.casefile_models import (
    FINDING_WORDS,
    HANDLING_WORDS,
    CustodyHandling,
    IncidentCustody,
)

if TYPE_CHECKING:
    from klaremont.incidents.casefile_models import IncidentEvidence
    from klaremont.incidents.models import Incident
    from klaremont.platform import UnitOfWork


@dataclass(frozen=True, slots=True)
class CustodyView:
    """One handling of a file."""

    number: int
    handling: str
    handling_words: str
    finding: str
    finding_words: str
    note: str
    why: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """One evidence file: what was recorded at intake, and its chain of custody."""

    number: int
    name: str
    size: int
    size_words: str
    sha256: str
    why: str
    added_by: str
    added_at: datetime
    last_check: str  # "intact on <when>: <note>", "ALTERED on ...", "" when never verified
    last_check_bad: bool
    custody: list[CustodyView] = field(default_factory=list)


def custody_view(entry: IncidentCustody) -> CustodyView:
    """One custody entry as plain values."""
    finding = entry.finding
    return CustodyView(
        number=entry.number,
        handling=entry.handling.value,
        handling_words=HANDLING_WORDS[entry.handling],
        finding=finding.value if finding else "",
        finding_words=FINDING_WORDS[finding] if finding else "",
        note=entry.note or "",
        why=entry.why,
        actor=entry.actor_name,
        at=entry.at,
    )


def evidence_view(uow: UnitOfWork, item: IncidentEvidence) -> EvidenceView:
    """One file with its whole chain of custody."""
    chain = [custody_view(entry) for entry in custody.chain_of(uow, item)]
    checks = [c for c in chain if c.handling == CustodyHandling.VERIFIED.value]
    last = checks[-1] if checks else None
    return EvidenceView(
        number=item.number,
        name=item.original_name,
        size=item.size,
        size_words=evidence.size_words(item.size),
        sha256=item.sha256,
        why=item.why,
        added_by=item.added_by,
        added_at=item.added_at,
        last_check=f"{last.finding_words} on {clocks.uk_short(last.at)}: {last.note}"
        if last
        else "",
        last_check_bad=bool(last and last.finding != "intact"),
        custody=chain,
    )


def manifest(uow: UnitOfWork, incident: Incident) -> list[EvidenceView]:
    """Every evidence file of the incident with its chain, in intake order."""
    return [evidence_view(uow, item) for item in evidence.items(uow, incident)]
