"""The single customer view (PP-COMBINE): one person across accounts, orders and contacts.

:func:`customer_view` combines everything held about one person -- every account with its
addresses, orders with lines, invoices, saved cards (masked), queries and complaints, and
marketing preferences -- but only the categories the stated purpose may touch and the
reader's roles may read. It asks the purpose check first, so a restricted person's data,
or an objector's for marketing, is refused (and the refusal audited). Reading the cards
section is a ``card.read`` event of its own (IS-AC-CHD-LOG).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from klaremont import capabilities
from klaremont.customers.access import Access, announce_read, audit_read
from klaremont.customers.models import ContactRecord, Customer
from klaremont.customers.schemas import (
    CardOut,
    ContactOut,
    CustomerOut,
    InvoiceOut,
    OrderOut,
)
from klaremont.customers.service_read import (
    contact_out,
    customer_out,
    find_customer,
    invoice_out,
    order_out,
    subject_invoices,
    subject_orders,
)
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

C = DataCategory


#: The extension point other capabilities plug a section of the single customer view into:
#: ``contribute(uow, request, view)``, called after the person's own sections are read.
VIEW_SECTIONS: Final = "customer_view"


@dataclass(frozen=True, slots=True)
class ViewRequest:
    """What a section contributor is told: whose view, for which access, which categories."""

    subject_id: uuid.UUID
    access: Access
    shown: frozenset[DataCategory]
    resource: str


class Preferences(BaseModel):
    """Communication and marketing preferences (from the consent module, when present)."""

    marketing_objection: bool
    channels: dict[str, bool] | None = None


class RecordReview(BaseModel):
    """How up to date one open account's details are (DP-ACCURATE): when they were last
    confirmed accurate or corrected and when they fall due for review again (from the
    accuracy capability, when present)."""

    reference: str
    last_confirmed_at: datetime
    basis: Literal["created", "confirmed", "rectified"]  # "created": never confirmed since
    due_on: date
    days_left: int  # 0 or less: overdue (minus the days it is late)
    state: Literal["overdue", "due_soon", "current"]


class CustomerView(BaseModel):
    """Everything one purpose may see of one person; a withheld section is ``null``."""

    subject_id: uuid.UUID
    purpose: Purpose
    shown: list[DataCategory]
    restricted: bool
    restricted_at: datetime | None = None
    marketing_objected_at: datetime | None = None
    accounts: list[CustomerOut]
    orders: list[OrderOut] | None = None
    invoices: list[InvoiceOut] | None = None
    cards: list[CardOut] | None = None
    contacts: list[ContactOut] | None = None
    preferences: Preferences | None = None
    accuracy: list[RecordReview] | None = None


def customer_view(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> CustomerView:
    """The combined picture of the person behind account ``key``, for ``access.purpose``."""
    access = access.resolved(uow)
    subject = find_customer(uow, key).subject
    shown = access.visible(uow) - {C.ACCOUNT_PASSWORD}
    access.authorise(uow, subject, shown)
    accounts = uow.session.scalars(
        select(Customer)
        .options(selectinload(Customer.addresses))
        .where(Customer.subject_id == subject.id)
        .order_by(Customer.created_at, Customer.reference)
    ).all()
    view = CustomerView(
        subject_id=subject.id,
        purpose=access.purpose,
        shown=sorted(shown),
        restricted=subject.restricted_at is not None,
        # processing state, not a category: it governs what anyone may do with the rest
        restricted_at=subject.restricted_at,
        marketing_objected_at=subject.marketing_objection_at,
        accounts=[customer_out(uow, a, access, shown) for a in accounts],
    )
    if C.ORDERS in shown:
        view.orders = [order_out(o) for o in subject_orders(uow, subject.id)]
    if C.INVOICES in shown:
        view.invoices = [invoice_out(i) for i in subject_invoices(uow, subject.id)]
    if C.SUPPORT_CONTACTS in shown:
        contacts = uow.session.scalars(
            select(ContactRecord)
            .where(ContactRecord.subject_id == subject.id)
            .order_by(ContactRecord.received_at.desc())
        )
        view.contacts = [contact_out(c) for c in contacts]
    if C.MARKETING_PREFERENCES in shown:
        view.preferences = Preferences(
            marketing_objection=subject.marketing_objection_at is not None
        )
    resource = f"subject:{subject.id}"
    # Sections other capabilities own (saved cards, marketing channels, accuracy reviews) are
    # gathered from what they plug into the view; each audits its own reads.
    for contribute in capabilities.extensions(VIEW_SECTIONS):
        contribute(uow, ViewRequest(subject.id, access, frozenset(shown), resource), view)
    audit_read(uow, access, resource, shown, view=True, accounts=len(accounts))
    reference = accounts[0].reference if accounts else str(key)
    announce_read(uow, access, subject.id, reference, "customer view", shown)
    return view
