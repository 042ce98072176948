"""Backup keys: one fresh AES-256 key per backup, wrapped by the KEK, kept in the key directory.

A backup key lives in ``<key directory>/backup-keys/<backup id>.key`` (mode 0600, the
directory 0700), beside the key file and never beside the backups: JSON with the KEK id and
the wrapped key, bound to the backup id by the wrapping's associated data, so a key file
renamed to another backup fails. Not in the keystore database: that database is itself in
every backup, and a restore of it would bring a destroyed backup key back.

Destroying a backup's key (``klaremont backup destroy-key``) overwrites and removes the
file and fsyncs the directory: the backup becomes unreadable wherever copies of it are.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from typing import TYPE_CHECKING

from klaremont.backup.archive import BackupInvalid
from klaremont.crypto.errors import CiphertextIntegrityError, UnknownKey
from klaremont.errors import Conflict, NotFound

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.config import Settings
    from klaremont.crypto.keyring import KeyRing

KEY_BYTES = 32
NOTE_SUFFIX = ".disposed"
_AAD = b"klaremont/backup-key/v1\x00"


def key_dir(settings: Settings) -> Path:
    """Where backup keys are kept: beside the key file, apart from the backups."""
    assert settings.key_file is not None  # noqa: S101 - Settings fills it in
    return settings.key_file.parent / "backup-keys"


def key_path(settings: Settings, backup_id: str) -> Path:
    """The file of one backup's key."""
    return key_dir(settings) / f"{backup_id}.key"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_key(settings: Settings, keyring: KeyRing, backup_id: str) -> bytes:
    """Make, wrap and store a fresh key for ``backup_id``; returns the key."""
    key = secrets.token_bytes(KEY_BYTES)
    kek_id, wrapped = keyring.wrap(key, _AAD + backup_id.encode())
    directory = key_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = key_path(settings, backup_id)
    payload = {
        "backup_id": backup_id,
        "kek_id": kek_id,
        "wrapped": base64.b64encode(wrapped).decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(payload) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(directory)
    return key


def has_key(settings: Settings, backup_id: str) -> bool:
    """True while the backup's key exists."""
    return key_path(settings, backup_id).is_file()


def load_key(settings: Settings, keyring: KeyRing, backup_id: str) -> bytes:
    """The backup's key, unwrapped; a clear error when destroyed, altered or under a lost KEK."""
    refuse_if_disposed(settings, backup_id)
    path = key_path(settings, backup_id)
    if not path.is_file():
        raise NotFound(
            f"backup {backup_id}: its key does not exist (destroyed, or the key directory "
            f"{key_dir(settings)} was not restored): the backup cannot be read"
        )
    try:
        data = json.loads(path.read_text())
        wrapped = base64.b64decode(data["wrapped"])
        return keyring.unwrap(str(data["kek_id"]), wrapped, _AAD + backup_id.encode())
    except (ValueError, KeyError, TypeError):
        raise BackupInvalid(f"backup {backup_id}: its key file is damaged") from None
    except CiphertextIntegrityError:
        raise BackupInvalid(
            f"backup {backup_id}: its key file does not belong to this backup or was altered"
        ) from None
    except UnknownKey as exc:
        raise BackupInvalid(f"backup {backup_id}: its key cannot be unwrapped: {exc}") from None


def destroy_key(settings: Settings, backup_id: str) -> bool:
    """Overwrite and remove the backup's key; ``False`` when there was none."""
    path = key_path(settings, backup_id)
    if not path.is_file():
        return False
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(secrets.token_bytes(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    _fsync_dir(path.parent)
    return True


class BackupDisposed(Conflict):
    """The backup was disposed of: its key is destroyed and it may never be restored."""

    code = "backup-disposed"
    status = 410
    title = "Backup disposed of"


def note_path(settings: Settings, backup_id: str) -> Path:
    """The disposal note of one backup, beside the backup keys."""
    return key_dir(settings) / f"{backup_id}{NOTE_SUFFIX}"


def refuse_if_disposed(settings: Settings, backup_id: str) -> None:
    """Raise :class:`BackupDisposed`, naming the disposal, when ``backup_id`` was disposed of."""
    path = note_path(settings, backup_id)
    if not path.is_file():
        return
    try:
        note = json.loads(path.read_text())
        said = f" (disposal {note['disposal']} of {note['disposed_on']})"
    except (ValueError, KeyError, TypeError):
        said = ""
    raise BackupDisposed(
        f"backup {backup_id} was disposed of{said}: its key was destroyed by crypto-erase "
        "and it cannot be restored"
    )
