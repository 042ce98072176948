"""Consent audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class ConsentAction(StrEnum):
    """Consent audit tags."""

    CONSENT_CHANGE = "consent.change"
