"""Demo marketing choices, so the consent pages and the audience have something to show
(DEMO ONLY).

About a third of the demo customers said yes to e-mail offers when they joined, fewer to
post, text messages or phone calls; a few later objected to all marketing. Drawn from a
generator of its own, so the other capabilities' demo data stays as it was.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.consent.service import Proof, record_marketing
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.policy.purposes import MarketingChannel

if TYPE_CHECKING:
    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 35  # after the customers (20)
SHARES = {
    MarketingChannel.EMAIL: 0.35,
    MarketingChannel.POST: 0.2,
    MarketingChannel.SMS: 0.1,
    MarketingChannel.PHONE: 0.08,
}
OBJECTOR_SHARE = 0.03
JOINED = Proof(ConsentMethod.WEB_FORM, ConsentSource.ACCOUNT_CREATION)


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Record each demo customer's marketing choices; return a summary line."""
    del rng  # a generator of its own: the shared one keeps its sequence for the others
    draw = random.Random(size.seed + 35)  # noqa: S311 - deterministic demo data, not security
    ordered = uow.session.scalars(select(Customer.subject_id).order_by(Customer.reference))
    subjects = list(dict.fromkeys(ordered))  # a person once, in reference order
    agreed = objected = 0
    for subject_id in subjects:
        choices = {channel: draw.random() < share for channel, share in SHARES.items()}
        if any(choices.values()):
            record_marketing(uow, subject_id, choices, JOINED, only_changes=False)
            agreed += 1
        if draw.random() < OBJECTOR_SHARE:
            subject = uow.session.get(Subject, subject_id)
            if subject is not None:
                subject.marketing_objection_at = uow.clock.now()
                objected += 1
    return [f"marketing: {agreed} people agreed to offers on some channel, {objected} objected"]
