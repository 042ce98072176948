"""Saved cards: tokenise through the provider, keep token/brand/expiry/last four, log every read.

* Adding a card validates the number (Luhn, brand ranges) and its expiry, hands it to the
  payment provider and stores only what the provider returns: the token (sealed under the
  person's data key), the brand and the last four digits (IS-SENS-MASK). The number lives
  in this call's memory and the provider's vault, nowhere else.
* Every read of saved cards is a ``card.read`` event with actor, purpose and outcome
  (IS-AC-CHD-LOG); a refused read is one too (see :mod:`klaremont.purposes.decide`).
* :func:`guard_input` runs the card-data guard on input that reaches a service without
  passing the web guard (the CLI), refusing and auditing exactly as the web does.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.card_refusal import guard_input
from klaremont.cards.actions import CardAction
from klaremont.cards.provider import provider_for
from klaremont.cards.schemas import CardIn
from klaremont.customers.access import Access, audit_read
from klaremont.customers.actions import CustomerAction
from klaremont.customers.models import PaymentCard
from klaremont.customers.schemas import CardOut
from klaremont.customers.service_read import find_customer
from klaremont.detectors.card_fields import CardDataRefused
from klaremont.detectors.pan import check_pan, mask
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork

CARDS = frozenset({DataCategory.PAYMENT_CARDS})


def card_out(card: PaymentCard) -> CardOut:
    """A card as it may be shown: brand, ``•••• 1234``, expiry (the token never leaves)."""
    return CardOut(
        id=card.id,
        customer_id=card.customer_id,
        brand=card.brand,
        masked=mask(card.last4),
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        provider=card.provider,
        created_at=card.created_at,
        removed_at=card.removed_at,
        channel=card.channel,
        collected_at=card.collected_at,
        lawful_basis=card.lawful_basis,
    )


def add_card(
    uow: UnitOfWork, customer_key: str | uuid.UUID, card: CardIn, access: Access
) -> CardOut:
    """Tokenise a card for a customer and keep token, brand, expiry and last four only."""
    access = access.resolved(uow)
    customer = find_customer(uow, customer_key)
    access.authorise(uow, customer.subject, CARDS)
    now = uow.clock.now()
    if (card.exp_year, card.exp_month) < (now.year, now.month):
        raise ValidationFailed.single("exp_year", "the card has expired")
    checked = check_pan(card.pan.get_secret_value())
    result = provider_for(uow.platform).tokenise(checked.digits, card.exp_month, card.exp_year)
    row = PaymentCard(
        subject_id=customer.subject_id,
        customer_id=customer.id,
        provider=provider_for(uow.platform).name,
        brand=result.brand,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        last4=result.last4,
        created_at=now,
        channel=card.channel,
        collected_at=now,
        lawful_basis=LawfulBasis.CONTRACT,
    )
    row.token = result.token
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        CardAction.CARD_CREATE,
        resource=f"card:{row.id}",
        purpose=access.purpose.value,
        details={"customer": str(customer.id), "brand": result.brand, "provider": row.provider},
    )
    return card_out(row)


def list_cards(
    uow: UnitOfWork, customer_key: str | uuid.UUID, access: Access, *, include_removed: bool = False
) -> list[CardOut]:
    """A customer's saved cards, masked; the read is a ``card.read`` event."""
    access = access.resolved(uow)
    customer = find_customer(uow, customer_key)
    access.authorise(uow, customer.subject, CARDS)
    rows = subject_cards(uow, customer.subject_id, include_removed=include_removed)
    audit_card_read(uow, access, f"customer:{customer.id}/cards", [r.id for r in rows])
    return [card_out(r) for r in rows]


def subject_cards(
    uow: UnitOfWork, subject_id: uuid.UUID, *, include_removed: bool = False
) -> list[PaymentCard]:
    """Every saved card of a person (across accounts), oldest first."""
    query = select(PaymentCard).where(PaymentCard.subject_id == subject_id)
    if not include_removed:
        query = query.where(PaymentCard.removed_at.is_(None))
    return list(uow.session.scalars(query.order_by(PaymentCard.created_at, PaymentCard.id)))


def audit_card_read(
    uow: UnitOfWork, access: Access, resource: str, card_ids: list[uuid.UUID], **details: Any
) -> None:
    """Record one read of cardholder data (IS-AC-CHD-LOG)."""
    audit_read(
        uow,
        access,
        resource,
        CARDS,
        action=CardAction.CARD_READ,
        cards=[str(i) for i in card_ids],
        **details,
    )


def remove_card(
    uow: UnitOfWork, customer_key: str | uuid.UUID, card_id: uuid.UUID, access: Access
) -> CardOut:
    """Remove a saved card: the provider forgets it and the sealed token is deleted."""
    access = access.resolved(uow)
    customer = find_customer(uow, customer_key)
    access.authorise(uow, customer.subject, CARDS)
    card = uow.session.get(PaymentCard, card_id)
    if card is None or card.subject_id != customer.subject_id or card.removed_at is not None:
        raise NotFound("No such saved card.")
    token = card.token
    audit_card_read(uow, access, f"card:{card.id}", [card.id], use="forget at provider")
    if token is not None and card.provider == provider_for(uow.platform).name:
        # the provider may no longer hold it (a local vault does not outlive its process)
        with contextlib.suppress(NotFound):
            provider_for(uow.platform).forget(token)
    card.token = None
    card.removed_at = uow.clock.now()
    uow.session.flush()
    uow.audit(
        CustomerAction.PERSONAL_DATA_DELETE,
        resource=f"card:{card.id}",
        purpose=access.purpose.value,
        details={"customer": str(customer.id), "fields": ["token"]},
    )
    return card_out(card)


__all__ = ["CardDataRefused", "add_card", "guard_input", "list_cards", "remove_card"]
