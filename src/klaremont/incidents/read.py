"""An incident as plain values, for the API, the pages and the command line alike.

Nothing here is an ORM object: a page drawn after its unit of work ended reads only these.
Times are UTC instants; the ``*_words`` fields are what a person reads (UK wall-clock time
with GMT or BST, durations in words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.incidents import appoint, clocks, log, notify, service, workflow
from klaremont.incidents.models import IncidentChecklistTick
from klaremont.incidents.states import (
    ACTION_WORDS,
    ANSWER_WORDS,
    CHECKLIST_WORDS,
    DECISION_WORDS,
    INVOLVEMENT_WORDS,
    KIND_WORDS,
    OPEN_STATES,
    RECIPIENT_WORDS,
    STATE_WORDS,
    TRANSITIONS,
    ChecklistItem,
    IcoPhase,
    IncidentState,
)
from klaremont.incidents.team import SEAT_WORDS, SEATS

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident, IncidentNotification
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork


@dataclass(frozen=True, slots=True)
class SeatView:
    """One seat and who holds it (``username`` empty when nobody is appointed)."""

    seat: str
    seat_words: str
    username: str = ""
    full_name: str = ""
    appointed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StepView:
    """One preservation step and its answer, if any."""

    item: str
    words: str
    answer: str = ""
    answer_words: str = ""
    note: str = ""
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoticeView:
    """One party on the notification tracker."""

    recipient: str
    words: str
    decision: str
    decision_words: str
    due_at: datetime | None
    due_words: str
    left_words: str
    overdue: bool
    sent_at: datetime | None
    their_reference: str
    reasoning: str
    late_reason: str
    initial_only: bool
    decided_by: str


@dataclass(frozen=True, slots=True)
class EntryView:
    """One action-log entry."""

    number: int
    kind: str
    kind_words: str
    text: str
    actor: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class RowView:
    """One incident in the register."""

    reference: str
    kind_words: str
    state: str
    state_words: str
    reported_at: datetime
    personal_data: str
    card_data: str
    open: bool
    overdue: list[str] = field(default_factory=list)  # "ICO overdue by 3 hours"
    next_due: str = ""  # the soonest undecided deadline, in words
    exercise: bool = False  # a test of the response plan


@dataclass(frozen=True, slots=True)
class CaseView:
    """The whole case as the case page shows it."""

    row: RowView
    kind: str
    summary: str
    systems: str
    noticed_at: datetime | None
    aware_at: datetime
    reporter: str
    iso_alerted_at: datetime | None
    iso_alert_messages: int
    dismissed_reason: str
    lessons_learned: str
    lessons_by: str
    assessment: dict[str, str | int | None]
    team: list[SeatView]
    checklist: list[StepView]
    notifications: list[NoticeView]
    log: list[EntryView]
    onward: dict[str, list[str]]  # next state -> what is still missing for it
    can_manage: bool
    can_act: bool


def _notice(row: IncidentNotification, now: datetime) -> NoticeView:
    due = row.due_at
    pending = row.decision.value == "pending"
    return NoticeView(
        recipient=row.recipient.value,
        words=RECIPIENT_WORDS[row.recipient],
        decision=row.decision.value,
        decision_words=DECISION_WORDS[row.decision],
        due_at=due,
        due_words=clocks.uk_when(due) if due else "No deadline",
        left_words=clocks.left_words(now, due) if due and pending else "",
        overdue=notify.overdue(row, now),
        sent_at=row.sent_at,
        their_reference=row.their_reference or "",
        reasoning=row.reasoning or "",
        late_reason=row.late_reason or "",
        initial_only=row.phase is IcoPhase.INITIAL,
        decided_by=row.decided_by or "",
    )


def row_of(uow: UnitOfWork, incident: Incident) -> RowView:
    """The register's line for one incident."""
    now = uow.clock.now()
    notices = [_notice(row, now) for row in service.notifications(uow, incident)]
    open_case = incident.state in OPEN_STATES
    overdue = [f"{n.words}: {n.left_words}" for n in notices if n.overdue and open_case]
    upcoming = sorted(
        (
            n
            for n in notices
            if open_case and n.due_at and n.decision == "pending" and not n.overdue
        ),
        key=lambda n: n.due_at or now,
    )
    return RowView(
        reference=incident.reference,
        kind_words=KIND_WORDS[incident.kind],
        state=incident.state.value,
        state_words=STATE_WORDS[incident.state],
        reported_at=incident.reported_at,
        personal_data=INVOLVEMENT_WORDS[incident.personal_data],
        card_data=INVOLVEMENT_WORDS[incident.card_data],
        open=open_case,
        overdue=overdue,
        next_due=f"{upcoming[0].words}: {upcoming[0].left_words}" if upcoming else "",
        exercise=incident.exercise,
    )


def case_of(uow: UnitOfWork, viewer: Viewer, incident: Incident) -> CaseView:
    """Everything the case page shows (the viewer already may see it)."""
    now = uow.clock.now()
    seats = appoint.seats_of(uow, incident)
    ticks = {
        tick.item: tick
        for tick in uow.session.scalars(
            select(IncidentChecklistTick).where(IncidentChecklistTick.incident_id == incident.id)
        )
    }
    team = [
        SeatView(
            s.value, SEAT_WORDS[s], seats[s].username, seats[s].full_name, seats[s].appointed_at
        )
        if s in seats
        else SeatView(s.value, SEAT_WORDS[s])
        for s in SEATS
    ]
    steps = []
    for item in ChecklistItem:
        tick = ticks.get(item)
        if tick is None:
            steps.append(StepView(item.value, CHECKLIST_WORDS[item]))
            continue
        answer = ANSWER_WORDS[tick.answer]
        steps.append(
            StepView(
                item.value,
                CHECKLIST_WORDS[item],
                tick.answer.value,
                answer,
                tick.note or "",
                tick.ticked_by,
                tick.ticked_at,
            )
        )
    entries = [
        EntryView(e.number, e.kind.value, ACTION_WORDS[e.kind], e.text, e.actor_name, e.recorded_at)
        for e in log.entries(uow, incident)
    ]
    onward = {
        to.value: [
            p.rule for p in workflow.requirements(uow, incident, to, "x" * workflow.REASON_MIN)
        ]
        for to in sorted(TRANSITIONS[incident.state])
    }
    members = {seat.username for seat in team if seat.username}
    return CaseView(
        row=row_of(uow, incident),
        kind=incident.kind.value,
        summary=incident.summary,
        systems=incident.systems or "",
        noticed_at=incident.noticed_at,
        aware_at=incident.aware_at,
        reporter=incident.reporter_name,
        iso_alerted_at=incident.iso_alerted_at,
        iso_alert_messages=incident.iso_alert_messages,
        dismissed_reason=incident.dismissed_reason or "",
        lessons_learned=incident.lessons_learned or "",
        lessons_by=incident.lessons_by or "",
        assessment={
            "people_categories": incident.people_categories,
            "people_count": incident.people_count,
            "record_categories": incident.record_categories,
            "record_count": incident.record_count,
            "consequences": incident.consequences,
            "measures_proposed": incident.measures_proposed,
        },
        team=team,
        checklist=steps,
        notifications=[_notice(row, now) for row in service.notifications(uow, incident)],
        log=entries,
        onward=onward,
        can_manage=viewer.manages,
        can_act=viewer.may_act(members) and incident.state in OPEN_STATES,
    )


def is_state(value: str) -> IncidentState | None:
    """The state named ``value`` (``None`` when it names none)."""
    try:
        return IncidentState(value)
    except ValueError:
        return None
