"""The job worker's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.jobs.actions import JobsAction
from klaremont.jobs.permissions import JobsPermission
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="jobs",
    summary=(
        "The job worker: runs every declared scheduled job once per slot across workers, "
        "records each run and alerts technical operations when a job fails or stops."
    ),
    models=("klaremont.jobs.models",),
    migrations="migrations",
    routers=("klaremont.jobs.web.api:router", "klaremont.jobs.web.pages:router"),
    cli="klaremont.jobs.cli:app",
    audit_actions=JobsAction,
    permissions=JobsPermission,
    grants={
        Role.TECHNICAL_OPERATIONS: frozenset({JobsPermission.JOBS_READ}),
        Role.ISO: frozenset({JobsPermission.JOBS_READ}),
    },
    checks=("klaremont.jobs.checks",),
    demo="klaremont.jobs.demo_data",
    templates="templates",
    nav=(NavEntry("Scheduled jobs", "/staff/jobs", JobsPermission.JOBS_READ, order=70),),
    extensions=(
        ("metrics", "klaremont.jobs.metrics:collect"),
        ("settings", "klaremont.jobs.config:JobSettings"),
        ("my_work", "klaremont.jobs.my_work:items"),
    ),
    jobs=(
        Job(
            "jobs-watchdog",
            "klaremont.jobs.watchdog:watch",
            timedelta(minutes=5),
            "alert technical operations when a scheduled job failed or has stopped running",
        ),
    ),
)
