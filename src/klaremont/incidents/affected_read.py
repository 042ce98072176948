"""What the affected-customers part of a case shows, as plain values (page and API alike):
the people listed, the legal hold and its history, the reads seen on high alert, and the
customer notice with the tracker's decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from klaremont.incidents import affected, customer_notice, high_alert, service
from klaremont.incidents.states import DECISION_WORDS, OPEN_STATES, Decision, IncidentState

if TYPE_CHECKING:
    from klaremont.incidents.affected_models import IncidentHold
    from klaremont.incidents.models import Incident
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

ALERTS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class PersonView:
    """One affected customer: the account reference and whether they were told."""

    reference: str
    added_by: str
    added_at: datetime
    why: str
    notice_sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class HoldView:
    """A legal hold, in force or lifted."""

    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


@dataclass(frozen=True, slots=True)
class AlertView:
    """One read seen on high alert."""

    customer: str
    reader: str
    what: str
    read_at: datetime
    entry: int
    messages: int


@dataclass(frozen=True, slots=True)
class AffectedView:
    """The whole part, for one viewer."""

    reference: str
    open: bool
    dismissed: bool
    high_alert: bool
    can_manage: bool
    people: list[PersonView]
    hold: HoldView | None
    past_holds: list[HoldView]
    alerts: list[AlertView]
    notice_decision: str
    notice_decision_words: str
    notice_detail: str
    told: int
    waiting: int
    dpo: str | None
    consequences: str
    measures: str


def _hold(row: IncidentHold) -> HoldView:
    return HoldView(
        row.reason, row.placed_by, row.placed_at, row.lifted_by, row.lifted_at, row.lift_reason
    )


def view_of(uow: UnitOfWork, viewer: Viewer, incident: Incident) -> AffectedView:
    """The values (the caller found the incident through :func:`service.find`)."""
    people = affected.affected(uow, incident)
    holds = [_hold(row) for row in affected.holds(uow, incident)]
    current = next((h for h in holds if h.lifted_at is None), None)
    tracker = customer_notice.tracker_row(uow, incident)
    detail = ""
    if tracker.decision is Decision.NOT_REQUIRED:
        detail = tracker.reasoning or ""
    elif tracker.decision is Decision.SENT:
        detail = tracker.their_reference or ""
    told = sum(1 for p in people if p.notice_sent_at is not None)
    is_open = incident.state in OPEN_STATES
    return AffectedView(
        reference=incident.reference,
        open=is_open,
        dismissed=incident.state is IncidentState.DISMISSED,
        high_alert=is_open and bool(people),
        can_manage=viewer.manages,
        people=[
            PersonView(p.customer_reference, p.added_by, p.added_at, p.why or "", p.notice_sent_at)
            for p in people
        ],
        hold=current,
        past_holds=[h for h in holds if h.lifted_at is not None],
        alerts=[
            AlertView(
                a.customer_reference, a.reader, a.what, a.read_at, a.action_number, a.messages
            )
            for a in high_alert.alerts(uow, incident)[:ALERTS_SHOWN]
        ],
        notice_decision=tracker.decision.value,
        notice_decision_words=DECISION_WORDS[tracker.decision],
        notice_detail=detail,
        told=told,
        waiting=len(people) - told,
        dpo=customer_notice.dpo_name(uow) if viewer.manages and is_open else None,
        consequences=incident.consequences or "",
        measures=incident.measures_proposed or "",
    )


def find_view(uow: UnitOfWork, viewer: Viewer, reference: str) -> AffectedView:
    """Find the incident (404, audited, if the viewer may not see it) and its values."""
    return view_of(uow, viewer, service.find(uow, viewer, reference))
