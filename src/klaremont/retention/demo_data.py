"""Demo retention (DEMO ONLY): the DPO's litigation hold on the customer whose account has
been quiet longest, so the first retention run (the job worker starts one) shows a hold
keeping data that would otherwise go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.retention import litigation
from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 70  # after the customers (20) and the staff (10)


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Place the hold."""
    del rng, size
    account_id = uow.session.scalar(select(StaffAccount.id).where(StaffAccount.username == "dana"))
    uow.actor = Actor(ActorType.STAFF, str(account_id or "dana"), "dana")
    quiet = uow.session.scalar(
        select(Customer.reference)
        .join(Subject, Subject.id == Customer.subject_id)
        .order_by(Subject.last_activity_at, Customer.reference)
        .limit(1)
    )
    if quiet is None:
        return []
    hold = litigation.place(
        uow,
        quiet,
        "A claim about a disputed refund: keep everything until the claim is settled",
    )
    return [f"retention: litigation hold {hold.reference} on {quiet}"]
