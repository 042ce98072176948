"""The policy documents capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.policydocs.actions import PolicyDocAction
from klaremont.policydocs.permissions import PolicyDocPermission
from klaremont.staff.permissions import Role

READ = frozenset({PolicyDocPermission.POLICIES_READ})
MANAGE = READ | {PolicyDocPermission.POLICIES_MANAGE}

CAPABILITY = Capability(
    name="policydocs",
    summary=(
        "The company's policies in the staff console: published versions, every member of "
        "staff's acknowledgement of the current one, and each section's owner and reviews."
    ),
    models=("klaremont.policydocs.models",),
    migrations="migrations",
    routers=("klaremont.policydocs.web.pages:router",),
    cli="klaremont.policydocs.cli:app",
    audit_actions=PolicyDocAction,
    permissions=PolicyDocPermission,
    grants={
        # every member of staff reads the policies (DP-GUIDE); a maintenance account is for
        # one job and signs in for nothing else
        **{role: READ for role in Role if role is not Role.MAINTENANCE},
        Role.DPO: MANAGE,
        Role.ISO: MANAGE,
    },
    checks=("klaremont.policydocs.checks",),
    demo="klaremont.policydocs.demo_data",
    nav=(NavEntry("Policies", "/staff/policies", PolicyDocPermission.POLICIES_READ, order=5),),
    extensions=(("my_work", "klaremont.policydocs.my_work:items"),),
    jobs=(
        Job(
            "policy-reminders",
            "klaremont.policydocs.reminders:run",
            timedelta(days=1),
            "remind staff overdue on acknowledging a policy and the owners of policy sections "
            "overdue for review, once a week each",
        ),
    ),
    templates="templates",
)
