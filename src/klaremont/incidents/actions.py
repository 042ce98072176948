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
