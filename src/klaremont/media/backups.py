"""Backup files join the inventory by themselves (IS-MEDIA-INVENTORY).

The backup capability announces each file it writes; this registers it as an item: kind
backup, personal data yes, card data no, encrypted with AES-256-GCM under a key of its
own, in the backup directory, in technical operations' custody, with its SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from klaremont.media.models import PLACE_MAX
from klaremont.media.service import NewItem, register
from klaremont.media.states import MediaKind

if TYPE_CHECKING:
    from klaremont.backup.announcements import BackupCreated
    from klaremont.platform import UnitOfWork

ENCRYPTION = "AES-256-GCM, key of its own"
CUSTODIAN = "Technical operations"


def on_backup_created(uow: UnitOfWork, event: BackupCreated) -> str:
    """Register the new backup file as an item."""
    created = datetime.fromisoformat(event.created_at)
    item = register(
        uow,
        NewItem(
            label=event.backup_id,
            kind=MediaKind.BACKUP,
            holds_personal_data=True,
            holds_card_data=False,
            encryption=ENCRYPTION,
            location=str(Path(event.path).parent)[:PLACE_MAX],
            custodian=CUSTODIAN,
            created_on=created.date(),
            backup_id=event.backup_id,
            sha256=event.sha256,
            size=event.size,
        ),
    )
    return f"registered {item.label}"
