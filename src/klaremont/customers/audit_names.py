"""The customer store's audit resources in words (the audit log's ``audit_resource_names``).

``subject:`` and ``customer:`` read as the account's reference; an address, a contact record
and a card as what they are and whose. References are not personal data; nothing here
opens a sealed value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.customers.models import Address, ContactRecord, Customer, PaymentCard

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from klaremont.audit.resource_names import Wanted


def names(session: Session, wanted: Wanted) -> dict[tuple[str, uuid.UUID], str]:
    """Words for the ``subject``, ``customer``, ``address``, ``contact`` and ``card`` kinds."""
    named: dict[tuple[str, uuid.UUID], str] = {}
    for kind, column in (("subject", Customer.subject_id), ("customer", Customer.id)):
        if ids := wanted.get(kind):
            rows = session.execute(select(column, Customer.reference).where(column.in_(ids)))
            named |= {(kind, ident): f"Customer {ref}" for ident, ref in rows}
    for kind, model, what in (
        ("address", Address, "Address"),
        ("contact", ContactRecord, "Contact record"),
    ):
        if ids := wanted.get(kind):
            rows = session.execute(
                select(model.id, Customer.reference)
                .outerjoin(Customer, Customer.id == model.customer_id)
                .where(model.id.in_(ids))
            )
            named |= {
                (kind, ident): f"{what} of customer {ref}" if ref else what for ident, ref in rows
            }
    if ids := wanted.get("card"):
        cards = session.execute(
            select(PaymentCard.id, PaymentCard.last4, Customer.reference)
            .join(Customer, Customer.id == PaymentCard.customer_id)
            .where(PaymentCard.id.in_(ids))
        )
        named |= {
            ("card", ident): f"Card ending {last4} of customer {ref}" for ident, last4, ref in cards
        }
    return named
