"""The retention capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.retention.actions import RetentionAction
from klaremont.retention.permissions import RetentionPermission
from klaremont.staff.permissions import Role

READ = frozenset({RetentionPermission.RETENTION_READ})
RUN = READ | {RetentionPermission.RETENTION_RUN}

CAPABILITY = Capability(
    name="retention",
    summary=(
        "The retention schedule as data and the purge engine that applies it: dry runs, "
        "batched and resumable runs that respect every hold, crypto-shredding once nothing "
        "needs a person's key, a ledger that survives restores, and the DPO's litigation holds."
    ),
    models=("klaremont.retention.models",),
    migrations="migrations",
    routers=("klaremont.retention.web.api:router", "klaremont.retention.web.pages:router"),
    cli="klaremont.retention.cli:app",
    audit_actions=RetentionAction,
    permissions=RetentionPermission,
    grants={
        Role.DPO: RUN | {RetentionPermission.RETENTION_HOLD},
        Role.ISO: READ,
        Role.DIRECTOR: READ,
        Role.TECHNICAL_OPERATIONS: RUN,
    },
    checks=("klaremont.retention.checks",),
    demo="klaremont.retention.demo_data",
    nav=(NavEntry("Retention", "/staff/retention", RetentionPermission.RETENTION_READ, order=65),),
    jobs=(
        Job(
            "retention-run",
            "klaremont.retention.engine:scheduled",
            timedelta(hours=24),
            "delete or anonymise what the retention schedule says is due, skipping held "
            "people, and destroy the data keys nothing retained needs",
        ),
    ),
    extensions=(
        ("subject_hold", "klaremont.retention.litigation:holds_on"),  # Art. 17(3)(e)
        ("after_restore", "klaremont.retention.ledger:after_restore"),
    ),
    templates="templates",
)
