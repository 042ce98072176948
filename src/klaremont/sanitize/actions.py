"""Sanitise audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class SanitizeAction(StrEnum):
    """Sanitise audit tags."""

    COPY_MADE = "sanitize.copy_made"
    COPY_FAILED = "sanitize.copy_failed"
