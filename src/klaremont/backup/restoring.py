"""Restoring a backup: check it all, write it elsewhere, swap, then keep every erasure.

1. The whole file is read and every chunk checked (wrong key, altered, cut short), the
   manifest's digests compared and its schema heads looked up: a backup from a newer
   version, or for the other kind of database, is refused. Nothing has changed yet.
2. With ``keep_current``, the live databases are backed up first (``pre-restore-...``).
3. The file is read again into new databases beside the live ones (:mod:`stores`); any
   failure drops them. Only when both are complete are they swapped in.
4. Both are migrated to this version's heads, the old checkpoint file is set aside
   (:func:`klaremont.audit.restore.supersede_checkpoints`) and the backup's copy of it is
   kept beside it as ``<name>.from-backup-<id>``, the data keys the erasure ledger says were
   destroyed are destroyed again (the keystore came back too), the ledger is re-applied
   and ``backup.restore`` records it all. Then every capability that keeps a record of
   its own outside the data store re-applies it (the ``after_restore`` point: retention's
   purge ledger), so no purge is undone either. No manual step is left.

Format 1 backups (plain SQLite copies of the data store from before encryption) still
restore: checked against their manifest and SQLite's integrity check, the data store alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from klaremont import capabilities
from klaremont.audit import appender
from klaremont.audit.events import SYSTEM_ACTOR, Actor
from klaremont.audit.restore import supersede_checkpoints
from klaremont.backup import keys, stores
from klaremont.backup.actions import BackupAction
from klaremont.backup.archive import (
    PART_CHECKPOINTS,
    PART_DATA,
    PART_KEYSTORE,
    PART_MANIFEST,
    BackupInvalid,
    chunks,
    read_header,
)
from klaremont.backup.common import (
    COPY_CHUNK,
    BackupUnsupported,
    Progress,
    audit_digest,
    backup_dir,
    checkpoint_wal,
    pg_tools,
    sha256_of,
)
from klaremont.backup.creating import create
from klaremont.backup.disposed import backup_id_of
from klaremont.backup.manifest import Manifest, manifest_path
from klaremont.db import migrate
from klaremont.errors import NotFound
from klaremont.rights import ledger
from klaremont.rights.erasure import ReapplyReport, reapply

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.backup.pgtools import Tool
    from klaremont.platform import Platform

_NAMES = {PART_DATA: "data", PART_KEYSTORE: "keystore", PART_CHECKPOINTS: "checkpoints"}


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    ledger: ReapplyReport
    previous_copy: Path | None
    keys_destroyed_again: int = 0
    reapplied: dict[str, int] = field(default_factory=dict)  # after_restore: rows, by target


@dataclass(frozen=True)
class _Checked:
    manifest: Manifest
    key: bytes | None  # None: a format 1 (plain) backup


def _known(manifest: Manifest) -> None:
    for target, heads in (
        (migrate.DATA, manifest.schema_revision),
        (migrate.KEYSTORE, manifest.keystore_revision),
    ):
        known = {rev.revision for rev in migrate.script_directory(target).walk_revisions()}
        unknown = sorted(set((heads or "").split()) - known)
        if unknown:
            raise BackupInvalid(
                f"{manifest.file}: schema revision {' '.join(unknown)} is unknown to this "
                "version of Klaremont (a backup from a newer version?): upgrade Klaremont first"
            )


def _check_plain(path: Path) -> Manifest:
    outer = manifest_path(path)
    if not outer.is_file():
        raise NotFound(f"{path.name}: a plain (format 1) backup needs its manifest beside it")
    manifest = Manifest.read(outer)
    if manifest.file != path.name or sha256_of(path) != manifest.sha256:
        raise BackupInvalid(f"{path.name}: the file does not match its manifest's SHA-256")
    return manifest


def check(platform: Platform, path: Path, progress: Progress | None = None) -> Manifest:
    """Check a backup completely without changing anything; returns its manifest."""
    return _check(platform, path, progress).manifest


def _refuse_disposed(platform: Platform, path: Path) -> None:
    """A backup disposed of through the media inventory is refused by name, even when the
    file is gone (its disposal note is kept beside the backup keys)."""
    backup_id = backup_id_of(path)
    if backup_id is not None:
        keys.refuse_if_disposed(platform.settings, backup_id)


def _check(platform: Platform, path: Path, progress: Progress | None) -> _Checked:
    _refuse_disposed(platform, path)
    if not path.is_file():
        raise NotFound(f"{path.name}: no such backup file")
    with path.open("rb") as handle:
        if stores.is_sqlite_file(handle.read(16)):
            manifest = _check_plain(path)
            _integrity(path)
            _known(manifest)
            return _Checked(manifest, None)
        handle.seek(0)
        header, _ = read_header(handle, path.name)
    key = keys.load_key(platform.settings, platform.keyring, header.backup_id)
    digests = {tag: hashlib.sha256() for tag in _NAMES}
    sizes = dict.fromkeys(_NAMES, 0)
    total = path.stat().st_size
    raw = b""
    with path.open("rb") as handle:
        for tag, data, position in chunks(handle, key, path.name):
            if tag == PART_MANIFEST:
                raw = data
            else:
                digests[tag].update(data)
                sizes[tag] += len(data)
            if progress is not None:
                progress("checking", position, total)
    manifest = Manifest.parse(raw, path.name)
    for tag, name in _NAMES.items():
        recorded = manifest.parts.get(name)
        if recorded is None and not sizes[tag]:
            continue
        if (
            recorded is None
            or recorded.get("sha256") != digests[tag].hexdigest()
            or recorded.get("size") != sizes[tag]
        ):
            raise BackupInvalid(f"{path.name}: its {name} part does not match its manifest")
    if manifest.backup_id != header.backup_id or "data" not in manifest.parts:
        raise BackupInvalid(f"{path.name}: its manifest does not belong to it")
    _known(manifest)
    return _Checked(manifest, key)


def _integrity(path: Path) -> None:
    import sqlite3  # noqa: PLC0415 - only format 1 backups need it here

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError:
        result = None
    finally:
        connection.close()
    if not result or result[0] != "ok":
        raise BackupInvalid(f"{path.name}: SQLite integrity check failed")


def _targets(
    platform: Platform, checked: _Checked, tool: Tool | None
) -> dict[bytes, stores.Target]:
    """New databases beside the live ones, ready to be filled."""
    made: dict[bytes, stores.Target] = {}
    engines = {PART_DATA: platform.engine}
    if checked.key is not None:
        engines[PART_KEYSTORE] = platform.keystore_engine
    try:
        for tag, engine in engines.items():
            if tool is not None:
                made[tag] = stores.PostgresTarget(tool, engine)
            else:
                made[tag] = stores.SqliteTarget(engine)
    except BaseException:
        for target in made.values():
            target.abort()
        raise
    return made


def _fill(
    path: Path,
    checked: _Checked,
    targets: dict[bytes, stores.Target],
    aside: Path,
    progress: Progress | None,
) -> None:
    """Write the backup into the new databases (and the checkpoint copy aside)."""
    total = path.stat().st_size
    with path.open("rb") as handle, aside.open("wb") as checkpoints:
        if checked.key is None:
            done = 0
            for data in iter(lambda: handle.read(COPY_CHUNK), b""):
                targets[PART_DATA].feed(data)
                done += len(data)
                if progress is not None:
                    progress("restoring", done, total)
        else:
            for tag, data, position in chunks(handle, checked.key, path.name):
                if tag == PART_CHECKPOINTS:
                    checkpoints.write(data)
                elif tag in targets:
                    targets[tag].feed(data)
                if progress is not None:
                    progress("restoring", position, total)
    for target in targets.values():
        target.finish()


def _swap(targets: dict[bytes, stores.Target]) -> None:
    found = list(targets.values())
    pg = [t for t in found if isinstance(t, stores.PostgresTarget)]
    if pg:
        stores.swap_postgres(pg)
        return
    for target in reversed(found):  # the keystore first, then the data store
        assert isinstance(target, stores.SqliteTarget)  # noqa: S101 - one kind per backup
        target.swap()


def _destroy_again(platform: Platform) -> int:
    """Destroy again every data key the ledger says was destroyed (the keystore came back)."""
    with platform.unit_of_work() as uow:
        entries = ledger.merged(uow)
    again = 0
    for entry in entries:
        if entry.key_destroyed_at is not None and not platform.keystore.is_destroyed(entry.subject):
            platform.keystore.destroy(entry.subject, "erasure ledger re-applied after a restore")
            again += 1
    return again


def restore(
    platform: Platform,
    path: Path,
    *,
    progress: Progress | None = None,
    actor: Actor = SYSTEM_ACTOR,
    keep_current: bool = True,
) -> RestoreReport:
    """Replace both databases with a checked backup, then keep every erasure (module doc)."""
    checked = _check(platform, path, progress)
    manifest = checked.manifest
    kind = stores.backend(platform.engine)
    if manifest.database != kind or stores.backend(platform.keystore_engine) != kind:
        raise BackupUnsupported(
            f"{path.name}: a {manifest.database} backup cannot be restored into {kind}"
        )
    # a missing or too old tool is refused before any change
    tool = pg_tools(platform, "pg_restore")["pg_restore"] if kind == "postgresql" else None
    made_by = manifest.tool.removeprefix("pg_dump ")
    if tool is not None and made_by.isdigit() and int(made_by) > tool.major:
        raise BackupUnsupported(
            f"{path.name} was made by pg_dump {made_by}: restore it with pg_restore {made_by} "
            f"or newer (found {tool.major} at {tool.path})"
        )
    with platform.engine.connect() as connection:
        head = appender.read_head(connection)
        connection.rollback()
    if tool is not None:  # other sessions: refused before even the pre-restore backup
        platform.dispose()
        stores.refuse_if_busy([platform.engine.url, platform.keystore_engine.url])
    previous = create(platform, actor=actor, label="pre-restore")[0] if keep_current else None
    platform.dispose()
    checkpoint_file = platform.audit.checkpoint_file
    checkpoint_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    aside = checkpoint_file.with_name(f"{checkpoint_file.name}.from-backup-{manifest.backup_id}")
    partial = aside.with_name(aside.name + ".partial")
    targets = _targets(platform, checked, tool)
    try:
        _fill(path, checked, targets, partial, progress)
        _swap(targets)
    except BaseException:
        for target in targets.values():
            target.abort()
        partial.unlink(missing_ok=True)
        raise
    if partial.stat().st_size:
        partial.replace(aside)
    partial.unlink(missing_ok=True)
    return _after_swap(platform, manifest, actor, head, previous)


def _after_swap(
    platform: Platform,
    manifest: Manifest,
    actor: Actor,
    head: tuple[int, str] | None,
    previous: Path | None,
) -> RestoreReport:
    if manifest.keystore_included:
        migrate.upgrade(platform.keystore_engine, migrate.KEYSTORE)
    migrate.upgrade(platform.engine, migrate.DATA)
    superseded = supersede_checkpoints(platform.audit, platform.clock.now())
    again = _destroy_again(platform) if manifest.keystore_included else 0
    with platform.unit_of_work(actor=actor) as uow:
        report = reapply(uow)
        reapplied = after_restore(uow)
        uow.audit(
            BackupAction.BACKUP_RESTORE,
            resource="database:data",
            details={
                "file": manifest.file,
                "backup_id": manifest.backup_id or None,
                "sha256_b64": audit_digest(manifest.sha256) if manifest.sha256 else None,
                "backup_created_at": manifest.created_at,
                "database": manifest.database,
                "keystore_restored": manifest.keystore_included,
                "previous_head_seq": head[0] if head else None,
                "previous_head_hash_b64": audit_digest(head[1]) if head else None,
                "ledger_entries": report.entries,
                "ledger_rows_deleted": report.rows_deleted,
                "reapplied": reapplied,
                "keys_destroyed_again": again,
                "superseded_checkpoints": superseded.path.name if superseded else None,
                "superseded_checkpoints_sha256_b64": (
                    audit_digest(superseded.sha256) if superseded else None
                ),
            },
        )
    platform.audit.flush()  # the restored chain is sealed in the new file before we return
    if manifest.database == "sqlite":
        checkpoint_wal(platform)
    return RestoreReport(manifest, report, previous, again, reapplied)


#: ``provider(uow) -> {what: rows}``: a capability's own record, re-applied after a restore.
AFTER_RESTORE = "after_restore"


def after_restore(uow: Any) -> dict[str, int]:
    """Ask every ``after_restore`` provider to re-apply its record; rows changed, by name."""
    changed: dict[str, int] = {}
    for provider in capabilities.extensions(AFTER_RESTORE):
        for name, rows in cast("dict[str, int]", provider(uow)).items():
            changed[name] = changed.get(name, 0) + rows
    return changed


__all__ = ["RestoreReport", "backup_dir", "check", "restore"]
