"""The scan capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.scan.actions import ScanAction
from klaremont.scan.permissions import ScanPermission
from klaremont.staff.permissions import Role

READ = frozenset({ScanPermission.SCANS_READ})
RUN = READ | {ScanPermission.SCANS_RUN}

CAPABILITY = Capability(
    name="scan",
    summary=(
        "Discovery: card data, secrets and personal data found where they must not be, in "
        "files, logs, SQLite and PostgreSQL databases and Klaremont's own data."
    ),
    models=("klaremont.scan.models",),
    migrations="migrations",
    routers=("klaremont.scan.web.api:router", "klaremont.scan.web.pages:router"),
    cli="klaremont.scan.cli:app",
    audit_actions=ScanAction,
    permissions=ScanPermission,
    grants={
        Role.ISO: RUN,
        Role.TECHNICAL_OPERATIONS: RUN,
        Role.DPO: READ,
        Role.DIRECTOR: READ,
    },
    # reports say where card and personal data was found (masked samples only)
    data=frozenset({ScanPermission.SCANS_READ}),
    checks=("klaremont.scan.checks",),
    demo="klaremont.scan.demo_data",
    nav=(NavEntry("Data scans", "/staff/scans", ScanPermission.SCANS_READ, order=62),),
    jobs=(
        Job(
            "scan-self",
            "klaremont.scan.jobs:run_self",
            timedelta(days=1),
            "scan Klaremont's own data for card numbers, track data and card codes; any "
            "found raises an incident for the ISO",
        ),
    ),
    extensions=(("settings", "klaremont.scan.settings:ScanSettings"),),
    templates="templates",
)
