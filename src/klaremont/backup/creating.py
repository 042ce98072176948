"""Creating a backup: both databases and the checkpoint file, sealed under a fresh key.

The checkpoint file is copied first (after a flush), so it seals no event the dumps lack;
then the data store and the keystore are streamed in (SQLite's online backup API, or
``pg_dump`` custom format straight into the cipher); the manifest is the last chunk. A
failure removes the partial file and destroys the key made for it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from klaremont import events
from klaremont.audit import appender
from klaremont.audit.events import SYSTEM_ACTOR, Actor
from klaremont.backup import keys, stores
from klaremont.backup.actions import BackupAction
from klaremont.backup.announcements import BackupCreated
from klaremont.backup.archive import (
    PART_CHECKPOINTS,
    PART_DATA,
    PART_KEYSTORE,
    PartInfo,
    Writer,
)
from klaremont.backup.common import (
    BackupUnsupported,
    Progress,
    audit_digest,
    backup_dir,
    pg_tools,
    sha256_of,
)
from klaremont.backup.manifest import SUFFIX, Manifest, manifest_path
from klaremont.db import migrate
from klaremont.rights import ledger

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy import Engine

    from klaremont.backup.pgtools import Tool
    from klaremont.platform import Platform


def _dump(
    engine: Engine,
    tag: bytes,
    writer: Writer,
    step: Callable[[int], None],
    *,
    tool: Tool | None,
    scratch: Path,
) -> PartInfo:
    """Stream one database into the backup as part ``tag``."""
    if tool is None:
        with stores.sqlite_snapshot(engine, scratch) as source:
            return writer.write_part(tag, source, step)
    written: list[PartInfo] = []
    stores.pg_dump(tool, engine, lambda out: written.append(writer.write_part(tag, out, step)))
    return written[0]


def _revisions(engine_heads: tuple[str, ...]) -> str | None:
    return " ".join(sorted(engine_heads)) or None


def _state(platform: Platform) -> tuple[int, tuple[int, str] | None]:
    with platform.unit_of_work() as uow:
        entries = len(ledger.merged(uow))
    with platform.engine.connect() as connection:
        head = appender.read_head(connection)
        connection.rollback()
    return entries, head


def create(
    platform: Platform,
    *,
    progress: Progress | None = None,
    actor: Actor = SYSTEM_ACTOR,
    label: str = "klaremont",
) -> tuple[Path, Manifest]:
    """Back up both databases and the checkpoint file into one encrypted file."""
    kind = stores.backend(platform.engine)
    if stores.backend(platform.keystore_engine) != kind:
        raise BackupUnsupported("the data store and the keystore must be the same kind of database")
    tools = pg_tools(platform, "pg_dump") if kind == "postgresql" else {}
    directory = backup_dir(platform)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup_id = f"{label}-{platform.clock.now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    final = directory / f"{backup_id}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    platform.audit.flush()  # the checkpoint copy seals no event the dumps lack
    entries, head = _state(platform)
    heads = {
        name: _revisions(migrate.current_revisions(engine))
        for name, engine in (("data", platform.engine), ("keystore", platform.keystore_engine))
    }
    key = keys.new_key(platform.settings, platform.keyring, backup_id)
    done = 0

    def step(size: int) -> None:
        nonlocal done
        done += size
        if progress is not None:
            progress("writing", done, None)

    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as target:
            writer = Writer(target, key, backup_id)
            parts: dict[str, PartInfo] = {}
            checkpoints = platform.audit.checkpoint_file
            if checkpoints.exists():
                with checkpoints.open("rb") as source:
                    parts["checkpoints"] = writer.write_part(PART_CHECKPOINTS, source, step)
            for name, tag, engine in (
                ("data", PART_DATA, platform.engine),
                ("keystore", PART_KEYSTORE, platform.keystore_engine),
            ):
                parts[name] = _dump(
                    engine, tag, writer, step, tool=tools.get("pg_dump"), scratch=directory
                )
            tool = f"pg_dump {tools['pg_dump'].major}" if tools else "sqlite3 online backup"
            manifest = Manifest(
                file=final.name,
                created_at=platform.clock.now().isoformat(),
                sha256="",
                size=0,
                schema_revision=heads["data"],
                database=kind,
                keystore_included=True,
                format=2,
                backup_id=backup_id,
                keystore_revision=heads["keystore"],
                parts={n: {"size": p.size, "sha256": p.sha256} for n, p in parts.items()},
                ledger_entries=entries,
                audit_head_seq=head[0] if head else None,
                audit_head_hash_b64=audit_digest(head[1]) if head else None,
                checkpoints_included="checkpoints" in parts,
                tool=tool,
            )
            writer.finish(manifest.sealed().to_json().encode())
            target.flush()
            os.fsync(target.fileno())
        partial.replace(final)
        stores.fsync_path(directory)
    except BaseException:
        partial.unlink(missing_ok=True)
        keys.destroy_key(platform.settings, backup_id)
        raise
    manifest = replace(manifest, sha256=sha256_of(final), size=final.stat().st_size)
    outer = manifest_path(final)
    outer.write_text(manifest.to_json())
    outer.chmod(0o600)
    with platform.unit_of_work(actor=actor) as uow:
        uow.audit(
            BackupAction.BACKUP_CREATE,
            resource="database:data",
            details={
                "file": manifest.file,
                "backup_id": backup_id,
                "sha256_b64": audit_digest(manifest.sha256),
                "size": manifest.size,
                "schema_revision": manifest.schema_revision,
                "database": kind,
                "keystore_included": True,
                "encrypted": True,
            },
        )
        # the media inventory registers the file (IS-MEDIA-INVENTORY)
        events.publish(
            uow,
            BackupCreated(
                backup_id=backup_id,
                path=str(final),
                sha256=manifest.sha256,
                size=manifest.size,
                created_at=manifest.created_at,
            ),
        )
    return final, manifest
