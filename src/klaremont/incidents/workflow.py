"""The response plan's states and the guards on each move (SP-IRP-INVESTIGATE,
SP-IRP-CONTAIN, SP-IRP-NOTIFY, SP-IRT-MEMBERS).

reported -> investigating (the ISO's initial investigation) -> dismissed (reason recorded)
or team activated -> contained -> recovered -> closed. Only the ISO moves a case. A move
the plan does not allow, or one whose requirements are not met, is refused (409) naming
every missing thing, one :class:`~klaremont.errors.FieldProblem` each, and the refusal is
audited (``incident.transition_refused``):

- activating the team needs every seat appointed to an eligible, active person;
- containment needs at least one containment action in the log;
- closing needs every notification decided (sent, or not required with the reasoning; a
  phased ICO report completed), every preservation step answered, the lessons learned,
  each team member's written report (SP-IRT-REPORT), and whatever else
  :data:`CLOSING_CHECKS` adds.

A dismissed incident stays on record with its reason (Art. 33(5)); its undecided
notifications are marked not required with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select

from klaremont.audit.events import Outcome
from klaremont.detectors.free_text import optional
from klaremont.errors import Conflict, FieldProblem, PermissionDenied
from klaremont.incidents import log, reports, service
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.models import IncidentChecklistTick, IncidentSeat
from klaremont.incidents.states import (
    RECIPIENT_WORDS,
    STATE_WORDS,
    TRANSITIONS,
    ActionKind,
    ChecklistItem,
    Decision,
    IcoPhase,
    IncidentState,
    Recipient,
)
from klaremont.incidents.team import SEAT_WORDS, SEATS

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

REASON_MIN = 10
REASON_MAX = 2000
Missing = list[FieldProblem]


class TransitionRefused(Conflict):
    """The incident cannot make this move yet; ``problems`` name what is missing."""

    code = "incident-transition-refused"
    title: ClassVar[str] = "The incident cannot move yet"


def require_manager(viewer: Viewer, incident: Incident) -> None:
    """Only the ISO (``incidents:manage``) steers a case."""
    if not viewer.manages:
        raise PermissionDenied(
            f"Only the Information Security Officer may do this on {incident.reference}."
        )


def team_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """Seats with nobody appointed."""
    seated = set(
        uow.session.scalars(
            select(IncidentSeat.seat).where(IncidentSeat.incident_id == incident.id)
        )
    )
    return [
        FieldProblem(f"team.{seat.value}", f"{SEAT_WORDS[seat]}: nobody appointed")
        for seat in SEATS
        if seat not in seated
    ]


def containment_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """No containment action logged yet."""
    if log.count_of(uow, incident, ActionKind.CONTAINMENT):
        return []
    return [FieldProblem("containment_actions", "at least one containment action must be logged")]


def notifications_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """Notifications not decided, and an ICO report sent only in part."""
    missing: Missing = []
    for row in service.notifications(uow, incident):
        words = RECIPIENT_WORDS[row.recipient]
        if row.decision is Decision.PENDING:
            missing.append(
                FieldProblem(
                    f"notifications.{row.recipient.value}",
                    f"{words}: not decided (record it as sent, "
                    "or as not required with the reasoning)",
                )
            )
        elif row.recipient is Recipient.ICO and row.phase is IcoPhase.INITIAL:
            missing.append(
                FieldProblem(
                    "notifications.ico",
                    f"{words}: only an initial report was sent; record the complete report",
                )
            )
    return missing


def checklist_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """Preservation steps nobody answered."""
    answered = set(
        uow.session.scalars(
            select(IncidentChecklistTick.item).where(
                IncidentChecklistTick.incident_id == incident.id
            )
        )
    )
    return [
        FieldProblem(f"checklist.{item.value}", "preservation step not answered")
        for item in ChecklistItem
        if item not in answered
    ]


def lessons_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """No lessons-learned entry."""
    del uow
    if incident.lessons_learned:
        return []
    return [FieldProblem("lessons_learned", "the lessons learned must be recorded")]


def member_reports_missing(uow: UnitOfWork, incident: Incident) -> Missing:
    """SP-IRT-REPORT: each seat holder's written report (:func:`reports.missing`)."""
    return reports.missing(uow, incident)


