"""The saved-cards section of the single customer view (plugged in by the declaration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.cards.service import audit_card_read, card_out, subject_cards
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from klaremont.customers.view import CustomerView, ViewRequest
    from klaremont.platform import UnitOfWork


def contribute(uow: UnitOfWork, request: ViewRequest, view: CustomerView) -> None:
    """Add the person's saved cards (masked) when the purpose may see them; audit the read."""
    if DataCategory.PAYMENT_CARDS not in request.shown:
        return
    cards = subject_cards(uow, request.subject_id)
    view.cards = [card_out(c) for c in cards]
    audit_card_read(uow, request.access, request.resource, [c.id for c in cards], view=True)
