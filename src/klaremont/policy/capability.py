"""The policy capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability
from klaremont.policy.permissions import PolicyPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="policy",
    summary="The policy file, the clause catalogue, live checks and the trace.",
    cli="klaremont.policy.cli:app",
    permissions=PolicyPermission,
    grants={
        Role.SUPPORT_AGENT: frozenset({PolicyPermission.POLICY_READ}),
        Role.MARKETING: frozenset({PolicyPermission.POLICY_READ}),
        Role.FINANCE: frozenset({PolicyPermission.POLICY_READ}),
        Role.ENGINEER: frozenset({PolicyPermission.COMPLIANCE_READ, PolicyPermission.POLICY_READ}),
        Role.DPO: frozenset({PolicyPermission.COMPLIANCE_READ, PolicyPermission.POLICY_READ}),
        Role.ISO: frozenset({PolicyPermission.COMPLIANCE_READ, PolicyPermission.POLICY_READ}),
        Role.DIRECTOR: frozenset({PolicyPermission.COMPLIANCE_READ, PolicyPermission.POLICY_READ}),
        Role.TECHNICAL_OPERATIONS: frozenset(
            {PolicyPermission.COMPLIANCE_READ, PolicyPermission.POLICY_READ}
        ),
        Role.MAINTENANCE: frozenset({PolicyPermission.POLICY_READ}),
    },
    checks=("klaremont.policy.checks",),
    templates="templates",
)
