"""What the backup capability announces to the others (``klaremont.events``).

:class:`BackupCreated` is published after a backup file is complete (sealed, renamed into
place, its outer manifest written), in the unit of work that records ``backup.create``:
the media inventory registers the file as an item with its SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class BackupCreated(DomainEvent):
    """A backup file was written under the backup directory. A subscriber that fails is
    reported, not raised: the backup is made either way (the inventory's live check finds
    a file it does not list)."""

    tolerate_failures: ClassVar[bool] = True

    backup_id: str
    path: str
    sha256: str
    size: int
    created_at: str
