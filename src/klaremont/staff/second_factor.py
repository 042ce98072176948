"""Who must use a second factor at every sign-in (PCI DSS 8.4.1, IS-RA-2FA).

With the policy's ``second_factor.required_for_privileged`` (on by default), an account
holding an administrative role or a role that can read card data signs in with its
authenticator code. Such an account that has not enrolled an authenticator yet may sign
in with its password alone, but that session can do nothing except change its password,
enrol an authenticator and sign out (the guard refuses everything else); confirming the
enrolment upgrades the session. An API token for such an account needs the code too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from klaremont import capabilities
from klaremont.errors import PermissionDenied
from klaremont.staff.permissions import Role, role_permissions

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.policy.model import PolicyFile

ADMINISTRATIVE_ROLES: Final[frozenset[Role]] = frozenset(
    {Role.ISO, Role.TECHNICAL_OPERATIONS, Role.DPO, Role.DIRECTOR}
)
#: The card-data permissions, by value: staff identity sits below the cards capability.
CARD_DATA_PERMISSIONS: Final[frozenset[str]] = frozenset({"cards:read", "cards:manage"})


@capabilities.derived
def second_factor_roles() -> frozenset[Role]:
    """Roles that need the second factor: administrative ones and any that can read card
    data (from the role grants the capabilities declare)."""
    return ADMINISTRATIVE_ROLES | frozenset(
        role for role, held in role_permissions().items() if held & CARD_DATA_PERMISSIONS
    )


class SecondFactorRequired(PermissionDenied):
    """A privileged account signed in without its authenticator: it may only enrol one."""

    code = "second-factor-required"
    title = "Authenticator required"


def required_for(policy: PolicyFile, roles: Iterable[Role]) -> bool:
    """True when an account holding ``roles`` must sign in with a second factor."""
    return policy.second_factor.required_for_privileged and bool(
        second_factor_roles().intersection(roles)
    )
