"""Incident permissions (``resource:action``), declared in the capability's front door.

``incidents:report`` is every signed-in role's (anyone may report a suspected incident,
SP-REPORT); ``incidents:read`` lets the ISO, directors and the DPO open the register;
``incidents:manage`` is the ISO's (investigate, appoint the team, move the case, decide
notifications). Team members act on their own incident by membership, checked in the
services (:mod:`klaremont.incidents.visibility`).
"""

from __future__ import annotations

from enum import StrEnum


class IncidentPermission(StrEnum):
    """Incident permissions."""

    INCIDENTS_REPORT = "incidents:report"
    INCIDENTS_READ = "incidents:read"
    INCIDENTS_MANAGE = "incidents:manage"
    #: the members' written reports in full (SP-IRT-REPORT: the ISO and the directors)
    INCIDENTS_MEMBER_REPORTS = "incidents:member_reports"
