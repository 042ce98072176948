"""What creating and restoring backups share: where they go, digests, audit, the tools."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from klaremont.audit.events import ActionTag, Actor
from klaremont.backup import stores
from klaremont.backup.pgtools import Tool, find_tool, server_major
from klaremont.db.engine import truncate_wal
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.platform import Platform

Progress = Callable[[str, int, int | None], None]
COPY_CHUNK = 1 << 20


class BackupUnsupported(ConfigurationError):
    """A database this backup cannot read or restore into (an in-memory one, a mismatch)."""

    code = "backup-unsupported"
    status = 409
    title = "Backup not possible here"


def backup_dir(platform: Platform) -> Path:
    """Where backups are written."""
    return platform.settings.var_dir / "backups"


def database_file(platform: Platform) -> Path:
    """The SQLite file of the data store (a clear refusal on another database)."""
    if stores.backend(platform.engine) != "sqlite":
        raise BackupUnsupported("the data store is not a SQLite file")
    return stores.sqlite_file(platform.engine)


def sha256_of(path: Path) -> str:
    """The file's SHA-256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def audit_digest(hex_digest: str) -> str:
    """A hex digest re-encoded for audit details (unpadded base64url): compact, and never a
    run of digits that the audit log's card-number guard could mistake for a PAN.
    """
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).decode().rstrip("=")


def audit(platform: Platform, actor: Actor, action: ActionTag, details: dict[str, object]) -> None:
    """Record one backup event."""
    with platform.unit_of_work(actor=actor) as uow:
        uow.audit(action, resource="database:data", details=details)


def pg_tools(platform: Platform, *names: str) -> dict[str, Tool]:
    """The PostgreSQL client tools this server needs, found and version-checked."""
    major = server_major(platform.engine)
    return {name: find_tool(name, major) for name in names}


def checkpoint_wal(platform: Platform) -> None:
    """Copy the WAL into the database file and truncate it (deleted pages leave the WAL)."""
    for engine in (platform.engine, platform.keystore_engine):
        truncate_wal(engine)
