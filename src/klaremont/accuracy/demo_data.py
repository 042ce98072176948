"""Demo review history, so the stale-data report has something to show (DEMO ONLY).

Most demo customers confirmed their details recently (in the privacy centre, or by phone
with the demo support agent); some fall due soon; the rest were never reviewed, so those
who joined more than ``accuracy.review_after_days`` ago are overdue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.accuracy.models import AccuracyReview, ReviewChannel, ReviewOutcome
from klaremont.accuracy.report import stale_counts
from klaremont.audit.events import ActorType
from klaremont.customers.models import Customer
from klaremont.staff.models import StaffAccount

if TYPE_CHECKING:
    import random

    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 30  # after the customers (20)
RECENT_SHARE = 0.6  # confirmed within the period, well before falling due
DUE_SOON_SHARE = 0.1  # confirmed long enough ago to fall due soon
DEMO_AGENT = "sam"


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Add one review to most demo customers; return a summary line."""
    del size  # every seeded customer is considered
    now = uow.clock.now()
    policy = uow.policy.accuracy
    after, soon = policy.review_after_days, max(policy.due_soon_days, 2)
    agent = uow.session.scalar(select(StaffAccount.id).where(StaffAccount.username == DEMO_AGENT))
    customers = uow.session.execute(
        select(Customer.id, Customer.subject_id, Customer.created_at).order_by(Customer.reference)
    ).all()
    added = by_customers = 0
    for customer_id, subject_id, created_at in customers:
        draw = rng.random()
        if draw < RECENT_SHARE:
            age = rng.randint(1, max(1, after - soon - 1))
        elif draw < RECENT_SHARE + DUE_SOON_SHARE:
            age = rng.randint(after - soon + 1, after - 1)
        else:
            continue
        reviewed_at = now - timedelta(days=age, minutes=rng.randint(0, 600))
        if reviewed_at <= created_at:
            continue
        by_customer = agent is None or rng.random() < 0.5  # noqa: PLR2004 - half self-service
        uow.session.add(
            AccuracyReview(
                subject_id=subject_id,
                customer_id=customer_id,
                reviewed_at=reviewed_at,
                outcome=ReviewOutcome.CONFIRMED,
                channel=ReviewChannel.PRIVACY_CENTRE if by_customer else ReviewChannel.PHONE,
                actor_type=(ActorType.CUSTOMER if by_customer else ActorType.STAFF).value,
                actor_id=str(customer_id if by_customer else agent),
            )
        )
        added += 1
        by_customers += by_customer
    uow.session.flush()
    counts = stale_counts(uow)
    summary = (
        f"accuracy: {added} records confirmed ({by_customers} by customers); "
        f"{counts.overdue} overdue for review, {counts.due_soon} due soon"
    )
    return [summary]
