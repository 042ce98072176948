"""The data categories as people read them: one wording for every page, report and copy.

The policy's categories are codes (``payment_cards``); staff typed them into forms and
customers read them in their access copy. Everything shown to a person names a category by
:func:`label_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from klaremont.policy.model import DataCategory

C = DataCategory

CATEGORY_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        C.IDENTITY: "Name, date of birth, gender",
        C.CONTACT: "E-mail and telephone numbers",
        C.ADDRESS: "Postal, billing and delivery addresses",
        C.ORDERS: "Orders",
        C.INVOICES: "Invoices",
        C.PAYMENT_CARDS: "Saved payment cards",
        C.MARKETING_PREFERENCES: "Marketing preferences",
        C.ACCOUNT_PASSWORD: "Account passwords",
        C.SUPPORT_CONTACTS: "Queries and complaints",
        C.CONSENT_RECORDS: "Consent records",
        C.DATA_SUBJECT_REQUESTS: "Data-subject requests",
        C.AUDIT_LOG: "Audit log",
        C.INCIDENT_RECORDS: "Incident records",
        C.STAFF_ACCOUNTS: "Staff accounts of leavers",
        C.WIFI_CREDENTIALS: "Guest wireless codes",
    }
)


def label_of(category: str) -> str:
    """The category as a person reads it (an unknown code as it is)."""
    return CATEGORY_LABELS.get(category, category)


def labels_of(categories: Iterable[str]) -> str:
    """The categories in words, separated by semicolons (labels hold commas)."""
    return "; ".join(label_of(c) for c in categories)


def choices() -> list[tuple[str, str]]:
    """``(code, words)`` for every category, in the policy's order: a form's choices."""
    return [(c.value, label_of(c.value)) for c in DataCategory]
