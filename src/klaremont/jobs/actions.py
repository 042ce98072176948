"""Job worker audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class JobsAction(StrEnum):
    """Job worker audit tags."""

    JOB_RUN_NOW = "jobs.run_now"
    JOB_TAKEOVER = "jobs.takeover"
    JOB_ALERT = "jobs.alert"
    JOB_ALERT_CLEARED = "jobs.alert_cleared"
