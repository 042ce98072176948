"""Permissions, roles, and what each role may do and process for (IS-SENS-NEED, IS-USE-SCAN).

A :class:`Permission` is shaped ``resource:action``. A :class:`Role` maps to a set of
permissions and to the :class:`~klaremont.purposes.Purpose` values it may process personal
data for. Whether a role reads personal or cardholder data is *derived* from its
permissions (:func:`data_permissions`), so a role that gains such a permission is at once
subject to the vetting rule (IS-SENS-VET).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from klaremont import capabilities
from klaremont.policy.purposes import Purpose

if TYPE_CHECKING:
    from collections.abc import Iterable


#: Any declared permission: a member of some capability's ``permissions`` enum.
Permission = StrEnum


class StaffPermission(StrEnum):
    """Staff accounts and access control; named ``resource:action``."""

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
    MAINTENANCE_PERFORM = "maintenance:perform"

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


@capabilities.derived
def role_permissions() -> Mapping[Role, frozenset[Permission]]:
    """Role to every permission it holds: the union of what the capabilities grant it."""
    granted = capabilities.role_grants()
    return MappingProxyType({role: granted.get(role.value, frozenset()) for role in Role})


@capabilities.derived
def data_permissions() -> frozenset[Permission]:
    """Permissions that read personal or cardholder data: a role holding any of them needs a
    recorded background check before it is granted (IS-SENS-VET)."""
    return capabilities.flagged("data")


@capabilities.derived
def sensitive_permissions() -> frozenset[Permission]:
    """Permissions whose use needs a recent password entry
    (policy ``sessions.reauth_for_sensitive_minutes``)."""
    return capabilities.flagged("sensitive")


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
        held |= role_permissions()[role]
    return frozenset(held)


def purposes_of(roles: Iterable[Role]) -> frozenset[Purpose]:
    """Every purpose the given roles may process personal data for."""
    allowed: set[Purpose] = set()
    for role in roles:
        allowed |= ROLE_PURPOSES[role]
    return frozenset(allowed)


def is_data_role(role: Role) -> bool:
    """True when the role reads personal or cardholder data (so needs vetting, IS-SENS-VET)."""
    return bool(role_permissions()[role] & data_permissions())


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
