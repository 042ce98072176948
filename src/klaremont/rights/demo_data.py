"""Demo data-subject requests, so the DPO's queue and home have a morning's work (DEMO ONLY).

Five requests at different points of their statutory clock, made through the same
services as real ones and then dated back: an access request taken by phone this morning,
waiting for the requester's code; an access request overdue; an erasure asked in the
privacy centre and due within the week; a rectification whose clock the DPO stopped while
the requester says which details are wrong; a portability request fulfilled last week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.clock import uk_date
from klaremont.customers.models import Customer
from klaremont.rights import intake, pauses
from klaremont.rights.fulfil import fulfil
from klaremont.rights.models import ClockPause
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import IntakeChannel, PauseReason, RequestKind
from klaremont.rights.timing import store_deadline

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

ORDER = 40  # after the customers (20), their cards (25), reviews (30) and consent (35)


@dataclass(frozen=True)
class DemoRequest:
    """One demo request: whose, what, how it came, how many days ago, and where it stands."""

    customer: str
    kind: RequestKind
    channel: IntakeChannel
    days_ago: int
    then: str  # "waiting" for the code | "verified" | "paused" | "fulfilled"


DEMO_REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest("C0000002", RequestKind.ACCESS, IntakeChannel.PHONE, 0, "waiting"),
    DemoRequest("C0000004", RequestKind.ACCESS, IntakeChannel.PRIVACY_CENTRE, 34, "verified"),
    DemoRequest("C0000006", RequestKind.ERASURE, IntakeChannel.PRIVACY_CENTRE, 26, "verified"),
    DemoRequest("C0000007", RequestKind.RECTIFICATION, IntakeChannel.LETTER, 12, "paused"),
    DemoRequest("C0000009", RequestKind.PORTABILITY, IntakeChannel.PRIVACY_CENTRE, 9, "fulfilled"),
)


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Make the demo requests; return a summary line."""
    del rng, size  # fixed requests for the first demo customers
    made = 0
    for wanted in DEMO_REQUESTS:
        row = uow.session.execute(
            select(Customer.id, Customer.subject_id).where(Customer.reference == wanted.customer)
        ).first()
        if row is None:  # a smaller demo than the requests need
            continue
        request = _make(uow, wanted, CustomerIdentity(row.subject_id, row.id))
        _date_back(uow, request, timedelta(days=wanted.days_ago))
        made += 1
    uow.session.flush()
    return [f"rights: {made} data-subject requests at different points of their clock"]


def _make(uow: UnitOfWork, wanted: DemoRequest, who: CustomerIdentity) -> RightsRequest:
    if wanted.channel is IntakeChannel.PRIVACY_CENTRE:
        request = intake.submit_signed_in(uow, who, wanted.kind)
    else:
        request = intake.submit_for_customer(uow, wanted.customer, wanted.kind, wanted.channel)
        if wanted.then != "waiting":
            intake.verify_by_document(uow, request, "Signed letter with a copy of a utility bill")
    if wanted.then == "paused":
        pauses.pause(uow, request, PauseReason.CLARIFICATION)
    elif wanted.then == "fulfilled":
        fulfil(uow, request.id)
    return request


def _date_back(uow: UnitOfWork, request: RightsRequest, by: timedelta) -> None:
    """Move the request's moments back by ``by`` (a stop of the clock began 3 days ago)."""
    request.received_at -= by
    request.received_on = uk_date(request.received_at)
    for moment in ("verified_at", "closed_at", "updated_at"):
        value = getattr(request, moment)
        if value is not None:
            setattr(request, moment, value - by + timedelta(minutes=20))
    if request.clock_stopped_at is not None:
        stopped = request.clock_stopped_at - timedelta(days=3)
        request.clock_stopped_at = stopped
        for stop in uow.session.scalars(
            select(ClockPause).where(ClockPause.request_id == request.id)
        ):
            stop.paused_at = stopped
    store_deadline(uow, request)
