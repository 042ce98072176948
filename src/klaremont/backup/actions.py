"""Backup and restore audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class BackupAction(StrEnum):
    """Backup and restore audit tags."""

    BACKUP_CREATE = "backup.create"
    BACKUP_RESTORE = "backup.restore"
    BACKUP_KEY_DESTROY = "backup.key-destroy"
    BACKUP_DISPOSED = "backup.disposed"
