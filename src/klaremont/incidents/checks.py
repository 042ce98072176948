"""Live checks of the incident-response clauses, one per clause, over the incident records.

Without a database (the policy trace run from settings alone) each says so and holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.incidents import log, notify
from klaremont.incidents.models import (
    Incident,
    IncidentActionEntry,
    IncidentNotification,
    IncidentSeat,
)
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.states import ActionKind, IncidentKind, IncidentState, Recipient
from klaremont.incidents.team import SEAT_WORDS, SEATS, propose
from klaremont.incidents.workflow import checklist_missing
from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    RelatedRecord,
    live_check,
    staff_links,
    with_database,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "incident records not inspected (no database in this context)"
INVESTIGATE_WITHIN = timedelta(hours=24)
AFTER_ACTIVATION = (IncidentState.CONTAINED, IncidentState.RECOVERED, IncidentState.CLOSED)
TEAM_HELD = (IncidentState.TEAM_ACTIVATED, *AFTER_ACTIVATION)


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


def _refs(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _links(references: list[str]) -> tuple[RelatedRecord, ...]:
    """The incidents named, each linking to its page."""
    return staff_links(references, "incidents")


def _directory_check(ctx: LiveContext, judge: Callable[[list[Any]], CheckResult]) -> CheckResult:
    def check(uow: UnitOfWork) -> CheckResult:
        directory = PluggedDirectory(uow)
        if not directory.plugged:
            return CheckResult(
                holds=False,
                detail="no staff directory is plugged in (extension point incident_staff)",
            )
        return judge(directory.active())

    return _run(ctx, check)


@live_check(
    "SP-ISO",
    reads="the staff directory: active members of staff holding the ISO role",
)
def an_iso_is_appointed(ctx: LiveContext) -> CheckResult:
    """At least one active member of staff holds the ISO role."""

    def judge(people: list[Any]) -> CheckResult:
        found = [p.username for p in people if "iso" in p.roles]
        if not found:
            return CheckResult(holds=False, detail="no active member of staff holds the ISO role")
        return CheckResult(holds=True, detail=f"{len(found)} active ISO(s)")

    return _directory_check(ctx, judge)


@live_check(
    "SP-IRT",
    reads="the staff directory: whether today's active staff can fill each of the five seats of"
    " a response team",
)
def a_team_can_be_deployed(ctx: LiveContext) -> CheckResult:
    """Every seat of a response team can be filled from today's staff."""

    def judge(people: list[Any]) -> CheckResult:
        empty = propose(people).empty
        if empty:
            seats = "; ".join(SEAT_WORDS[seat] for seat in empty)
            return CheckResult(holds=False, detail=f"no one on the staff can fill: {seats}")
        return CheckResult(holds=True, detail="all five seats of a response team can be filled")

    return _directory_check(ctx, judge)


@live_check(
    "SP-REPORT",
    reads="every incident: when its ISO alert went and the messages it sent",
)
def every_report_alerted_the_iso(ctx: LiveContext) -> CheckResult:
    """Every incident reported has its ISO alert recorded, reaching at least one ISO."""

    def check(uow: UnitOfWork) -> CheckResult:
        incidents = list(uow.session.scalars(select(Incident).order_by(Incident.reported_at)))
        silent = [
            i.reference for i in incidents if i.iso_alerted_at is None or not i.iso_alert_messages
        ]
        if silent:
            return CheckResult(
                holds=False,
                detail=f"no ISO alert reached anyone for {_refs(silent)}",
                records=_links(silent),
            )
        return CheckResult(
            holds=True, detail=f"{len(incidents)} incident(s), each alerted to the ISO"
        )

    return _run(ctx, check)


@live_check(
    "SP-IRP-INVESTIGATE",
    reads="incidents still in the state reported whose report is more than a day old",
)
def reports_are_investigated(ctx: LiveContext) -> CheckResult:
    """No incident waits in "reported" for more than a day."""

    def check(uow: UnitOfWork) -> CheckResult:
        since = uow.clock.now() - INVESTIGATE_WITHIN
        waiting = list(
            uow.session.scalars(
                select(Incident.reference).where(
                    Incident.state == IncidentState.REPORTED, Incident.reported_at < since
                )
            )
        )
        if waiting:
            return CheckResult(
                holds=False,
                detail=f"waiting over a day for the ISO: {_refs(waiting)}",
                records=_links(waiting),
            )
        return CheckResult(
            holds=True, detail="every report older than a day is being or was investigated"
        )

    return _run(ctx, check)


