"""A backup disposed of through the media inventory (IS-MEDIA-DISPOSE, IS-MEDIA-WIPE).

The media capability announces a carried-out disposal; for a backup file this module
crypto-erases it: it writes a disposal note beside the backup keys (``<id>.disposed``:
the disposal's reference and date), destroys the backup's key and deletes the file and
its manifest. The note lives with the keys, outside both databases, so restoring an older
database cannot bring the backup back to life: any later restore of that backup (a copy
kept elsewhere, or the file name) is refused naming the disposal.

The key's destruction cannot be rolled back with the transaction; the media service
announces the disposal as the last step of carrying it out, so nothing after it can fail.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Protocol

from klaremont.backup import keys
from klaremont.backup.actions import BackupAction
from klaremont.backup.common import backup_dir
from klaremont.backup.manifest import SUFFIX, manifest_path

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.platform import UnitOfWork


class Disposal(Protocol):
    """What this module reads of the media capability's announcement."""

    @property
    def backup_id(self) -> str | None: ...
    @property
    def disposal(self) -> str: ...
    @property
    def disposed_on(self) -> str: ...


def backup_id_of(path: Path) -> str | None:
    """The backup id a backup file's name carries (``<id>.kbak``)."""
    return path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else None


def on_media_disposed(uow: UnitOfWork, event: Disposal) -> str | None:
    """Crypto-erase a disposed backup: note, destroy the key, delete the file (audited)."""
    backup_id = event.backup_id
    if backup_id is None:
        return None
    settings = uow.platform.settings
    directory = keys.key_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    note = keys.note_path(settings, backup_id)
    fd = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            json.dumps({"disposal": event.disposal, "disposed_on": event.disposed_on}) + "\n"
        )
        handle.flush()
        os.fsync(handle.fileno())
    destroyed = keys.destroy_key(settings, backup_id)
    file = backup_dir(uow.platform) / f"{backup_id}{SUFFIX}"
    deleted = file.is_file()
    file.unlink(missing_ok=True)
    manifest_path(file).unlink(missing_ok=True)
    uow.audit(
        BackupAction.BACKUP_DISPOSED,
        resource="database:data",
        details={
            "backup_id": backup_id,
            "disposal": event.disposal,
            "key_destroyed": destroyed,
            "file_deleted": deleted,
        },
    )
    return f"backup {backup_id}: key destroyed, file deleted"
