"""The incident-response capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.audit.announcements import AuditVerifyFailed
from klaremont.capabilities import Capability, Job, NavEntry, Subscription
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.permissions import IncidentPermission
from klaremont.media.announcements import MediaMissing
from klaremont.scan.announcements import CardDataFound
from klaremont.staff.announcements import LockoutBurst
from klaremont.staff.permissions import Role

REPORT = frozenset({IncidentPermission.INCIDENTS_REPORT})
READ = REPORT | {IncidentPermission.INCIDENTS_READ}

CAPABILITY = Capability(
    name="incidents",
    summary=(
        "Incident response: reports to the ISO, the initial investigation, the response "
        "team, the action log and the notification clocks (Security Personnel section)."
    ),
    models=(
        "klaremont.incidents.models",
        "klaremont.incidents.casefile_models",
        "klaremont.incidents.affected_models",
    ),
    migrations="migrations",
    routers=(
        "klaremont.incidents.web.api:router",
        "klaremont.incidents.web.api_case:router",
        "klaremont.incidents.web.pages:router",
        "klaremont.incidents.web.case_pages:router",
        "klaremont.incidents.web.casefile_api:router",
        "klaremont.incidents.web.evidence_pages:router",
        "klaremont.incidents.web.report_pages:router",
        "klaremont.incidents.web.affected_api:router",
        "klaremont.incidents.web.affected_pages:router",
    ),
    cli="klaremont.incidents.cli:app",
    audit_actions=IncidentAction,
    permissions=IncidentPermission,
    grants={
        # Anyone who signs in may report (SP-REPORT); maintenance accounts are for one job.
        **{role: REPORT for role in Role if role is not Role.MAINTENANCE},
        Role.DIRECTOR: READ | {IncidentPermission.INCIDENTS_MEMBER_REPORTS},
        Role.DPO: READ,
        Role.ISO: READ
        | {IncidentPermission.INCIDENTS_MANAGE, IncidentPermission.INCIDENTS_MEMBER_REPORTS},
    },
    data=frozenset(
        {
            IncidentPermission.INCIDENTS_READ,
            IncidentPermission.INCIDENTS_MANAGE,
            IncidentPermission.INCIDENTS_MEMBER_REPORTS,
        }
    ),
    checks=(
        "klaremont.incidents.checks",
        "klaremont.incidents.casefile_checks",
        "klaremont.incidents.exercise_checks",
        "klaremont.incidents.hold_checks",
    ),
    demo="klaremont.incidents.demo_data",
    nav=(NavEntry("Incidents", "/staff/incidents", IncidentPermission.INCIDENTS_REPORT, order=20),),
    extensions=(
        ("my_work", "klaremont.incidents.my_work:items"),
        ("my_work", "klaremont.incidents.report_work:items"),
        ("evidence_files", "klaremont.incidents.audit_pack:files"),  # the register
        ("settings", "klaremont.incidents.evidence_settings:EvidenceSettings"),
        ("upload_limits", "klaremont.incidents.evidence_settings:upload_limits"),
        ("subject_hold", "klaremont.incidents.affected:holds_on"),  # Art. 17(3)(e)
        ("personal_read", "klaremont.incidents.high_alert:on_read"),  # high alert
        # an ended incident's whole record goes six years after it ended
        ("retention_targets", "klaremont.incidents.retention:targets"),
    ),
    jobs=(
        Job(
            "incident-deadlines",
            "klaremont.incidents.deadlines:run",
            timedelta(minutes=15),
            "warn the ISO before each incident notification deadline and escalate a missed "
            "one to the directors",
        ),
    ),
    subscriptions=(
        Subscription(AuditVerifyFailed, "klaremont.incidents.raised:on_audit_verify_failed"),
        Subscription(LockoutBurst, "klaremont.incidents.raised:on_lockout_burst"),
        Subscription(MediaMissing, "klaremont.incidents.media_loss:on_media_missing"),
        Subscription(CardDataFound, "klaremont.incidents.card_data_found:on_card_data_found"),
    ),
    templates="templates",
)
