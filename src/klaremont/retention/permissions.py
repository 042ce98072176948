"""Retention permissions (``resource:action``), declared in the capability's front door.

``retention:read`` shows the schedule, the runs and the dry-run report (the DPO, the ISO,
directors); ``retention:run`` carries a run out by hand (the DPO, technical operations);
``retention:hold`` places and lifts litigation holds (the DPO alone).
"""

from __future__ import annotations

from enum import StrEnum


class RetentionPermission(StrEnum):
    """Retention permissions."""

    RETENTION_READ = "retention:read"
    RETENTION_RUN = "retention:run"
    RETENTION_HOLD = "retention:hold"
