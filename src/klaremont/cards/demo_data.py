"""Demo saved cards: about six in ten demo customers have one, tokenised at once.

Cards are tokenised by a throwaway :class:`~klaremont.cards.provider.LocalProvider`
(tokens deterministic from the seed); only token, brand, expiry and last four are stored.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.cards.provider import LocalProvider
from klaremont.customers.models import Customer, PaymentCard
from klaremont.detectors.pan import luhn_complete
from klaremont.policy.purposes import LawfulBasis

if TYPE_CHECKING:
    from klaremont.demo.service import DemoSize
    from klaremont.platform import UnitOfWork

ORDER = 25  # after the customers (20)
BRANDS = ("visa", "mastercard", "amex")
SHARE_WITH_CARD = 0.6


def _card(
    rng: random.Random, provider: LocalProvider, customer: Customer, now: datetime
) -> PaymentCard:
    """A saved card tokenised by the local provider: token, brand, expiry, last four only."""
    brand = rng.choice(BRANDS)
    prefix = {"visa": "4", "mastercard": f"5{rng.randint(1, 5)}", "amex": rng.choice(("34", "37"))}
    length = 15 if brand == "amex" else 16
    start = prefix[brand]
    digits = start + "".join(str(rng.randint(0, 9)) for _ in range(length - len(start) - 1))
    exp_month, exp_year = rng.randint(1, 12), now.year + rng.randint(1, 4)
    result = provider.tokenise(luhn_complete(digits), exp_month, exp_year)
    card = PaymentCard(
        subject_id=customer.subject_id,
        customer=customer,
        provider=provider.name,
        brand=result.brand,
        exp_month=exp_month,
        exp_year=exp_year,
        last4=result.last4,
        created_at=customer.created_at,
        lawful_basis=LawfulBasis.CONTRACT,
        channel=customer.channel,
        collected_at=customer.collected_at,
    )
    card.token = result.token
    return card


def seed(uow: UnitOfWork, rng: random.Random, size: DemoSize) -> list[str]:
    """Give some of the demo customers a saved card; return the summary line."""
    del size  # every seeded customer is considered
    now = uow.clock.now()
    provider = LocalProvider(token_source=rng)  # a throwaway vault: demo cards are never charged
    customers = uow.session.scalars(select(Customer).order_by(Customer.reference)).all()
    added = 0
    for customer in customers:
        if rng.random() < SHARE_WITH_CARD:
            uow.session.add(_card(rng, provider, customer, now))
            added += 1
    uow.session.flush()
    return [f"{added} tokenised cards"]
