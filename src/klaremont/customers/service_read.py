"""Reading the customer store, always for a stated purpose, always audited (DP-PURPOSE).

Each function asks the purpose check first (:meth:`Access.authorise`), shows only the
categories the purpose and the reader's roles allow, and records ``personal.read``. Lists
and searches leave out the personal values of people whose data may not be used (a
restricted person appears as a reference and ``restricted: true``) instead of failing.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from klaremont.customers.access import Access, announce_read, audit_read
from klaremont.customers.account_read import ACCOUNT_CATEGORIES, age_on
from klaremont.customers.models import Address, ContactRecord, Customer, Invoice, Order
from klaremont.customers.schemas import (
    AddressOut,
    ContactOut,
    CustomerOut,
    CustomerPage,
    CustomerSummary,
    InvoiceOut,
    OrderLineOut,
    OrderOut,
)
from klaremont.db.subjects import Subject
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.purposes.decide import refusal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Select

    from klaremont.platform import UnitOfWork

C = DataCategory
PAGE_MAX = 200
# Refusals about the person (not about the reader) only withhold that person's row.
_PER_PERSON = frozenset({"subject-restricted", "subject-erased", "not-own-data"})


@cache
def _customer_query(*, by_id: bool, with_addresses: bool) -> Select[Customer]:
    """The account by id or by reference (bind ``key``), with its person (and addresses).

    Built once per shape: this runs on every customer read.
    """
    query = select(Customer).options(joinedload(Customer.subject))
    if with_addresses:  # one round trip instead of a lazy load per account
        query = query.options(joinedload(Customer.addresses))
    column = Customer.id if by_id else Customer.reference
    return query.where(column == bindparam("key"))


def find_customer(
    uow: UnitOfWork, key: str | uuid.UUID, *, with_addresses: bool = False
) -> Customer:
    """The account with this id or reference (``C0000001``), with its person loaded."""
    try:
        ident: uuid.UUID | str = key if isinstance(key, uuid.UUID) else uuid.UUID(key)
    except ValueError:
        ident = str(key).strip().upper()
    query = _customer_query(by_id=isinstance(ident, uuid.UUID), with_addresses=with_addresses)
    customer = uow.session.scalars(query, {"key": ident}).unique().one_or_none()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def customer_out(
    uow: UnitOfWork, customer: Customer, access: Access, visible: frozenset[DataCategory]
) -> CustomerOut:
    """The account with only the ``visible`` categories filled in (decrypts those only)."""
    shown = visible & ACCOUNT_CATEGORIES
    out = CustomerOut(
        id=customer.id,
        reference=customer.reference,
        subject_id=customer.subject_id,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        closed_at=customer.closed_at,
        has_password=bool(customer.password_hash),
        channel=customer.channel,
        collected_at=customer.collected_at,
        lawful_basis=customer.lawful_basis,
        purpose=access.purpose,
        shown=sorted(shown),
        withheld=sorted(ACCOUNT_CATEGORIES - shown),
    )
    if C.IDENTITY in shown:
        out.name = customer.name
        out.date_of_birth = customer.date_of_birth
        out.age = age_on(customer.date_of_birth, uow.clock.now().date())
        out.gender = customer.gender
    if C.CONTACT in shown:
        out.email, out.phone, out.mobile = customer.email, customer.phone, customer.mobile
    if C.ADDRESS in shown:
        out.addresses = [address_out(a) for a in customer.addresses]
    return out


def address_out(address: Address) -> AddressOut:
    """An address, decrypted."""
    return AddressOut(
        id=address.id,
        kind=address.kind,
        line1=address.line1,
        line2=address.line2,
        town=address.town,
        postcode=address.postcode,
        country=address.country,
        channel=address.channel,
        collected_at=address.collected_at,
        lawful_basis=address.lawful_basis,
    )


def list_customers(
    uow: UnitOfWork, access: Access, *, cursor: str | None = None, limit: int = 50
) -> CustomerPage:
    """A page of accounts ordered by reference, after ``cursor`` (a reference)."""
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationFailed.single("limit", f"must be from 1 to {PAGE_MAX}")
    query = select(Customer).options(joinedload(Customer.subject)).order_by(Customer.reference)
    if cursor:
        query = query.where(Customer.reference > cursor.strip().upper())
    rows = list(uow.session.scalars(query.limit(limit + 1)))
    page = rows[:limit]
    items = summaries(uow, page, access)
    audit_read(
        uow, access, "customers", _name_category(access, uow), count=len(items), cursor=cursor
    )
    return CustomerPage(items=items, next_cursor=page[-1].reference if len(rows) > limit else None)


def search_customers(
    uow: UnitOfWork, access: Access, *, email: str | None = None, phone: str | None = None
) -> list[CustomerSummary]:
    """Accounts whose e-mail, or phone or mobile, matches (HMAC blind index, no decryption)."""
    if (email is None) == (phone is None):
        raise ValidationFailed.single("email", "give exactly one of email or phone")
    if email is not None:
        condition = Customer.email.matches(email, uow.session)
        searched = "email"
    else:
        assert phone is not None  # noqa: S101 - narrowed by the check above
        condition = or_(
            Customer.phone.matches(phone, uow.session), Customer.mobile.matches(phone, uow.session)
        )
        searched = "phone"
    query = select(Customer).options(joinedload(Customer.subject)).where(condition)
    rows = list(uow.session.scalars(query.order_by(Customer.reference).limit(PAGE_MAX)))
    items = summaries(uow, rows, access)
    audit_read(uow, access, "customers", _name_category(access, uow), count=len(items), by=searched)
    return items


def summaries(
    uow: UnitOfWork, customers: Sequence[Customer], access: Access
) -> list[CustomerSummary]:
    """List rows; a person whose data may not be used shows no name. A refusal about the
    *reader* (role, purpose) is raised and audited on the first row."""
    access = access.resolved(uow)
    wanted = _name_category(access, uow)
    items: list[CustomerSummary] = []
    for customer in customers:
        found = refusal(
            uow,
            subject=customer.subject,
            purpose=access.purpose,
            categories=wanted,
            actor_roles=access.roles,
            channel=access.channel,
        )
        if found is not None and found.code not in _PER_PERSON:
            access.authorise(uow, customer.subject, wanted)
        items.append(
            CustomerSummary(
                id=customer.id,
                reference=customer.reference,
                created_at=customer.created_at,
                closed=customer.closed_at is not None,
                restricted=customer.subject.restricted_at is not None,
                name=customer.name if found is None and wanted else None,
            )
        )
    return items


def _name_category(access: Access, uow: UnitOfWork) -> frozenset[DataCategory]:
    return access.visible(uow) & {C.IDENTITY}


def order_out(order: Order) -> OrderOut:
    """An order with its lines."""
    return OrderOut(
        id=order.id,
        number=order.number,
        customer_id=order.customer_id,
        placed_at=order.placed_at,
        status=order.status,
        total_pence=order.total_pence,
        currency=order.currency,
        channel=order.channel,
        collected_at=order.collected_at,
        lawful_basis=order.lawful_basis,
        lines=[OrderLineOut.model_validate(line) for line in order.lines],
    )


def invoice_out(invoice: Invoice) -> InvoiceOut:
    """An invoice, decrypted."""
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        order_id=invoice.order_id,
        issued_at=invoice.issued_at,
        net_pence=invoice.net_pence,
        vat_pence=invoice.vat_pence,
        billing_name=invoice.billing_name,
        billing_address=invoice.billing_address,
        channel=invoice.channel,
        collected_at=invoice.collected_at,
        lawful_basis=invoice.lawful_basis,
    )


def contact_out(contact: ContactRecord) -> ContactOut:
    """A query or complaint, decrypted."""
    return ContactOut(
        id=contact.id,
        customer_id=contact.customer_id,
        kind=contact.kind,
        received_at=contact.received_at,
        resolved_at=contact.resolved_at,
        summary=contact.summary,
        channel=contact.channel,
        collected_at=contact.collected_at,
        lawful_basis=contact.lawful_basis,
    )


def subject_orders(uow: UnitOfWork, subject_id: uuid.UUID) -> list[Order]:
    """Every order of a person, newest first, lines loaded."""
    query = (
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.subject_id == subject_id)
        .order_by(Order.placed_at.desc(), Order.number)
    )
    return list(uow.session.scalars(query))


def subject_invoices(uow: UnitOfWork, subject_id: uuid.UUID) -> list[Invoice]:
    """Every invoice of a person, newest first."""
    query = (
        select(Invoice)
        .where(Invoice.subject_id == subject_id)
        .order_by(Invoice.issued_at.desc(), Invoice.number)
    )
    return list(uow.session.scalars(query))


def list_orders(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> list[OrderOut]:
    """A customer's orders (the whole person's, across accounts), for ``access.purpose``."""
    customer = find_customer(uow, key)
    access.resolved(uow).authorise(uow, customer.subject, {C.ORDERS})
    orders = [order_out(o) for o in subject_orders(uow, customer.subject_id)]
    audit_read(uow, access, f"customer:{customer.id}/orders", {C.ORDERS}, count=len(orders))
    announce_read(uow, access, customer.subject_id, customer.reference, "orders", {C.ORDERS})
    return orders


def get_order(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> OrderOut:
    """One order by id or number."""
    order = _find_order(uow, key)
    access.resolved(uow).authorise(uow, order.subject_id, {C.ORDERS})
    audit_read(uow, access, f"order:{order.id}", {C.ORDERS})
    announce_read(uow, access, order.subject_id, order.number, "an order", {C.ORDERS})
    return order_out(order)


def list_invoices(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> list[InvoiceOut]:
    """A customer's invoices (the whole person's), for ``access.purpose``."""
    customer = find_customer(uow, key)
    access.resolved(uow).authorise(uow, customer.subject, {C.INVOICES})
    invoices = [invoice_out(i) for i in subject_invoices(uow, customer.subject_id)]
    audit_read(uow, access, f"customer:{customer.id}/invoices", {C.INVOICES}, count=len(invoices))
    announce_read(uow, access, customer.subject_id, customer.reference, "invoices", {C.INVOICES})
    return invoices


def get_invoice(uow: UnitOfWork, key: str | uuid.UUID, access: Access) -> InvoiceOut:
    """One invoice by id or number."""
    invoice = _find_invoice(uow, key)
    access.resolved(uow).authorise(uow, invoice.subject_id, {C.INVOICES})
    audit_read(uow, access, f"invoice:{invoice.id}", {C.INVOICES})
    announce_read(uow, access, invoice.subject_id, invoice.number, "an invoice", {C.INVOICES})
    return invoice_out(invoice)


def _find_order(uow: UnitOfWork, key: str | uuid.UUID) -> Order:
    try:
        row = uow.session.get(Order, key if isinstance(key, uuid.UUID) else uuid.UUID(key))
    except ValueError:
        query = select(Order).where(Order.number == str(key).strip().upper())
        row = uow.session.scalars(query).one_or_none()
    if row is None:
        raise NotFound("No such order.")
    return row


def _find_invoice(uow: UnitOfWork, key: str | uuid.UUID) -> Invoice:
    try:
        row = uow.session.get(Invoice, key if isinstance(key, uuid.UUID) else uuid.UUID(key))
    except ValueError:
        query = select(Invoice).where(Invoice.number == str(key).strip().upper())
        row = uow.session.scalars(query).one_or_none()
    if row is None:
        raise NotFound("No such invoice.")
    return row


def subject_of(uow: UnitOfWork, subject_id: uuid.UUID) -> Subject:
    """The person, or :class:`NotFound`."""
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("No such person.")
    return subject
