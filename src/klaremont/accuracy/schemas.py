"""API shapes of the stale-data review (references, dates and categories; no personal value)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict

from klaremont.accuracy.models import STAFF_CHANNELS, ReviewChannel

if TYPE_CHECKING:
    from klaremont.accuracy.report import StaleItem, StaleReport
    from klaremont.accuracy.service import Confirmation, ReviewStatus

#: The channels staff may name when they record a confirmation for the customer.
StaffChannel = Literal["phone", "email", "letter", "in_person"]
if {ReviewChannel(c) for c in get_args(StaffChannel)} != STAFF_CHANNELS:  # pragma: no cover
    raise RuntimeError("StaffChannel must list exactly the staff review channels")


class ConfirmIn(BaseModel):
    """How the customer confirmed their details to staff."""

    model_config = ConfigDict(extra="forbid")

    channel: StaffChannel


class StaleItemOut(BaseModel):
    """One record due for review."""

    customer_id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    state: str
    basis: str
    last_confirmed_at: datetime
    due_on: date
    days_left: int
    age_days: int
    categories: list[str]
    last_order_on: date | None
    restricted: bool

    @classmethod
    def of(cls, item: StaleItem) -> StaleItemOut:
        """Build from a report item."""
        return cls(**{name: getattr(item, name) for name in cls.model_fields})


class StaleReportOut(BaseModel):
    """The stale-data review report."""

    generated_at: datetime
    today: date
    review_after_days: int
    within_days: int
    accounts: int
    overdue_total: int
    due_soon_total: int
    truncated: bool
    overdue: list[StaleItemOut]
    due_soon: list[StaleItemOut]

    @classmethod
    def of(cls, report: StaleReport) -> StaleReportOut:
        """Build from the report."""
        return cls(
            generated_at=report.generated_at,
            today=report.today,
            review_after_days=report.review_after_days,
            within_days=report.within_days,
            accounts=report.accounts,
            overdue_total=report.overdue_total,
            due_soon_total=report.due_soon_total,
            truncated=report.truncated,
            overdue=[StaleItemOut.of(i) for i in report.overdue],
            due_soon=[StaleItemOut.of(i) for i in report.due_soon],
        )


class ReviewEntryOut(BaseModel):
    """One past review."""

    reviewed_at: datetime
    outcome: str
    channel: str
    actor_type: str


class ReviewStatusOut(BaseModel):
    """One record's review clock and history."""

    customer_id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    state: str
    basis: str
    last_confirmed_at: datetime
    due_on: date
    days_left: int
    history: list[ReviewEntryOut]

    @classmethod
    def of(cls, status: ReviewStatus) -> ReviewStatusOut:
        """Build from the status."""
        return cls(
            customer_id=status.customer_id,
            reference=status.reference,
            subject_id=status.subject_id,
            state=status.state,
            basis=status.clock.basis,
            last_confirmed_at=status.clock.last_confirmed_at,
            due_on=status.clock.due_on,
            days_left=status.clock.days_left,
            history=[
                ReviewEntryOut(
                    reviewed_at=e.reviewed_at,
                    outcome=e.outcome,
                    channel=e.channel,
                    actor_type=e.actor_type,
                )
                for e in status.history
            ],
        )


class ConfirmationOut(BaseModel):
    """A recorded confirmation."""

    review_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    reviewed_at: datetime
    channel: str
    next_due_on: date

    @classmethod
    def of(cls, done: Confirmation) -> ConfirmationOut:
        """Build from the confirmation."""
        return cls(
            review_id=done.review_id,
            customer_id=done.customer_id,
            reference=done.reference,
            reviewed_at=done.reviewed_at,
            channel=done.channel,
            next_due_on=done.next_due_on,
        )
