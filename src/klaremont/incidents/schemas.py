"""API shapes of incident response: references and plain values, never a row id."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from klaremont.incidents.models import SHORT_MAX, SUMMARY_MAX, SYSTEMS_MAX, TEXT_MAX
from klaremont.incidents.states import (
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
    IcoPhase,
    IncidentKind,
    IncidentState,
    Involvement,
)
from klaremont.incidents.team import Seat
from klaremont.plausible import Moment

if TYPE_CHECKING:
    from klaremont.incidents.read import CaseView, RowView

Text = Annotated[str, Field(min_length=3, max_length=TEXT_MAX)]
Count = Annotated[StrictInt, Field(ge=0, le=100_000_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportIn(_In):
    """A suspected incident, as the person reporting it saw it."""

    kind: IncidentKind
    what_happened: Annotated[str, Field(min_length=10, max_length=SUMMARY_MAX)]
    personal_data: Involvement
    card_data: Involvement
    noticed_at: Moment | None = Field(
        default=None, description="when it was noticed (with its offset)"
    )
    systems: Annotated[str, Field(max_length=SYSTEMS_MAX)] | None = None
    exercise: bool = Field(
        default=False,
        description="a test of the response plan (PCI DSS 12.10.2); the ISO's only",
    )


class ReportedOut(BaseModel):
    """What the reporter is told: the reference and the clock that started."""

    reference: str
    aware_at: datetime
    ico_deadline: datetime
    iso_alerted: bool


class TransitionIn(_In):
    """Move the case (the ISO's)."""

    to: IncidentState
    reason: Annotated[str, Field(max_length=2000)] | None = None


class TeamIn(_In):
    """The ISO's choice for each seat (usernames)."""

    seats: dict[Seat, Annotated[str, Field(min_length=1, max_length=64)]]
    activate: bool = True


class ActionIn(_In):
    """One entry for the action log."""

    kind: ActionKind
    text: Text


class StepIn(_In):
    """The answer to one preservation step."""

    item: ChecklistItem
    answer: ChecklistAnswer
    note: Annotated[str, Field(max_length=SHORT_MAX)] | None = None


class DecisionIn(_In):
    """The decision for one party on the tracker."""

    decision: Literal["sent", "not_required"]
    sent_at: Moment | None = Field(default=None, description="with its offset; empty is now")
    their_reference: Annotated[str, Field(max_length=100)] | None = None
    reasoning: Annotated[str, Field(max_length=TEXT_MAX)] | None = None
    late_reason: Annotated[str, Field(max_length=TEXT_MAX)] | None = None
    phase: IcoPhase | None = None


class AssessmentIn(_In):
    """The ISO's assessment, for the ICO report."""

    people_categories: Annotated[str, Field(max_length=SHORT_MAX)] | None = None
    people_count: Count | None = None
    record_categories: Annotated[str, Field(max_length=SHORT_MAX)] | None = None
    record_count: Count | None = None
    consequences: Annotated[str, Field(max_length=TEXT_MAX)] | None = None
    measures_proposed: Annotated[str, Field(max_length=TEXT_MAX)] | None = None


class LessonsIn(_In):
    """The lessons learned."""

    text: Annotated[str, Field(min_length=10, max_length=TEXT_MAX)]


class RowOut(BaseModel):
    """One incident in the register."""

    reference: str
    kind: str
    state: str
    state_words: str
    reported_at: datetime
    personal_data: str
    card_data: str
    open: bool
    overdue: list[str]
    next_due: str
    exercise: bool = False

    @classmethod
    def of(cls, row: RowView) -> RowOut:
        """From the register's plain values."""
        return cls(
            reference=row.reference,
            kind=row.kind_words,
            state=row.state,
            state_words=row.state_words,
            reported_at=row.reported_at,
            personal_data=row.personal_data,
            card_data=row.card_data,
            open=row.open,
            overdue=row.overdue,
            next_due=row.next_due,
            exercise=row.exercise,
        )


class SeatOut(BaseModel):
    """One seat of the team."""

    seat: str
    seat_words: str
    username: str
    full_name: str
    appointed_at: datetime | None


class StepOut(BaseModel):
    """One preservation step."""

    item: str
    words: str
    answer: str
    note: str
    by: str
    at: datetime | None


class NoticeOut(BaseModel):
    """One party on the tracker."""

    recipient: str
    decision: str
    due_at: datetime | None
    left_words: str
    overdue: bool
    sent_at: datetime | None
    their_reference: str
    reasoning: str
    late_reason: str
    initial_only: bool
    decided_by: str


class EntryOut(BaseModel):
    """One action-log entry."""

    number: int
    kind: str
    text: str
    actor: str
    recorded_at: datetime


class CaseOut(BaseModel):
    """The whole case."""

    incident: RowOut
    summary: str
    systems: str
    noticed_at: datetime | None
    aware_at: datetime
    reporter: str
    iso_alerted_at: datetime | None
    dismissed_reason: str
    lessons_learned: str
    assessment: dict[str, str | int | None]
    team: list[SeatOut]
    checklist: list[StepOut]
    notifications: list[NoticeOut]
    log: list[EntryOut]
    onward: dict[str, list[str]] = Field(description="each next state and what it still needs")

    @classmethod
    def of(cls, case: CaseView) -> CaseOut:
        """From the case's plain values."""
        return cls(
            incident=RowOut.of(case.row),
            summary=case.summary,
            systems=case.systems,
            noticed_at=case.noticed_at,
            aware_at=case.aware_at,
            reporter=case.reporter,
            iso_alerted_at=case.iso_alerted_at,
            dismissed_reason=case.dismissed_reason,
            lessons_learned=case.lessons_learned,
            assessment=case.assessment,
            team=[
                SeatOut(**{k: v for k, v in asdict(s).items() if k in SeatOut.model_fields})
                for s in case.team
            ],
            checklist=[
                StepOut(**{k: v for k, v in asdict(s).items() if k in StepOut.model_fields})
                for s in case.checklist
            ],
            notifications=[
                NoticeOut(**{k: v for k, v in asdict(n).items() if k in NoticeOut.model_fields})
                for n in case.notifications
            ],
            log=[
                EntryOut(**{k: v for k, v in asdict(e).items() if k in EntryOut.model_fields})
                for e in case.log
            ],
            onward=case.onward,
        )


class CandidateOut(BaseModel):
    """Someone eligible for a seat."""

    username: str
    full_name: str
    job_title: str | None
    seniority: int | None


class SeatProposalOut(BaseModel):
    """One seat: the rule's default pick and everyone eligible, most preferred first."""

    seat: str
    seat_words: str
    proposed: str | None
    eligible: list[CandidateOut]


class IcoDraftOut(BaseModel):
    """The ICO report drafted from the case (Art. 33(3)), with what is still missing."""

    reference: str
    nature: str
    what_happened: str
    people_categories: str
    people_count: int | None
    record_categories: str
    record_count: int | None
    dpo: list[str]
    consequences: str
    measures_taken: list[str]
    measures_proposed: str
    aware_at: datetime
    deadline: str
    sent: str
    late_reason: str
    gaps: list[str]
