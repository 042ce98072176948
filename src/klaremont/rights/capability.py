"""The rights capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.rights.actions import RightsAction
from klaremont.rights.permissions import RightsPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="rights",
    summary=(
        "Data-subject rights: intake, identity, deadlines, access, portability, erasure, "
        "rectification, restriction, objection."
    ),
    models=("klaremont.rights.models",),
    routers=("klaremont.rights.web.api:router",),
    cli="klaremont.rights.cli:app",
    audit_actions=RightsAction,
    permissions=RightsPermission,
    grants={
        Role.SUPPORT_AGENT: frozenset({RightsPermission.DSR_READ}),
        Role.DPO: frozenset({RightsPermission.DSR_READ, RightsPermission.DSR_MANAGE}),
    },
    data=frozenset({RightsPermission.DSR_READ, RightsPermission.DSR_MANAGE}),
    checks=("klaremont.rights.checks",),
    templates="templates",
)
