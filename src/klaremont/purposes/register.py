"""The purposes register: why Klaremont may process personal data, on which lawful basis,
and which data categories each purpose may touch (DP-CONTROLLER, DP-FAIR, DP-PURPOSE).

The Data Protection Policy limits the controller's activities to order processing,
invoicing and marketing; the Information Security Policy adds operational and legal needs
(customer support, legal obligations, security). Those six are the whole register: there
is no other purpose, and :func:`klaremont.purposes.decide.authorise` refuses anything it
does not list.

Which *staff* may use a purpose comes from their roles
(:data:`klaremont.staff.permissions.ROLE_PURPOSES`); which categories a role may read
comes from its permissions (:data:`CATEGORY_PERMISSION`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from klaremont.errors import ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis, Purpose
from klaremont.staff.permissions import permissions_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from klaremont.staff.permissions import Role

C = DataCategory

#: The activities the Data Protection Policy names for Klaremont as a controller.
CONTROLLER_ACTIVITIES: Final = frozenset(
    {Purpose.ORDER_PROCESSING, Purpose.INVOICING, Purpose.MARKETING}
)


@dataclass(frozen=True, slots=True)
class PurposeSpec:
    """One purpose: its lawful bases, the categories it may touch, and why it exists."""

    purpose: Purpose
    title: str
    lawful_bases: tuple[LawfulBasis, ...]
    categories: frozenset[DataCategory]
    why: str

    @property
    def controller_activity(self) -> bool:
        """True for the three activities the Data Protection Policy names."""
        return self.purpose in CONTROLLER_ACTIVITIES


_CUSTOMER_CORE = frozenset({C.IDENTITY, C.CONTACT, C.ADDRESS})

_SPECS = (
    PurposeSpec(
        Purpose.ORDER_PROCESSING,
        "Order processing",
        (LawfulBasis.CONTRACT,),
        _CUSTOMER_CORE | {C.ORDERS, C.PAYMENT_CARDS},
        "take, pay for, deliver and return orders (DP policy s.2: order processing)",
    ),
    PurposeSpec(
        Purpose.INVOICING,
        "Invoicing",
        (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.CONTRACT),
        _CUSTOMER_CORE | {C.ORDERS, C.INVOICES},
        "issue and keep VAT invoices (DP policy s.2: invoicing; HMRC record keeping)",
    ),
    PurposeSpec(
        Purpose.MARKETING,
        "Marketing",
        (LawfulBasis.CONSENT, LawfulBasis.LEGITIMATE_INTEREST),
        _CUSTOMER_CORE | {C.ORDERS, C.MARKETING_PREFERENCES},
        "special offers to people who have not opted out or objected (DP policy s.2: "
        "marketing activities; privacy policy: single customer picture)",
    ),
    PurposeSpec(
        Purpose.SUPPORT,
        "Customer support",
        (LawfulBasis.CONTRACT, LawfulBasis.LEGITIMATE_INTEREST),
        _CUSTOMER_CORE | {C.ORDERS, C.PAYMENT_CARDS, C.SUPPORT_CONTACTS, C.MARKETING_PREFERENCES},
        "answer queries and complaints (privacy policy: 'when you contact us'); an "
        "operational need under the Information Security Policy",
    ),
    PurposeSpec(
        Purpose.LEGAL_OBLIGATION,
        "Legal obligation",
        (LawfulBasis.LEGAL_OBLIGATION,),
        _CUSTOMER_CORE
        | {
            C.ORDERS,
            C.INVOICES,
            C.PAYMENT_CARDS,
            C.SUPPORT_CONTACTS,
            C.MARKETING_PREFERENCES,
            C.CONSENT_RECORDS,
            C.DATA_SUBJECT_REQUESTS,
        },
        "data subject requests, court orders, regulators, tax audits; the only purpose a "
        "restricted or erased person's retained records may still serve",
    ),
    PurposeSpec(
        Purpose.SECURITY,
        "Security",
        (LawfulBasis.LEGAL_OBLIGATION, LawfulBasis.LEGITIMATE_INTEREST),
        frozenset(
            {
                C.IDENTITY,
                C.CONTACT,
                C.ACCOUNT_PASSWORD,
                C.AUDIT_LOG,
                C.INCIDENT_RECORDS,
                C.STAFF_ACCOUNTS,
                C.WIFI_CREDENTIALS,
            }
        ),
        "keep personal data safe: sign-in, audit, incidents, wireless (IS policy)",
    ),
)

#: The register itself: every purpose Klaremont processes personal data for.
REGISTER: Final[Mapping[Purpose, PurposeSpec]] = MappingProxyType({s.purpose: s for s in _SPECS})

#: The permission (``resource:action``) a role needs to read a category (``None``: no staff
#: role reads it, e.g. password hashes, which only the sign-in check ever touches). Named by
#: value, so the register depends on no capability; a permission no capability declares yet
#: (incidents, wireless) is held by no role until its capability arrives.
CATEGORY_PERMISSION: Final[Mapping[DataCategory, str | None]] = MappingProxyType(
    {
        C.IDENTITY: "customers:read",
        C.CONTACT: "customers:read",
        C.ADDRESS: "customers:read",
        C.ORDERS: "orders:read",
        C.INVOICES: "invoices:read",
        C.PAYMENT_CARDS: "cards:read",
        C.MARKETING_PREFERENCES: "consent:read",
        C.ACCOUNT_PASSWORD: None,
        C.SUPPORT_CONTACTS: "customers:read",
        C.CONSENT_RECORDS: "consent:read",
        C.DATA_SUBJECT_REQUESTS: "dsr:read",
        C.AUDIT_LOG: "audit:read",
        C.INCIDENT_RECORDS: "incidents:read",
        C.STAFF_ACCOUNTS: "staff:read",
        C.WIFI_CREDENTIALS: "wifi:manage",
    }
)


def spec(purpose: Purpose) -> PurposeSpec:
    """The register entry of ``purpose``."""
    return REGISTER[Purpose(purpose)]


def categories_for(purpose: Purpose) -> frozenset[DataCategory]:
    """The categories ``purpose`` may touch."""
    return spec(purpose).categories


def lawful_bases(purpose: Purpose) -> tuple[LawfulBasis, ...]:
    """The lawful bases ``purpose`` rests on (DP-FAIR), the usual one first."""
    return spec(purpose).lawful_bases


def role_categories(roles: Iterable[Role]) -> frozenset[DataCategory]:
    """Every category the given roles' permissions let them read (need-to-know)."""
    held = permissions_of(roles)
    return frozenset(
        category
        for category, needed in CATEGORY_PERMISSION.items()
        if needed is not None and needed in held
    )


def parse_purpose(value: str | None, field: str = "purpose") -> Purpose:
    """The purpose named ``value``; a missing or unknown one is a 422 naming ``field``."""
    if not value:
        raise ValidationFailed.single(field, "is required: state why the data is processed")
    try:
        return Purpose(value)
    except ValueError:
        known = ", ".join(p.value for p in REGISTER)
        raise ValidationFailed.single(field, f"must be one of: {known}") from None
