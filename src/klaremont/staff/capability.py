"""The staff capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job, NavEntry
from klaremont.staff.actions import StaffAction
from klaremont.staff.permissions import Role, StaffPermission

CAPABILITY = Capability(
    name="staff",
    summary=(
        "Staff identity and access: accounts, passwords, lockout, MFA, roles, sessions, "
        "remote access, leavers, reviews."
    ),
    models=("klaremont.staff.models",),
    migrations="migrations",
    routers=(
        "klaremont.staff.web.auth_api:router",
        "klaremont.staff.web.api:router",
        "klaremont.staff.web.pages:router",
        "klaremont.staff.web.review_pages:router",
        "klaremont.staff.web.admin_pages:router",
        "klaremont.staff.web.admin_actions:router",
        "klaremont.staff.web.remote_pages:router",
    ),
    cli="klaremont.staff.cli:app",
    audit_actions=StaffAction,
    permissions=StaffPermission,
    grants={
        Role.DPO: frozenset({StaffPermission.STAFF_READ}),
        Role.ISO: frozenset(
            {
                StaffPermission.STAFF_READ,
                StaffPermission.STAFF_CREATE,
                StaffPermission.STAFF_UPDATE,
                StaffPermission.STAFF_ROLES,
                StaffPermission.STAFF_VETTING,
                StaffPermission.STAFF_OFFBOARD,
                StaffPermission.STAFF_UNLOCK,
                StaffPermission.STAFF_RESET_PASSWORD,
                StaffPermission.STAFF_MAINTENANCE,
                StaffPermission.STAFF_REVIEW,
                StaffPermission.STAFF_REVIEW_SIGNOFF,
                StaffPermission.REMOTE_REVOKE,
            }
        ),
        Role.DIRECTOR: frozenset({StaffPermission.STAFF_READ, StaffPermission.STAFF_REVIEW}),
        Role.TECHNICAL_OPERATIONS: frozenset(
            {
                StaffPermission.STAFF_READ,
                StaffPermission.STAFF_UNLOCK,
                StaffPermission.STAFF_MAINTENANCE,
                StaffPermission.REMOTE_APPROVE,
                StaffPermission.REMOTE_REVOKE,
            }
        ),
        Role.MAINTENANCE: frozenset({StaffPermission.MAINTENANCE_PERFORM}),
    },
    data=frozenset({StaffPermission.STAFF_READ}),
    sensitive=frozenset(
        {
            StaffPermission.STAFF_CREATE,
            StaffPermission.STAFF_UPDATE,
            StaffPermission.STAFF_ROLES,
            StaffPermission.STAFF_OFFBOARD,
            StaffPermission.STAFF_UNLOCK,
            StaffPermission.STAFF_RESET_PASSWORD,
            StaffPermission.STAFF_MAINTENANCE,
            StaffPermission.STAFF_REVIEW_SIGNOFF,
            StaffPermission.REMOTE_APPROVE,
            StaffPermission.REMOTE_REVOKE,
        }
    ),
    checks=(
        "klaremont.staff.checks",
        "klaremont.staff.password_checks",
        "klaremont.staff.access_checks",
    ),
    demo="klaremont.staff.demo_data",
    nav=(
        NavEntry("Home", "/staff/", None, order=0),
        NavEntry("Password", "/staff/password", None, order=90),
        NavEntry("Authenticator", "/staff/mfa", None, order=91),
        NavEntry("Remote access", "/staff/remote-access", None, order=92),
        NavEntry("Access review", "/staff/access-review", StaffPermission.STAFF_REVIEW, order=30),
        NavEntry("Staff", "/staff/people", StaffPermission.STAFF_READ, order=28),
    ),
    extensions=(
        (
            "audit_resource_names",
            "klaremont.staff.audit_names:names",
        ),  # its audit resources in words
        ("request_actor", "klaremont.staff.web.principal:request_actor"),
        ("openapi", "klaremont.staff.web.openapi:document_security"),
        ("role_mail", "klaremont.staff.role_mail:role_mail"),  # alerts to a role (jobs)
        ("staff_mail", "klaremont.staff.role_mail:staff_mail"),  # to named staff (a team)
        ("metrics", "klaremont.staff.metrics:collect"),
        ("my_work", "klaremont.staff.my_work:items"),
        ("evidence_files", "klaremont.staff.audit_pack:files"),  # the access review
        ("incident_staff", "klaremont.staff.incident_staff:active_staff"),  # team seats
        # a leaver's account is anonymised a year after they left (IS-AC-LEAVER)
        ("retention_targets", "klaremont.staff.retention:targets"),
    ),
    templates="templates",
    jobs=(
        Job(
            "inactivity-sweep",
            "klaremont.staff.jobs:sweep_job",
            timedelta(days=1),
            "disable accounts idle past the policy period and expired maintenance accounts",
        ),
    ),
)
