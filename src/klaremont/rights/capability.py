"""The rights capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
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
    migrations="migrations",
    routers=(
        "klaremont.rights.web.api:router",
        "klaremont.rights.web.pages:router",
        "klaremont.rights.web.case_pages:router",
    ),
    nav=(NavEntry("Requests", "/staff/requests", RightsPermission.DSR_READ, order=20),),
    cli="klaremont.rights.cli:app",
    audit_actions=RightsAction,
    permissions=RightsPermission,
    grants={
        # Support may log a request taken by phone or letter and read the case; every
        # decision on it (identity, clock, extension, refusal, fulfilment) is the DPO's.
        Role.SUPPORT_AGENT: frozenset({RightsPermission.DSR_READ, RightsPermission.DSR_LOG}),
        Role.DPO: frozenset(
            {RightsPermission.DSR_READ, RightsPermission.DSR_LOG, RightsPermission.DSR_MANAGE}
        ),
    },
    data=frozenset(
        {RightsPermission.DSR_READ, RightsPermission.DSR_LOG, RightsPermission.DSR_MANAGE}
    ),
    checks=("klaremont.rights.checks", "klaremont.rights.request_checks"),
    demo="klaremont.rights.demo_data",
    templates="templates",
    extensions=(
        (
            "audit_resource_names",
            "klaremont.rights.audit_names:names",
        ),  # its audit resources in words
        ("my_work", "klaremont.rights.my_work:items"),
        ("evidence_files", "klaremont.rights.audit_pack:files"),  # the request register
        ("retention_targets", "klaremont.rights.retention:targets"),
        ("retention_hold", "klaremont.rights.retention:open_request_holds"),  # DPA 2018 s.173
        # what of a person's data a disclosure exports (the access copy's reading, narrowed)
        ("subject_data", "klaremont.rights.given:subject_data"),
    ),
    jobs=(
        Job(
            "dsr-due-alert",
            "klaremont.rights.jobs:alert_due",
            timedelta(days=1),
            "overdue and due-soon requests recorded for the DPO",
        ),
        Job(
            "shred-due",
            "klaremont.rights.jobs:shred_due",
            timedelta(days=1),
            "destroy erased people's keys once holds end; delete expired copies",
        ),
        Job(
            "dsr-lapsed",
            "klaremont.rights.jobs:close_lapsed",
            timedelta(days=1),
            "close requests made without signing in whose e-mail code was never used (30 days)",
        ),
    ),
)
