"""Accuracy review audit tags (DP-ACCURATE).

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class AccuracyAction(StrEnum):
    """Accuracy review audit tags."""

    ACCURACY_REPORT = "accuracy.report"
    ACCURACY_READ = "accuracy.read"
    ACCURACY_CONFIRM = "accuracy.confirm"
