"""Live checks of the case file: evidence files intact and in custody (SP-IRP-EVIDENCE) and a
written report from every member of every closed incident (SP-IRT-REPORT).

The evidence check is cheap on purpose (the trace may run often): each file is present, its
chain of custody matches the audit log, and its latest verification found it intact. The
full re-hash of every file is ``klaremont incidents verify``, whose findings this check
then reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.incidents import custody, evidence, reports
from klaremont.incidents.casefile_models import (
    CustodyHandling,
    Finding,
    IncidentCustody,
    IncidentEvidence,
)
from klaremont.incidents.checks import _refs, _run
from klaremont.incidents.models import Incident
from klaremont.incidents.states import IncidentState
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def _latest_findings(uow: UnitOfWork) -> dict[object, Finding | None]:
    latest: dict[object, Finding | None] = {}
    rows = uow.session.scalars(
        select(IncidentCustody)
        .where(IncidentCustody.handling == CustodyHandling.VERIFIED)
        .order_by(IncidentCustody.evidence_id, IncidentCustody.number)
    )
    for row in rows:
        latest[row.evidence_id] = row.finding
    return latest


@live_check(
    "SP-IRP-EVIDENCE",
    reads="every incident's evidence files on disk, their custody entries against the audit log, "
    "and each file's latest verification",
)
def evidence_files_are_intact_and_in_custody(ctx: LiveContext) -> CheckResult:
    """Every evidence file is on disk, its custody chain matches the audit log, and its
    latest verification found it intact."""

    def check(uow: UnitOfWork) -> CheckResult:
        references = {i.id: i.reference for i in uow.session.scalars(select(Incident))}
        checked, broken = custody.verify_chains(uow, references)
        problems = [
            f"{references[b.incident_id]} evidence {b.evidence} custody entry {b.entry}"
            for b in broken
        ]
        folder = evidence.directory(uow)
        latest = _latest_findings(uow)
        files = list(uow.session.scalars(select(IncidentEvidence)))
        for item in files:
            where = f"{references[item.incident_id]} evidence {item.number}"
            if not (folder / item.stored_as).is_file():
                problems.append(f"{where} is missing")
            elif latest.get(item.id) not in {None, Finding.INTACT}:
                problems.append(f"{where} failed its last verification")
        if problems:
            return CheckResult(holds=False, detail=f"evidence not intact: {_refs(problems)}")
        return CheckResult(
            holds=True,
            detail=f"{len(files)} evidence file(s) present, {checked} custody entries match "
            "the audit log",
        )

    return _run(ctx, check)


@live_check(
    "SP-IRT-REPORT",
    reads="closed incidents against each seat's written report, and every report entry against "
    "its digest and its audit event",
)
def closed_incidents_have_every_member_report(ctx: LiveContext) -> CheckResult:
    """Every closed incident has a written report from each seat's holder, and every report
    entry matches its digest and its audit event."""

    def check(uow: UnitOfWork) -> CheckResult:
        incidents = list(uow.session.scalars(select(Incident)))
        closed = [i for i in incidents if i.state is IncidentState.CLOSED]
        short = [i.reference for i in closed if reports.missing(uow, i)]
        references = {i.id: i.reference for i in incidents}
        checked, broken = reports.verify(uow, references)
        if short:
            return CheckResult(
                holds=False, detail=f"closed without every member's report: {_refs(short)}"
            )
        if broken:
            where = [f"{references[b.incident_id]} ({b.member}, entry {b.number})" for b in broken]
            return CheckResult(holds=False, detail=f"member report altered: {_refs(where)}")
        return CheckResult(
            holds=True,
            detail=f"{len(closed)} closed incident(s), each with every member's report; "
            f"{checked} report entries match the audit log",
        )

    return _run(ctx, check)
