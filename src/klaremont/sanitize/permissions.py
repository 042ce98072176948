"""Sanitise permissions (``resource:action``), declared in the capability's front door.

``sanitize:read`` opens the record of sanitised copies and their reports (the ISO and
technical operations, who make development copies).
"""

from __future__ import annotations

from enum import StrEnum


class SanitizePermission(StrEnum):
    """Sanitise permissions."""

    SANITIZE_READ = "sanitize:read"
