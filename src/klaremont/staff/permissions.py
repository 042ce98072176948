"""Permissions, roles, and what each role may do and process for (IS-SENS-NEED, IS-USE-SCAN).

A :class:`Permission` is shaped ``resource:action``. A :class:`Role` maps to a set of
permissions and to the :class:`~klaremont.purposes.Purpose` values it may process personal
data for. Whether a role reads personal or cardholder data is *derived* from its
permissions (:data:`DATA_PERMISSIONS`), so a role that gains such a permission is at once
subject to the vetting rule (IS-SENS-VET).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from klaremont.purposes import Purpose

if TYPE_CHECKING:
    from collections.abc import Iterable


class Permission(StrEnum):
    """One thing a staff member may do, named ``resource:action``."""

    # staff accounts and access control
    STAFF_READ = "staff:read"
    STAFF_CREATE = "staff:create"
    STAFF_UPDATE = "staff:update"
    STAFF_ROLES = "staff:roles"
    STAFF_VETTING = "staff:vetting"
    STAFF_OFFBOARD = "staff:offboard"
    STAFF_UNLOCK = "staff:unlock"
    STAFF_RESET_PASSWORD = "staff:reset_password"  # noqa: S105 - a permission name, not a secret
    STAFF_MAINTENANCE = "staff:maintenance"
    STAFF_REVIEW = "staff:review"
    STAFF_REVIEW_SIGNOFF = "staff:review_signoff"
    REMOTE_APPROVE = "remote:approve"
    REMOTE_REVOKE = "remote:revoke"
    # audit
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    # customer data
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_UPDATE = "customers:update"
    CUSTOMERS_EXPORT = "customers:export"
    CUSTOMERS_ERASE = "customers:erase"
    CARDS_READ = "cards:read"
    CARDS_MANAGE = "cards:manage"
    INVOICES_READ = "invoices:read"
    INVOICES_CREATE = "invoices:create"
    ORDERS_READ = "orders:read"
    ORDERS_UPDATE = "orders:update"
    DSR_READ = "dsr:read"
    DSR_MANAGE = "dsr:manage"
    CONSENT_READ = "consent:read"
    CONSENT_MANAGE = "consent:manage"
    MARKETING_SEND = "marketing:send"
    DISCLOSURE_APPROVE = "disclosure:approve"
    RETENTION_MANAGE = "retention:manage"
    ACCURACY_REVIEW = "accuracy:review"
    PROCESSORS_READ = "processors:read"
    PROCESSORS_MANAGE = "processors:manage"
    # security operations
    INCIDENTS_REPORT = "incidents:report"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_MANAGE = "incidents:manage"
    MEDIA_READ = "media:read"
    MEDIA_MANAGE = "media:manage"
    MEDIA_APPROVE_DISPOSAL = "media:approve_disposal"
    WIFI_ISSUE_GUEST = "wifi:issue_guest"
    WIFI_MANAGE = "wifi:manage"
    KEYS_MANAGE = "keys:manage"
    SANITIZE_RUN = "sanitize:run"
    DISCOVERY_RUN = "discovery:run"
    MAINTENANCE_PERFORM = "maintenance:perform"
    # governance
    COMPLIANCE_READ = "compliance:read"
    POLICY_READ = "policy:read"

    @property
    def resource(self) -> str:
        """The part before the colon."""
        return self.value.split(":", 1)[0]

    @property
    def action(self) -> str:
        """The part after the colon."""
        return self.value.split(":", 1)[1]


class Role(StrEnum):
    """A job function; an account holds zero or more roles."""

    SUPPORT_AGENT = "support_agent"
    MARKETING = "marketing"
    FINANCE = "finance"
    ENGINEER = "engineer"
    DPO = "dpo"
    ISO = "iso"
    DIRECTOR = "director"
    TECHNICAL_OPERATIONS = "technical_operations"
    MAINTENANCE = "maintenance"


P = Permission

#: Permissions that read personal or cardholder data: a role holding any of them needs a
#: recorded background check before it is granted (IS-SENS-VET).
DATA_PERMISSIONS: Final[frozenset[Permission]] = frozenset(
    {
        P.STAFF_READ,
        P.AUDIT_READ,
        P.CUSTOMERS_READ,
        P.CUSTOMERS_UPDATE,
        P.CUSTOMERS_EXPORT,
        P.CUSTOMERS_ERASE,
        P.CARDS_READ,
        P.CARDS_MANAGE,
        P.INVOICES_READ,
        P.ORDERS_READ,
        P.DSR_READ,
        P.DSR_MANAGE,
        P.CONSENT_READ,
        P.CONSENT_MANAGE,
        P.MARKETING_SEND,
        P.INCIDENTS_MANAGE,
        P.ACCURACY_REVIEW,
    }
)

#: Permissions whose use needs a recent password entry
#: (policy ``sessions.reauth_for_sensitive_minutes``).
SENSITIVE_PERMISSIONS: Final[frozenset[Permission]] = frozenset(
    {
        P.STAFF_CREATE,
        P.STAFF_UPDATE,
        P.STAFF_ROLES,
        P.STAFF_OFFBOARD,
        P.STAFF_UNLOCK,
        P.STAFF_RESET_PASSWORD,
        P.STAFF_MAINTENANCE,
        P.STAFF_REVIEW_SIGNOFF,
        P.REMOTE_APPROVE,
        P.REMOTE_REVOKE,
        P.CUSTOMERS_EXPORT,
        P.CUSTOMERS_ERASE,
        P.KEYS_MANAGE,
        P.DISCLOSURE_APPROVE,
    }
)

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.SUPPORT_AGENT: frozenset(
        {
            P.CUSTOMERS_READ,
            P.CUSTOMERS_UPDATE,
            P.ORDERS_READ,
            P.ORDERS_UPDATE,
            P.CARDS_READ,
            P.CARDS_MANAGE,  # taking or removing a card on a phone order (tokenised at once)
            P.CONSENT_READ,
            P.DSR_READ,
            P.PROCESSORS_READ,
            P.INCIDENTS_REPORT,
            P.WIFI_ISSUE_GUEST,
            P.POLICY_READ,
        }
    ),
    Role.MARKETING: frozenset(
        {P.CUSTOMERS_READ, P.CONSENT_READ, P.MARKETING_SEND, P.INCIDENTS_REPORT, P.POLICY_READ}
    ),
    Role.FINANCE: frozenset(
        {
            P.CUSTOMERS_READ,
            P.ORDERS_READ,
            P.INVOICES_READ,
            P.INVOICES_CREATE,
            P.CARDS_READ,
            P.INCIDENTS_REPORT,
            P.POLICY_READ,
        }
    ),
    Role.ENGINEER: frozenset(
        {P.SANITIZE_RUN, P.DISCOVERY_RUN, P.COMPLIANCE_READ, P.INCIDENTS_REPORT, P.POLICY_READ}
    ),
    Role.DPO: frozenset(
        {
            P.CUSTOMERS_READ,
            P.CUSTOMERS_UPDATE,
            P.CUSTOMERS_EXPORT,
            P.CUSTOMERS_ERASE,
            P.CONSENT_READ,
            P.CONSENT_MANAGE,
            P.DSR_READ,
            P.DSR_MANAGE,
            P.PROCESSORS_READ,
            P.PROCESSORS_MANAGE,
            P.RETENTION_MANAGE,
            P.ACCURACY_REVIEW,
            P.AUDIT_READ,
            P.INCIDENTS_READ,
            P.INCIDENTS_REPORT,
            P.STAFF_READ,
            P.COMPLIANCE_READ,
            P.POLICY_READ,
        }
    ),
    Role.ISO: frozenset(
        {
            P.STAFF_READ,
            P.STAFF_CREATE,
            P.STAFF_UPDATE,
            P.STAFF_ROLES,
            P.STAFF_VETTING,
            P.STAFF_OFFBOARD,
            P.STAFF_UNLOCK,
            P.STAFF_RESET_PASSWORD,
            P.STAFF_MAINTENANCE,
            P.STAFF_REVIEW,
            P.STAFF_REVIEW_SIGNOFF,
            P.REMOTE_REVOKE,
            P.AUDIT_READ,
            P.AUDIT_VERIFY,
            P.INCIDENTS_REPORT,
            P.INCIDENTS_READ,
            P.INCIDENTS_MANAGE,
            P.MEDIA_READ,
            P.MEDIA_MANAGE,
            P.MEDIA_APPROVE_DISPOSAL,
            P.WIFI_MANAGE,
            P.KEYS_MANAGE,
            P.DISCOVERY_RUN,
            P.COMPLIANCE_READ,
            P.POLICY_READ,
        }
    ),
    Role.DIRECTOR: frozenset(
        {
            P.STAFF_READ,
            P.STAFF_REVIEW,
            P.AUDIT_READ,
            P.DISCLOSURE_APPROVE,
            P.INCIDENTS_READ,
            P.INCIDENTS_REPORT,
            P.COMPLIANCE_READ,
            P.POLICY_READ,
        }
    ),
    Role.TECHNICAL_OPERATIONS: frozenset(
        {
            P.STAFF_READ,
            P.STAFF_UNLOCK,
            P.STAFF_MAINTENANCE,
            P.REMOTE_APPROVE,
            P.REMOTE_REVOKE,
            P.WIFI_MANAGE,
            P.KEYS_MANAGE,
            P.MEDIA_READ,
            P.INCIDENTS_REPORT,
            P.COMPLIANCE_READ,
            P.POLICY_READ,
        }
    ),
    Role.MAINTENANCE: frozenset({P.MAINTENANCE_PERFORM, P.POLICY_READ}),
}

ROLE_PURPOSES: Final[dict[Role, frozenset[Purpose]]] = {
    Role.SUPPORT_AGENT: frozenset({Purpose.SUPPORT, Purpose.ORDER_PROCESSING}),
    Role.MARKETING: frozenset({Purpose.MARKETING}),
    Role.FINANCE: frozenset(
        {Purpose.INVOICING, Purpose.ORDER_PROCESSING, Purpose.LEGAL_OBLIGATION}
    ),
    Role.ENGINEER: frozenset({Purpose.SECURITY}),
    Role.DPO: frozenset({Purpose.LEGAL_OBLIGATION, Purpose.SUPPORT}),
    Role.ISO: frozenset({Purpose.SECURITY, Purpose.LEGAL_OBLIGATION}),
    Role.DIRECTOR: frozenset({Purpose.LEGAL_OBLIGATION}),
    Role.TECHNICAL_OPERATIONS: frozenset({Purpose.SECURITY}),
    Role.MAINTENANCE: frozenset(),
}

#: The roles an account's job normally needs; anything beyond is flagged "excessive"
#: in the access review (IS-AC-REVIEW).
JOB_ROLES: Final[dict[Role, frozenset[Role]]] = {
    Role.SUPPORT_AGENT: frozenset({Role.SUPPORT_AGENT}),
    Role.MARKETING: frozenset({Role.MARKETING}),
    Role.FINANCE: frozenset({Role.FINANCE}),
    Role.ENGINEER: frozenset({Role.ENGINEER}),
    Role.DPO: frozenset({Role.DPO}),
    Role.ISO: frozenset({Role.ISO}),
    Role.DIRECTOR: frozenset({Role.DIRECTOR}),
    Role.TECHNICAL_OPERATIONS: frozenset({Role.TECHNICAL_OPERATIONS, Role.ENGINEER}),
    Role.MAINTENANCE: frozenset({Role.MAINTENANCE}),
}


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Every permission the given roles hold together."""
    held: set[Permission] = set()
    for role in roles:
        held |= ROLE_PERMISSIONS[role]
    return frozenset(held)


def purposes_of(roles: Iterable[Role]) -> frozenset[Purpose]:
    """Every purpose the given roles may process personal data for."""
    allowed: set[Purpose] = set()
    for role in roles:
        allowed |= ROLE_PURPOSES[role]
    return frozenset(allowed)


def is_data_role(role: Role) -> bool:
    """True when the role reads personal or cardholder data (so needs vetting, IS-SENS-VET)."""
    return bool(ROLE_PERMISSIONS[role] & DATA_PERMISSIONS)


def excessive_roles(job: Role, roles: Iterable[Role]) -> frozenset[Role]:
    """The roles held beyond what the job needs."""
    return frozenset(roles) - JOB_ROLES[job]


def parse_role(value: str) -> Role:
    """The role named ``value``; raises ``ValueError`` naming the known roles."""
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; known roles: {known}") from None
