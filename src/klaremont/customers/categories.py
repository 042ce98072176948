"""Every column of the customer store mapped to its data category, in one place (PP-DATA).

The purpose check filters by category, the access export and retention group by it. A
table has a default category; :data:`FIELD_OVERRIDES` names the columns that differ (a
customer row holds identity, contact details and the password hash). Importing this
module also writes each table's default into ``Table.info["data_category"]``, the tag the
rights and retention machinery reads (:mod:`klaremont.db.tags`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from sqlalchemy import Table

from klaremont.customers.models import (
    Address,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    OrderLine,
    PaymentCard,
)
from klaremont.db.subjects import Subject
from klaremont.db.tags import DATA_CATEGORY
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.db.base import Base

C = DataCategory

TABLE_CATEGORY: Final[Mapping[type[Base], DataCategory]] = MappingProxyType(
    {
        Subject: C.IDENTITY,
        Customer: C.IDENTITY,
        Address: C.ADDRESS,
        Order: C.ORDERS,
        OrderLine: C.ORDERS,
        Invoice: C.INVOICES,
        PaymentCard: C.PAYMENT_CARDS,
        ContactRecord: C.SUPPORT_CONTACTS,
    }
)

#: Columns whose category is not their table's.
FIELD_OVERRIDES: Final[Mapping[type[Base], Mapping[str, DataCategory]]] = MappingProxyType(
    {
        Customer: {
            "email": C.CONTACT,
            "email_bidx": C.CONTACT,
            "phone": C.CONTACT,
            "phone_bidx": C.CONTACT,
            "mobile": C.CONTACT,
            "mobile_bidx": C.CONTACT,
            "password_hash": C.ACCOUNT_PASSWORD,
        },
        Subject: {
            "restricted_at": C.DATA_SUBJECT_REQUESTS,
            "restriction_reason": C.DATA_SUBJECT_REQUESTS,
            "erased_at": C.DATA_SUBJECT_REQUESTS,
            "marketing_objection_at": C.MARKETING_PREFERENCES,
        },
    }
)


def _build() -> dict[str, dict[str, DataCategory]]:
    table: dict[str, dict[str, DataCategory]] = {}
    for model, default in TABLE_CATEGORY.items():
        overrides = FIELD_OVERRIDES.get(model, {})
        sql_table = model.__table__
        if not isinstance(sql_table, Table):  # pragma: no cover - every model maps one table
            raise TypeError(model.__name__)
        columns = sql_table.columns
        unknown = set(overrides) - {c.name for c in columns}
        if unknown:
            msg = f"{model.__name__}: category overrides name no column: {sorted(unknown)}"
            raise RuntimeError(msg)
        table[model.__tablename__] = {c.name: overrides.get(c.name, default) for c in columns}
        sql_table.info.setdefault(DATA_CATEGORY, default.value)
    return table


#: ``table -> column -> category`` for every column of every customer-store table.
FIELD_CATEGORIES: Final[Mapping[str, Mapping[str, DataCategory]]] = MappingProxyType(_build())

#: Where each item the privacy policy lists ("Klaremont may collect ...") is held (PP-DATA).
PRIVACY_POLICY_ITEMS: Final[Mapping[str, tuple[DataCategory, str]]] = MappingProxyType(
    {
        "name": (C.IDENTITY, "customers.name"),
        "age/date of birth": (C.IDENTITY, "customers.date_of_birth"),  # age is derived
        "gender": (C.IDENTITY, "customers.gender"),
        "postal address": (C.ADDRESS, "addresses.line1"),  # kind = postal
        "billing address": (C.ADDRESS, "addresses.line1"),  # kind = billing
        "delivery address": (C.ADDRESS, "addresses.line1"),  # kind = delivery
        "telephone numbers": (C.CONTACT, "customers.phone"),
        "mobile numbers": (C.CONTACT, "customers.mobile"),
        "e-mail address": (C.CONTACT, "customers.email"),
        "purchases and orders": (C.ORDERS, "orders.number"),
        "passwords": (C.ACCOUNT_PASSWORD, "customers.password_hash"),
        "payment card details": (C.PAYMENT_CARDS, "payment_cards.token"),
        "communication and marketing preferences": (
            C.MARKETING_PREFERENCES,
            "data_subjects.marketing_objection_at",  # consent records live in klaremont.consent
        ),
    }
)


def category_of(table: str, column: str) -> DataCategory:
    """The category of ``table.column``; ``KeyError`` for a column the store does not have."""
    return FIELD_CATEGORIES[table][column]


def categories_of(table: str) -> frozenset[DataCategory]:
    """Every category ``table`` holds."""
    return frozenset(FIELD_CATEGORIES[table].values())
