"""The customer store's retention targets (``retention_targets``): which rows and fields
each data category is, how each is dated, and what anonymising an order means.

- identity: a customer's name, date of birth and gender (fields; the account reference
  stays, pseudonymous);
- contact: e-mail addresses and telephone numbers, with their blind indexes (fields);
- account_password: the password hash (field);
- address, payment_cards, support_contacts, invoices: rows;
- orders: anonymised rows: the order, its lines and its total stay for the sales figures;
  the person, the account and the delivery address go (the order points at
  :data:`~klaremont.db.subjects.NOBODY`). An order still invoiced waits for its invoice;
- marketing_preferences: the person's marketing objection (a field of the data subject).

Dates: ``last_activity`` is the person's last sign-in, order or contact (their account's
creation before any); ``last_order`` their latest order; ``account_closed`` the account's
closing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select
from sqlalchemy.sql.functions import coalesce

from klaremont.customers.models import (
    Address,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    PaymentCard,
)
from klaremont.db.subjects import NOBODY, Subject, nobody
from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Clock, Target

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import ColumnElement, Table

    from klaremont.platform import UnitOfWork

C = DataCategory


def _subject_column(table: Table) -> Any:
    return table.c.id if table.name == Subject.__tablename__ else table.c.subject_id


def _last_activity(table: Table) -> ColumnElement[Any]:
    if table.name == Subject.__tablename__:
        return coalesce(table.c.last_activity_at, table.c.created_at)
    return (
        select(coalesce(Subject.last_activity_at, Subject.created_at))
        .where(Subject.id == table.c.subject_id)
        .scalar_subquery()
    )


def _last_order(table: Table) -> ColumnElement[Any]:
    latest = (
        select(func.max(Order.placed_at))
        .where(Order.subject_id == _subject_column(table))
        .scalar_subquery()
    )
    return coalesce(latest, _last_activity(table))


def _closed(table: Table) -> ColumnElement[Any]:
    if table.name == Customer.__tablename__:
        return table.c.closed_at
    return select(Customer.closed_at).where(Customer.id == table.c.customer_id).scalar_subquery()


PERSON: Mapping[str, Clock] = {
    "last_activity": _last_activity,
    "last_order": _last_order,
    "account_closed": _closed,
}


def _column(name: str) -> Clock:
    return lambda table: table.c[name]


def _anonymised(table: Table) -> ColumnElement[bool]:
    return table.c.subject_id == NOBODY


def _nobody(uow: UnitOfWork) -> dict[str, Any]:
    return {
        "subject_id": nobody(uow.session, uow.clock.now()),
        "customer_id": None,
        "delivery_address_id": None,
    }


def _not_invoiced(table: Table) -> ColumnElement[bool]:
    return ~exists().where(Invoice.order_id == table.c.id)


def targets() -> tuple[Target, ...]:
    """The customer store's targets, in the order a run takes them (invoices before the
    orders they belong to, addresses before nothing points at them)."""
    customers = Customer.__table__
    return (
        Target(
            "customers.identity",
            C.IDENTITY,
            customers,  # type: ignore[arg-type]
            PERSON,
            "customers' names, dates of birth and genders",
            fields=("name", "date_of_birth", "gender"),
            sealed=True,
        ),
        Target(
            "customers.contact",
            C.CONTACT,
            customers,  # type: ignore[arg-type]
            PERSON,
            "customers' e-mail addresses and telephone numbers",
            fields=("email", "email_bidx", "phone", "phone_bidx", "mobile", "mobile_bidx"),
            sealed=True,
        ),
        Target(
            "customers.password",
            C.ACCOUNT_PASSWORD,
            customers,  # type: ignore[arg-type]
            PERSON,
            "customers' password hashes",
            fields=("password_hash",),
        ),
        Target(
            "customers.payment_cards",
            C.PAYMENT_CARDS,
            PaymentCard.__table__,  # type: ignore[arg-type]
            PERSON,
            "saved payment cards (provider token, brand, expiry, last four digits)",
            sealed=True,
        ),
        Target(
            "customers.support_contacts",
            C.SUPPORT_CONTACTS,
            ContactRecord.__table__,  # type: ignore[arg-type]
            {"contact_resolved": _column("resolved_at")},
            "queries and complaints",
            sealed=True,
        ),
        Target(
            "customers.invoices",
            C.INVOICES,
            Invoice.__table__,  # type: ignore[arg-type]
            {"invoice_issued": _column("issued_at")},
            "invoices",
            hold_clock="issued_at",
            sealed=True,
        ),
        Target(
            "customers.orders",
            C.ORDERS,
            Order.__table__,  # type: ignore[arg-type]
            {"order_placed": _column("placed_at"), **PERSON},
            "orders",
            anonymise=_nobody,
            anonymised=_anonymised,
            children=(OrderLine.__table__.c.order_id,),
            extra=(_not_invoiced,),
        ),
        Target(
            "customers.addresses",
            C.ADDRESS,
            Address.__table__,  # type: ignore[arg-type]
            PERSON,
            "postal, billing and delivery addresses",
            references=(Order.__table__.c.delivery_address_id,),
            sealed=True,
        ),
        Target(
            "customers.marketing_objection",
            C.MARKETING_PREFERENCES,
            Subject.__table__,  # type: ignore[arg-type]
            {"last_activity": _last_activity, "last_order": _last_order},
            "people's objections to marketing",
            subject="id",
            fields=("marketing_objection_at",),
            extra=(lambda table: table.c.id != NOBODY,),
        ),
    )
