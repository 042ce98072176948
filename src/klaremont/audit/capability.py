"""The audit capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.audit.events import AuditAction
from klaremont.audit.permissions import AuditPermission
from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="audit",
    summary=(
        "The tamper-evident audit log: hash chain, signed checkpoints, verification and reading."
    ),
    models=("klaremont.audit.models",),
    migrations="migrations",
    routers=("klaremont.audit.web.api:router", "klaremont.audit.web.pages:router"),
    cli="klaremont.audit.cli:app",
    audit_actions=AuditAction,
    permissions=AuditPermission,
    grants={
        Role.DPO: frozenset({AuditPermission.AUDIT_READ}),
        Role.ISO: frozenset({AuditPermission.AUDIT_READ, AuditPermission.AUDIT_VERIFY}),
        Role.DIRECTOR: frozenset({AuditPermission.AUDIT_READ}),
    },
    data=frozenset({AuditPermission.AUDIT_READ}),
    checks=("klaremont.audit.checks", "klaremont.audit.monitor_checks"),
    nav=(NavEntry("Audit log", "/staff/audit", AuditPermission.AUDIT_READ, order=60),),
    extensions=(("metrics", "klaremont.audit.metrics:collect"),),
    jobs=(
        Job(
            "audit-verify",
            "klaremont.audit.jobs:verify_job",
            timedelta(days=1),
            "verify the audit log's hash chain and signed checkpoints; a break raises an "
            "incident for the ISO",
        ),
        Job(
            "audit-archive",
            "klaremont.audit.archive_run:archive_job",
            timedelta(days=1),
            "move audit events older than the online period (PCI DSS 10.5.1: 3 months) into "
            "signed archive segments, and dispose of segments past the 12-month retention",
        ),
    ),
)
