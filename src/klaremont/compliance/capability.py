"""The compliance view's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.compliance.actions import ComplianceAction
from klaremont.compliance.permissions import CompliancePermission
from klaremont.staff.permissions import Role

VIEW = frozenset({CompliancePermission.COMPLIANCE_VIEW})

CAPABILITY = Capability(
    name="compliance",
    summary=(
        "The compliance view: every policy clause with its controls, tests, live status and "
        "its history; the signed evidence pack for an auditor; clause statuses as metrics."
    ),
    models=("klaremont.compliance.models",),
    migrations="migrations",
    routers=("klaremont.compliance.web.pages:router",),
    cli="klaremont.compliance.cli:app",
    audit_actions=ComplianceAction,
    permissions=CompliancePermission,
    grants={Role.DIRECTOR: VIEW, Role.DPO: VIEW, Role.ISO: VIEW},
    # the evidence pack holds the access review (staff names) and the registers
    data=VIEW,
    nav=(
        NavEntry("Compliance", "/staff/compliance", CompliancePermission.COMPLIANCE_VIEW, order=68),
    ),
    jobs=(
        Job(
            "compliance-history",
            "klaremont.compliance.history:check_all",
            timedelta(hours=1),
            "run every live check and record each clause whose status changed",
        ),
    ),
    extensions=(("metrics", "klaremont.compliance.metrics:collect"),),
    templates="templates",
)
