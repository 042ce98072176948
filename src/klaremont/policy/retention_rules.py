"""The retention schedule in the policy file (PP-KEEP, DP-RETAIN): the data categories, the
events a period runs from, the actions, which of them each category may have, and the rule
and legal-hold tables."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import BeforeValidator, model_validator

from klaremont.policy.base import Section, Text, _raise_all
from klaremont.policy.period import Period

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

#: What happens when a period ends: ``delete`` the rows (or fields), ``anonymise`` (keep the
#: record, remove every link to the person), ``crypto_shred`` (delete, and destroy the
#: person's data key in the same run so every copy, backups included, is unreadable at once).
RetentionAction = Literal["delete", "anonymise", "crypto_shred"]
#: The actions as people read them.
ACTION_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "delete": "deleted",
        "anonymise": "anonymised (kept without any link to the person)",
        "crypto_shred": "deleted, and the person's data key destroyed",
    }
)
#: The events a retention period runs from.
RetentionEvent = Literal[
    "account_closed",
    "last_activity",
    "last_order",
    "order_placed",
    "invoice_issued",
    "consent_withdrawn",
    "request_closed",
    "contact_resolved",
    "session_ended",
    "incident_closed",
    "staff_left",
    "code_expired",
    "recorded",
]


class DataCategory(StrEnum):
    """Every category of personal data the platform holds; each needs a retention rule."""

    IDENTITY = "identity"
    CONTACT = "contact"
    ADDRESS = "address"
    ORDERS = "orders"
    INVOICES = "invoices"
    PAYMENT_CARDS = "payment_cards"
    MARKETING_PREFERENCES = "marketing_preferences"
    ACCOUNT_PASSWORD = "account_password"  # noqa: S105 - a category name, not a secret
    SUPPORT_CONTACTS = "support_contacts"
    CONSENT_RECORDS = "consent_records"
    DATA_SUBJECT_REQUESTS = "data_subject_requests"
    AUDIT_LOG = "audit_log"
    INCIDENT_RECORDS = "incident_records"
    STAFF_ACCOUNTS = "staff_accounts"
    WIFI_CREDENTIALS = "wifi_credentials"


def _to_category(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, DataCategory):
        try:
            return DataCategory(value)
        except ValueError:
            names = ", ".join(c.value for c in DataCategory)
            raise ValueError(f"must be a data category ({names}), not {value!r}") from None
    return value


Category = Annotated[DataCategory, BeforeValidator(_to_category)]

_PERSON: tuple[RetentionEvent, ...] = ("last_activity", "account_closed")
_DELETE: tuple[RetentionAction, ...] = ("delete", "crypto_shred")
_ANY: tuple[RetentionAction, ...] = ("delete", "anonymise", "crypto_shred")
C_ = DataCategory
#: The events each category's period may run from (what its records carry a date for).
CATEGORY_EVENTS: Mapping[DataCategory, tuple[RetentionEvent, ...]] = MappingProxyType(
    {
        C_.IDENTITY: (*_PERSON, "last_order"),
        C_.CONTACT: (*_PERSON, "last_order"),
        C_.ADDRESS: (*_PERSON, "last_order"),
        C_.ORDERS: ("order_placed", *_PERSON, "last_order"),
        C_.INVOICES: ("invoice_issued",),
        C_.PAYMENT_CARDS: (*_PERSON, "last_order"),
        C_.MARKETING_PREFERENCES: (*_PERSON, "consent_withdrawn"),
        C_.ACCOUNT_PASSWORD: ("account_closed", "last_activity"),
        C_.SUPPORT_CONTACTS: ("contact_resolved",),
        C_.CONSENT_RECORDS: ("consent_withdrawn",),
        C_.DATA_SUBJECT_REQUESTS: ("request_closed",),
        C_.AUDIT_LOG: ("recorded",),
        C_.INCIDENT_RECORDS: ("incident_closed",),
        C_.STAFF_ACCOUNTS: ("staff_left",),
        C_.WIFI_CREDENTIALS: ("code_expired", "session_ended"),
    }
)
#: Categories whose values are sealed under the person's data key (crypto-shredding reaches them).
SEALED_CATEGORIES: frozenset[DataCategory] = frozenset(
    {C_.IDENTITY, C_.CONTACT, C_.ADDRESS, C_.INVOICES, C_.PAYMENT_CARDS, C_.SUPPORT_CONTACTS}
)
#: What may happen to each category when its period ends (anonymising needs a record that
#: still means something without the person: an order, a staff account's history).
CATEGORY_ACTIONS: Mapping[DataCategory, tuple[RetentionAction, ...]] = MappingProxyType(
    {
        **dict.fromkeys(DataCategory, _DELETE),
        C_.IDENTITY: _ANY,
        C_.ORDERS: _ANY,
        C_.STAFF_ACCOUNTS: _ANY,
    }
)


class RetentionRule(Section):
    """How long one data category is kept, from which event, what happens after, and why
    (PCI DSS 3.2.1 asks for a justification of every period)."""

    period: Period
    after: RetentionEvent
    action: RetentionAction
    justification: Text


class RetentionSchedule(Section):
    """One rule per :class:`DataCategory`; a missing category is a missing key."""

    identity: RetentionRule
    contact: RetentionRule
    address: RetentionRule
    orders: RetentionRule
    invoices: RetentionRule
    payment_cards: RetentionRule
    marketing_preferences: RetentionRule
    account_password: RetentionRule
    support_contacts: RetentionRule
    consent_records: RetentionRule
    data_subject_requests: RetentionRule
    audit_log: RetentionRule
    incident_records: RetentionRule
    staff_accounts: RetentionRule
    wifi_credentials: RetentionRule

    @model_validator(mode="after")
    def _events_fit_categories(self) -> Self:
        problems = []
        for category, rule in self.items():
            allowed = CATEGORY_EVENTS[category]
            if rule.after not in allowed:
                problems.append(
                    f"{category.value}.after: {category.value} cannot be counted from "
                    f"{rule.after!r}; it can be counted from " + ", ".join(map(repr, allowed))
                )
            if rule.action not in CATEGORY_ACTIONS[category]:
                problems.append(
                    f"{category.value}.action: {category.value} cannot be {rule.action!r}; "
                    "it can be " + ", ".join(map(repr, CATEGORY_ACTIONS[category]))
                )
        _raise_all(problems)
        return self

    def rule(self, category: DataCategory) -> RetentionRule:
        """Return the rule for ``category``."""
        rule: RetentionRule = getattr(self, category.value)
        return rule

    def items(self) -> Iterator[tuple[DataCategory, RetentionRule]]:
        """Yield every category with its rule, in declaration order."""
        for category in DataCategory:
            yield category, self.rule(category)


class LegalHold(Section):
    """A statutory minimum that no purge or erasure may cut short."""

    category: Category
    minimum: Period
    basis: Text
