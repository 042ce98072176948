"""Incident audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentAction(StrEnum):
    """Incident audit tags."""

    REPORTED = "incident.reported"
    ISO_ALERTED = "incident.iso_alerted"
    ACCESS_DENIED = "incident.access_denied"
    STATE_CHANGED = "incident.state_changed"
    TRANSITION_REFUSED = "incident.transition_refused"
    TEAM_APPOINTED = "incident.team_appointed"
    ACTION_LOGGED = "incident.action_logged"
    ASSESSED = "incident.assessed"
    NOTIFICATION_DECIDED = "incident.notification_decided"
    DEADLINE_WARNING = "incident.deadline_warning"
    DEADLINE_MISSED = "incident.deadline_missed"
    LOG_VERIFIED = "incident.log_verified"
    # phase 2: the case file (evidence and its custody, member reports, the timeline)
    EVIDENCE_ADDED = "incident.evidence_added"
    EVIDENCE_DOWNLOADED = "incident.evidence_downloaded"
    EVIDENCE_EXPORTED = "incident.evidence_exported"
    EVIDENCE_VERIFIED = "incident.evidence_verified"
    MEMBER_REPORT_SUBMITTED = "incident.member_report_submitted"
    MEMBER_REPORT_AMENDED = "incident.member_report_amended"
    MEMBER_REPORTS_READ = "incident.member_reports_read"
    TIMELINE_PRODUCED = "incident.timeline_produced"
    # phase 2b: affected customers, the legal hold, high alert, customer notices
    AFFECTED_LISTED = "incident.affected_listed"
    HOLD_PLACED = "incident.hold_placed"
    HOLD_LIFTED = "incident.hold_lifted"
    HIGH_ALERT = "incident.high_alert"
    CUSTOMER_NOTICES_SENT = "incident.customer_notices_sent"
