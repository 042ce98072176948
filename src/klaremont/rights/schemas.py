"""API shapes of data subject requests (staff and DPO routes)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from klaremont.rights.queries import sealed_reason
from klaremont.rights.states import (
    IdentityMethod,
    IntakeChannel,
    ObjectionScope,
    PauseReason,
    RequestKind,
    RequestState,
)

if TYPE_CHECKING:
    from klaremont.rights.deadlines import Deadline
    from klaremont.rights.due import DueItem, DueReport
    from klaremont.rights.erasure import ErasureReply
    from klaremont.rights.fulfil import Fulfilment
    from klaremont.rights.models import RightsRequest


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StaffIntakeIn(_In):
    """A request taken by phone or letter on the customer's behalf."""

    # A customer reference (a letter, then letters or digits), never a digit run.
    customer_reference: str = Field(
        min_length=1, max_length=16, pattern=r"^[A-Za-z][A-Za-z0-9]{0,15}$"
    )
    kind: RequestKind
    channel: IntakeChannel
    scope: ObjectionScope | None = None
    note: str | None = Field(default=None, max_length=2000)


class CodeIn(_In):
    """The code the requester read back."""

    code: str = Field(min_length=6, max_length=32)


class ReasonIn(_In):
    """A reason recorded with a decision."""

    reason: str = Field(min_length=3, max_length=500)


class ExtendIn(_In):
    """An extension of the deadline."""

    months: StrictInt = Field(ge=1, le=2)
    reason: str = Field(min_length=3, max_length=500)


class DecisionIn(_In):
    """The DPO's decision on an objection to holding the data."""

    uphold: bool
    reason: str = Field(min_length=3, max_length=500)


class PauseIn(_In):
    """Why the clock stops: the requester is asked to clarify the request, or for information
    needed to identify them, or something else said in the note (then required)."""

    reason: PauseReason
    note: str | None = Field(
        default=None,
        max_length=500,
        description="What is needed (kept sealed; never mailed). Required when `reason` is "
        "`other`; 3 to 500 printable characters.",
    )


class FulfilIn(_In):
    """Options for fulfilling: corrections (rectification), a recipient (portability)."""

    corrections: list[dict[str, Any]] | None = Field(default=None, max_length=50)
    recipient_url: str | None = Field(default=None, max_length=2000)
    recipient_country: str | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="The recipient's country (ISO 3166-1 alpha-2); required with "
        "`recipient_url`: the transfer guard checks it (DP-TRANSFER).",
    )


class RequestOut(BaseModel):
    """A request as staff see it (no personal values except the requester's own details)."""

    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    kind: RequestKind
    scope: ObjectionScope | None
    state: RequestState
    channel: IntakeChannel
    received_at: datetime
    received_on: date
    due_on: date
    original_due_on: date
    extension_notice_by: date
    days_left: int
    paused_days: int
    clock_paused_since: datetime | None = Field(
        description="When the DPO stopped the clock, while it stays stopped (else null); "
        "`due_on` counts the days up to today."
    )
    identity_method: IdentityMethod | None
    verified_at: datetime | None
    extension_months: int
    extension_reason: str | None
    closed_at: datetime | None
    refusal_reason: str | None
    outcome: dict[str, Any] | None
    routed_to: str
    details: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        request: RightsRequest,
        deadline: Deadline,
        today: date,
        details: dict[str, Any] | None = None,
    ) -> RequestOut:
        """Build from a request and its live deadline."""
        return cls(
            id=request.id,
            reference=request.reference,
            subject_id=request.subject_id,
            kind=request.kind,
            scope=request.scope,
            state=request.state,
            channel=request.channel,
            received_at=request.received_at,
            received_on=request.received_on,
            due_on=deadline.due,
            original_due_on=deadline.original_due,
            extension_notice_by=deadline.extension_notice_by,
            days_left=deadline.days_left(today),
            paused_days=deadline.paused_days,
            clock_paused_since=request.clock_stopped_at,
            identity_method=request.identity_method,
            verified_at=request.verified_at,
            extension_months=request.extension_months,
            extension_reason=sealed_reason(request, "extension_reason"),
            closed_at=request.closed_at,
            refusal_reason=sealed_reason(request, "refusal_reason"),
            outcome=json.loads(request.outcome) if request.outcome else None,
            routed_to=request.routed_to,
            details=details,
        )


class FulfilmentOut(BaseModel):
    """What fulfilling did."""

    request_id: uuid.UUID
    reference: str
    kind: RequestKind
    state: str
    outcome: dict[str, Any]
    formats: list[str]

    @classmethod
    def of(cls, done: Fulfilment) -> FulfilmentOut:
        """Build from the service's result."""
        return cls(
            request_id=done.request_id,
            reference=done.reference,
            kind=done.kind,
            state=done.state,
            outcome=done.outcome,
            formats=done.formats,
        )


class ErasureOut(BaseModel):
    """The erasure reply: deleted and kept, per table; the legal hold; the key."""

    request_id: uuid.UUID
    deleted: dict[str, int]
    retained: dict[str, int]
    hold_until: datetime | None
    key_destroyed_at: datetime | None
    shred_due_at: datetime

    @classmethod
    def of(cls, reply: ErasureReply) -> ErasureOut:
        """Build from the service's reply."""
        return cls(
            request_id=reply.request_id,
            deleted=dict(reply.deleted),
            retained=dict(reply.retained),
            hold_until=reply.hold_until,
            key_destroyed_at=reply.key_destroyed_at,
            shred_due_at=reply.shred_due_at,
        )


class DueItemOut(BaseModel):
    """One open request on the DPO's list."""

    request_id: uuid.UUID
    reference: str
    kind: str
    state: str
    received_on: date
    due_on: date
    days_left: int
    extended: bool
    routed_to: str

    @classmethod
    def of(cls, item: DueItem) -> DueItemOut:
        """Build from a list item."""
        return cls(
            request_id=item.request_id,
            reference=item.reference,
            kind=item.kind,
            state=item.state,
            received_on=item.received_on,
            due_on=item.due_on,
            days_left=item.days_left,
            extended=item.extended,
            routed_to=item.routed_to,
        )


class DueOut(BaseModel):
    """The DPO's lists."""

    today: date
    within_days: int
    overdue: list[DueItemOut]
    due_soon: list[DueItemOut]
    identity_pending: list[DueItemOut]
    clock_paused: list[DueItemOut] = Field(
        description="Open requests whose clock the DPO stopped while waiting for the requester "
        "(their due date counts the days paused up to today)."
    )

    @classmethod
    def of(cls, report: DueReport) -> DueOut:
        """Build from the report."""
        return cls(
            today=report.today,
            within_days=report.within_days,
            overdue=[DueItemOut.of(i) for i in report.overdue],
            due_soon=[DueItemOut.of(i) for i in report.due_soon],
            identity_pending=[DueItemOut.of(i) for i in report.identity_pending],
            clock_paused=[DueItemOut.of(i) for i in report.clock_paused],
        )
