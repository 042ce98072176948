"""A request's live clock: the deadline with its identity pause and the DPO's stops counted
(DP-PROMPT; the rules are :mod:`klaremont.rights.deadlines`).

Two spans stop the clock, each kept the same way on the request -- since when (still
running) and the whole days of those already ended: the identity check
(``pause_started_at``, ``paused_days``) and the DPO's stop while waiting for the requester
(``clock_stopped_at``, ``stopped_days``, one :class:`~klaremont.rights.models.ClockPause`
row each). An open span counts up to today; ``due_on`` is stored again whenever one ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.clock import uk_date
from klaremont.rights import deadlines
from klaremont.rights.models import ClockPause

if TYPE_CHECKING:
    from datetime import date, datetime

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest


def days_since(started: datetime | None, today: date) -> int:
    """Whole UK days of a span still open since ``started`` (0 when none is open)."""
    return deadlines.Pause(uk_date(started)).days(today) if started is not None else 0


def deadline_of(
    uow: UnitOfWork, request: RightsRequest, today: date | None = None
) -> deadlines.Deadline:
    """The request's deadline as of ``today`` (an open pause or stop counts up to today)."""
    today = today or uk_date(uow.clock.now())
    return deadlines.for_policy(
        uow.policy.dsr,
        request.received_on,
        paused=request.paused_days + days_since(request.pause_started_at, today),
        stopped=request.stopped_days + days_since(request.clock_stopped_at, today),
        extension_months=request.extension_months,
    )


def store_deadline(uow: UnitOfWork, request: RightsRequest) -> None:
    """Keep the deadline as of now on the request, for the DPO's lists."""
    deadline = deadline_of(uow, request)
    request.original_due_on = deadline.original_due
    request.due_on = deadline.due


def open_stop(uow: UnitOfWork, request: RightsRequest) -> ClockPause | None:
    """The DPO's stop of the clock still open on the request, if any."""
    if request.clock_stopped_at is None:
        return None
    return uow.session.scalars(
        select(ClockPause)
        .where(ClockPause.request_id == request.id, ClockPause.resumed_at.is_(None))
        .order_by(ClockPause.paused_at.desc())
        .limit(1)
    ).first()


def end_stop(uow: UnitOfWork, request: RightsRequest) -> ClockPause | None:
    """End the DPO's stop: its whole days move the deadline, as an identity pause's do."""
    if request.clock_stopped_at is None:
        return None
    now = uow.clock.now()
    days = days_since(request.clock_stopped_at, uk_date(now))
    stop = open_stop(uow, request)
    if stop is not None:
        stop.resumed_at = now
        stop.resumed_by = str(uow.actor)
        stop.days = days
    request.stopped_days += days
    request.clock_stopped_at = None
    store_deadline(uow, request)
    return stop


def stops_of(uow: UnitOfWork, request: RightsRequest) -> list[ClockPause]:
    """Every stop of the request's clock, oldest first."""
    return list(
        uow.session.scalars(
            select(ClockPause)
            .where(ClockPause.request_id == request.id)
            .order_by(ClockPause.paused_at)
        )
    )
