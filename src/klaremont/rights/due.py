"""The DPO's lists: requests overdue, and due soon (DP-PROMPT, DP-DPO).

Every request is routed to the DPO role (``routed_to = "dpo"``); the DPO (permission
``dsr:read``) sees these lists in the staff API and with ``klaremont rights due``, and the
daily alert (:func:`alert_dpo`) records them in the audit log addressed to the role. A
request waiting for the requester's identity is listed apart, and so is one whose clock the
DPO stopped while waiting for the requester: neither clock runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from klaremont.clock import uk_date
from klaremont.errors import ValidationFailed
from klaremont.rights import service
from klaremont.rights.events import RightsEvent, audit_rights
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import OPEN, RequestState

if TYPE_CHECKING:
    import uuid
    from datetime import date

    from klaremont.platform import UnitOfWork

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class DueItem:
    """One open request and its clock."""

    request_id: uuid.UUID
    reference: str
    kind: str
    state: str
    received_on: date
    due_on: date
    days_left: int
    extended: bool
    routed_to: str


@dataclass(frozen=True)
class DueReport:
    """Open requests by urgency."""

    today: date
    within_days: int
    overdue: list[DueItem]
    due_soon: list[DueItem]
    identity_pending: list[DueItem]
    clock_paused: list[DueItem] = field(default_factory=list)


def due_report(uow: UnitOfWork, within_days: int = DUE_SOON_DAYS) -> DueReport:
    """Overdue and due-soon requests, soonest first (paused ones listed apart)."""
    if not 0 <= within_days <= 366:  # noqa: PLR2004 - a year
        raise ValidationFailed.single("within_days", "0 to 366 days")
    today = uk_date(uow.clock.now())
    horizon = today + timedelta(days=within_days)
    rows = uow.session.scalars(
        select(RightsRequest)
        .where(
            RightsRequest.state.in_([s.value for s in OPEN]),
            or_(RightsRequest.due_on <= horizon, RightsRequest.clock_stopped_at.is_not(None)),
        )
        .order_by(RightsRequest.due_on, RightsRequest.received_at)
    ).all()
    overdue: list[DueItem] = []
    soon: list[DueItem] = []
    pending: list[DueItem] = []
    stopped: list[DueItem] = []
    for request in rows:
        deadline = service.deadline_of(uow, request, today)
        item = DueItem(
            request_id=request.id,
            reference=request.reference,
            kind=request.kind.value,
            state=request.state.value,
            received_on=request.received_on,
            due_on=deadline.due,
            days_left=deadline.days_left(today),
            extended=request.extension_months > 0,
            routed_to=request.routed_to,
        )
        if request.state is RequestState.IDENTITY_PENDING:
            pending.append(item)
        elif request.clock_stopped_at is not None:
            stopped.append(item)
        elif deadline.is_overdue(today):
            overdue.append(item)
        elif deadline.due <= horizon:
            soon.append(item)
    return DueReport(today, within_days, overdue, soon, pending, stopped)


def alert_dpo(uow: UnitOfWork, within_days: int = DUE_SOON_DAYS) -> DueReport:
    """Record today's lists for the DPO role (references and dates only)."""
    report = due_report(uow, within_days)
    audit_rights(
        uow,
        RightsEvent.DUE_ALERT,
        resource="role:dpo",
        details={
            "routed_to": "dpo",
            "today": report.today.isoformat(),
            "overdue": [i.reference for i in report.overdue],
            "due_soon": [i.reference for i in report.due_soon],
            "identity_pending": len(report.identity_pending),
            "clock_paused": [i.reference for i in report.clock_paused],
        },
    )
    return report
