"""The customer store's audit resources in words (the audit log's ``audit_resource_names``).

``subject:`` and ``customer:`` read as the account's reference; an address, a contact record
and a card as what they are and whose. References are not personal data; nothing here
opens a sealed value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.audit.resource_names import ids_of, name_all
from klaremont.customers.models import Address, ContactRecord, Customer, PaymentCard

if TYPE_CHECKING:
    import uuid
    from collections.abc import Collection

    from sqlalchemy.orm import InstrumentedAttribute, Session

#: kind -> (the id column, the column naming the account (none: the account itself), words).
_KINDS: dict[str, tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any] | None, str]] = {
    "subject": (Customer.subject_id, None, "Customer {ref}"),
    "customer": (Customer.id, None, "Customer {ref}"),
    "address": (Address.id, Address.customer_id, "Address of customer {ref}"),
    "contact": (ContactRecord.id, ContactRecord.customer_id, "Contact record of customer {ref}"),
    "card": (PaymentCard.id, PaymentCard.customer_id, "Card ending {last4} of customer {ref}"),
}


def names(session: Session, wanted: Collection[str]) -> dict[str, str]:
    """Words for the ``subject``, ``customer``, ``address``, ``contact`` and ``card`` kinds."""
    named: dict[str, str] = {}
    for kind, (id_column, account_column, words) in _KINDS.items():
        ids = list(ids_of(wanted, kind))
        if not ids:
            continue
        last4 = PaymentCard.last4 if kind == "card" else Customer.reference
        query = select(id_column, Customer.reference, last4).where(id_column.in_(ids))
        if account_column is not None:
            query = query.select_from(id_column.class_).outerjoin(
                Customer, Customer.id == account_column
            )
        rows = session.execute(query)
        found: dict[uuid.UUID, str] = {
            ident: words.format(ref=ref, last4=digits) if ref else words.split(" of ")[0]
            for ident, ref, digits in rows
        }
        named |= name_all(wanted, kind, found)
    return named