#: What closing needs.
CLOSING_CHECKS: list[Callable[[UnitOfWork, Incident], Missing]] = [
    notifications_missing,
    checklist_missing,
    lessons_missing,
    member_reports_missing,
]


def requirements(
    uow: UnitOfWork, incident: Incident, to: IncidentState, reason: str | None
) -> Missing:
    """Everything missing before ``incident`` may move to ``to``."""
    if to is IncidentState.DISMISSED and (reason is None or len(reason) < REASON_MIN):
        return [
            FieldProblem(
                "reason", f"the reason it is not an incident ({REASON_MIN} characters at least)"
            )
        ]
    if to is IncidentState.TEAM_ACTIVATED:
        return team_missing(uow, incident)
    if to is IncidentState.CONTAINED:
        return containment_missing(uow, incident)
    if to is IncidentState.CLOSED:
        return [problem for check in CLOSING_CHECKS for problem in check(uow, incident)]
    return []


def refuse(
    uow: UnitOfWork, incident: Incident, to: IncidentState, missing: Missing
) -> TransitionRefused:
    """Audit the refusal (kept when the unit rolls back) and build the error to raise."""
    reference = incident.reference
    resource = log.resource_of(incident)
    fields = [problem.field for problem in missing]
    uow.keep_only_refusal(
        lambda: uow.audit(
            IncidentAction.TRANSITION_REFUSED,
            Outcome.FAILURE,
            resource=resource,
            details={"reference": reference, "to": to.value, "missing": fields},
        )
    )
    said = "; ".join(problem.rule for problem in missing)
    return TransitionRefused(
        f"{reference} cannot move to “{STATE_WORDS[to]}” yet: {said}.", problems=missing
    )


def move(
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    to: IncidentState,
    reason: str | None = None,
) -> Incident:
    """Move the case to ``to`` if the plan allows it and nothing is missing."""
    require_manager(viewer, incident)
    reason = optional("reason", reason, max_length=REASON_MAX)
    was = incident.state
    if to not in TRANSITIONS[was]:
        onward = ", ".join(f"“{STATE_WORDS[s]}”" for s in sorted(TRANSITIONS[was])) or "nowhere"
        problem = FieldProblem("to", f"the case is “{STATE_WORDS[was]}”: it can move to {onward}")
        raise refuse(uow, incident, to, [problem])
    missing = requirements(uow, incident, to, reason)
    if missing:
        raise refuse(uow, incident, to, missing)
    now = uow.clock.now()
    incident.state = to
    incident.state_changed_at = now
    if to is IncidentState.DISMISSED:
        incident.dismissed_reason = reason
        _not_required_after_dismissal(uow, incident, reason or "")
    if to is IncidentState.CLOSED:
        incident.closed_at = now
    text = f"Moved from “{STATE_WORDS[was]}” to “{STATE_WORDS[to]}”"
    log.append(uow, incident, ActionKind.DECISION, f"{text}: {reason}" if reason else f"{text}.")
    uow.audit(
        IncidentAction.STATE_CHANGED,
        resource=log.resource_of(incident),
        details={"reference": incident.reference, "from": was.value, "to": to.value},
    )
    return incident


def _not_required_after_dismissal(uow: UnitOfWork, incident: Incident, reason: str) -> None:
    now = uow.clock.now()
    by = (uow.actor.label or uow.actor.id)[:64]
    for row in service.notifications(uow, incident):
        if row.decision is Decision.PENDING:
            row.decision = Decision.NOT_REQUIRED
            row.reasoning = f"Dismissed after the initial investigation: {reason}"
            row.decided_by = by
            row.decided_at = now
    uow.session.flush()
