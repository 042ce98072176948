"""Policy document audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class PolicyDocAction(StrEnum):
    """Policy document audit tags."""

    PUBLISHED = "policydoc.published"
    ACKNOWLEDGED = "policydoc.acknowledged"
    REVIEWED = "policydoc.reviewed"
    REMINDED = "policydoc.reminded"
