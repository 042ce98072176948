"""Job worker permissions (``resource:action``), declared in the capability's front door."""

from __future__ import annotations

from enum import StrEnum


class JobsPermission(StrEnum):
    """Job worker permissions."""

    JOBS_READ = "jobs:read"