@live_check(
    "SP-IRP-LOSS",
    reads="incidents of the kind loss or theft, and the ISO alert messages of each",
)
def loss_and_theft_are_reported(ctx: LiveContext) -> CheckResult:
    """Loss or theft of records is a kind anyone can report, and each such report reached
    the ISO at once (an alert recorded with at least one message)."""

    def check(uow: UnitOfWork) -> CheckResult:
        found = list(
            uow.session.scalars(select(Incident).where(Incident.kind == IncidentKind.LOSS_OR_THEFT))
        )
        silent = [i.reference for i in found if not i.iso_alert_messages]
        if silent:
            return CheckResult(
                holds=False,
                detail=f"loss or theft not alerted to the ISO: {_refs(silent)}",
                records=_links(silent),
            )
        return CheckResult(
            holds=True,
            detail=f"loss or theft can be reported; {len(found)} on record, each alerted",
        )

    return _run(ctx, check)


@live_check(
    "SP-IRP-CONTAIN",
    reads="incidents contained, recovered or closed that have no containment entry in their "
    "action log",
)
def contained_incidents_logged_containment(ctx: LiveContext) -> CheckResult:
    """Every incident past containment has at least one containment action logged."""

    def check(uow: UnitOfWork) -> CheckResult:
        logged = select(IncidentActionEntry.incident_id).where(
            IncidentActionEntry.kind == ActionKind.CONTAINMENT
        )
        bare = list(
            uow.session.scalars(
                select(Incident.reference).where(
                    Incident.state.in_(AFTER_ACTIVATION), Incident.id.not_in(logged)
                )
            )
        )
        if bare:
            return CheckResult(
                holds=False,
                detail=f"no containment action logged: {_refs(bare)}",
                records=_links(bare),
            )
        return CheckResult(holds=True, detail="every contained incident logged its containment")

    return _run(ctx, check)


@live_check(
    "SP-IRP-EVIDENCE",
    reads="every incident's action log, each entry against its digest and its audit event; the "
    "preservation checklist of closed incidents",
)
def action_logs_are_intact(ctx: LiveContext) -> CheckResult:
    """Every action-log entry matches its digest and its audit event; closed incidents
    answered every preservation step."""

    def check(uow: UnitOfWork) -> CheckResult:
        incidents = list(uow.session.scalars(select(Incident)))
        checked, broken = log.verify(uow, {i.id: i.reference for i in incidents})
        by_id = {i.id: i.reference for i in incidents}
        if broken:
            where = [f"{by_id[b.incident_id]} entry {b.number}" for b in broken]
            return CheckResult(
                holds=False,
                detail=f"action log altered: {_refs(where)}",
                records=_links(sorted({by_id[b.incident_id] for b in broken})),
            )
        unanswered = [
            i.reference
            for i in incidents
            if i.state is IncidentState.CLOSED and checklist_missing(uow, i)
        ]
        if unanswered:
            return CheckResult(
                holds=False,
                detail=f"closed with preservation steps unanswered: {_refs(unanswered)}",
                records=_links(unanswered),
            )
        return CheckResult(holds=True, detail=f"{checked} action-log entries match the audit log")

    return _run(ctx, check)


@live_check(
    "SP-IRP-NOTIFY",
    reads="every incident's notification to the ICO: its deadline, its decision and the reason "
    "for any lateness",
)
def no_ico_deadline_missed_without_reason(ctx: LiveContext) -> CheckResult:
    """No ICO deadline passed undecided, and no late report without its reason."""

    def check(uow: UnitOfWork) -> CheckResult:
        now = uow.clock.now()
        rows = uow.session.execute(
            select(Incident, IncidentNotification)
            .join(IncidentNotification, IncidentNotification.incident_id == Incident.id)
            .where(IncidentNotification.recipient == Recipient.ICO)
        ).all()
        missed = [
            incident.reference
            for incident, row in rows
            if incident.state is not IncidentState.DISMISSED
            and notify.missed_without_reason(row, now)
        ]
        if missed:
            return CheckResult(
                holds=False,
                detail=f"ICO deadline missed with no reason: {_refs(missed)}",
                records=_links(missed),
            )
        return CheckResult(
            holds=True, detail=f"{len(rows)} incident(s): no ICO deadline missed without a reason"
        )

    return _run(ctx, check)


@live_check(
    "SP-IRT-MEMBERS",
    reads="incidents whose team was activated, and the seats filled on each team",
)
def activated_teams_are_complete(ctx: LiveContext) -> CheckResult:
    """Every activated team holds all five seats."""

    def check(uow: UnitOfWork) -> CheckResult:
        incomplete: list[str] = []
        activated = list(uow.session.scalars(select(Incident).where(Incident.state.in_(TEAM_HELD))))
        for incident in activated:
            seated = set(
                uow.session.scalars(
                    select(IncidentSeat.seat).where(IncidentSeat.incident_id == incident.id)
                )
            )
            if set(SEATS) - seated:
                incomplete.append(incident.reference)
        if incomplete:
            return CheckResult(
                holds=False,
                detail=f"team with an empty seat: {_refs(incomplete)}",
                records=_links(incomplete),
            )
        return CheckResult(
            holds=True, detail=f"{len(activated)} activated team(s), every seat filled"
        )

    return _run(ctx, check)
