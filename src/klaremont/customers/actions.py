"""Customer store audit tags (personal data read and changed).

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class CustomerAction(StrEnum):
    """Customer store audit tags."""

    PERSONAL_DATA_READ = "personal.read"
    PERSONAL_DATA_CREATE = "personal.create"
    PERSONAL_DATA_UPDATE = "personal.update"
    PERSONAL_DATA_DELETE = "personal.delete"
