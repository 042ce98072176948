"""Card API: tokenise a card, list saved cards masked, remove one (IS-SENS-*, IS-AC-CHD-LOG).

``POST /api/customers/{customer}/cards`` is the only route in the platform that accepts a
card number (its ``pan`` field, see :data:`klaremont.web.card_guard.TOKENISE_ROUTES`); it goes
straight to the payment provider. A CVV or track data is refused here as everywhere. Every
response shows ``•••• 1234`` at most, and every read is a ``card.read`` audit event.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from klaremont.cards import service
from klaremont.cards.permissions import CardPermission
from klaremont.cards.schemas import CardIn
from klaremont.customers.schemas import CardOut
from klaremont.customers.web.api import REFUSED, PurposeQuery, access
from klaremont.staff.web.guard import Caller, require_in_unit
from klaremont.web.card_guard import card_data_guard
from klaremont.web.deps import UowDep, committed

router = APIRouter(tags=["cards"], dependencies=[Depends(card_data_guard)])

CardReader = Annotated[Caller, Depends(require_in_unit(CardPermission.CARDS_READ))]
CardManager = Annotated[Caller, Depends(require_in_unit(CardPermission.CARDS_MANAGE))]


@router.post(
    "/api/customers/{customer}/cards",
    response_model=CardOut,
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def add_card(
    customer: str, body: CardIn, purpose: PurposeQuery, staff: CardManager, uow: UowDep
) -> CardOut:
    """Tokenise a card with the payment provider; keep token, brand, expiry, last four."""
    return await committed(
        uow, lambda: service.add_card(uow, customer, body, access(staff, purpose))
    )


@router.get("/api/customers/{customer}/cards", response_model=list[CardOut], responses=REFUSED)
async def list_cards(
    customer: str,
    purpose: PurposeQuery,
    staff: CardReader,
    uow: UowDep,
    include_removed: bool = False,
) -> list[CardOut]:
    """The person's saved cards, masked; the read is audited as card.read."""
    return await committed(
        uow,
        lambda: service.list_cards(
            uow, customer, access(staff, purpose), include_removed=include_removed
        ),
        read=True,
    )


@router.delete(
    "/api/customers/{customer}/cards/{card_id}", response_model=CardOut, responses=REFUSED
)
async def remove_card(
    customer: str, card_id: uuid.UUID, purpose: PurposeQuery, staff: CardManager, uow: UowDep
) -> CardOut:
    """Remove a saved card: the provider forgets it and its token is deleted."""
    return await committed(
        uow, lambda: service.remove_card(uow, customer, card_id, access(staff, purpose))
    )
