"""Backups of the embedded SQLite data store, and restores that cannot bring erased people back.

``create`` uses SQLite's online backup API (a consistent copy while the platform runs) and
writes the copy under ``<var>/backups/`` (mode 0600) with a manifest beside it: when, the
SHA-256, the size and the schema revision. Data keys are never in a backup: the keystore is
a separate database, so a backup alone cannot be read, and a person crypto-shredded after
the backup stays unreadable in it.

``restore`` checks the manifest and the file, disposes of the platform's connections,
copies the backup beside the live file and swaps it in with ``os.replace`` (atomic; the old
WAL is removed first), migrates it to the current schema, re-applies the erasure ledger
(:func:`klaremont.rights.erasure.reapply`) and records ``backup.restore``. Stop the web
processes before restoring: other processes' open connections keep the old file.

PostgreSQL deployments back up with ``pg_dump`` and restore with ``pg_restore``; after any
such restore, run ``klaremont backup reapply-ledger``. These functions own their
transactions, like jobs: call them outside any unit of work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from klaremont.audit import appender
from klaremont.audit.events import SYSTEM_ACTOR, ActionTag, Actor
from klaremont.audit.restore import supersede_checkpoints
from klaremont.backup.actions import BackupAction
from klaremont.db import migrate
from klaremont.errors import ConfigurationError, Conflict, NotFound
from klaremont.rights.erasure import ReapplyReport, reapply

if TYPE_CHECKING:
    from klaremont.platform import Platform

Progress = Callable[[int, int], None]
FORMAT = 1
PAGES_PER_STEP = 512
COPY_CHUNK = 1 << 20
MANIFEST_SUFFIX = ".manifest.json"
POSTGRES_ADVICE = (
    "this data store is PostgreSQL: back it up with pg_dump and restore it with pg_restore "
    "(the keystore database separately, never in the same dump); after any restore run "
    "`klaremont backup reapply-ledger` so erased people stay erased"
)


class BackupUnsupported(ConfigurationError):
    """Backups here are for the embedded SQLite store; PostgreSQL has its own tools."""

    code = "backup-unsupported"
    status = 409
    title = "Use the database's own backup tools"


class BackupInvalid(Conflict):
    """A backup's file does not match its manifest, or is not a sound database."""

    code = "backup-invalid"
    title = "Backup failed its checks"


@dataclass(frozen=True)
class Manifest:
    """What a backup is: file, time, digest, size, schema revision; never any key."""

    file: str
    created_at: str
    sha256: str
    size: int
    schema_revision: str | None
    database: str = "sqlite"
    keystore_included: bool = False
    format: int = FORMAT

    def to_json(self) -> str:
        """The manifest file's text."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest file."""
        data = json.loads(path.read_text())
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    ledger: ReapplyReport
    previous_copy: Path | None


def backup_dir(platform: Platform) -> Path:
    """Where backups are written."""
    return platform.settings.var_dir / "backups"


def database_file(platform: Platform) -> Path:
    """The SQLite file of the data store; refuses PostgreSQL with the advice to follow."""
    url = make_url(str(platform.engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupUnsupported(POSTGRES_ADVICE)
    return Path(url.database)


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


def _revision(connection: sqlite3.Connection) -> str | None:
    """The schema revision: one per head, space-separated, when capabilities have branched."""
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        return None
    return " ".join(sorted(str(row[0]) for row in rows)) or None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _audit(platform: Platform, actor: Actor, action: ActionTag, details: dict[str, object]) -> None:
    with platform.unit_of_work(actor=actor) as uow:
        uow.audit(action, resource="database:data", details=details)


def create(
    platform: Platform,
    *,
    progress: Progress | None = None,
    actor: Actor = SYSTEM_ACTOR,
    label: str = "klaremont",
) -> tuple[Path, Manifest]:
    """Copy the live database with the online backup API; returns the file and its manifest."""
    source_path = database_file(platform)
    directory = backup_dir(platform)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = platform.clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    final = directory / f"{label}-{stamp}.db"
    partial = final.with_name(final.name + ".partial")
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(partial)
    try:
        partial.chmod(0o600)

        def step(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        source.backup(target, pages=PAGES_PER_STEP, progress=step)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        revision = _revision(target)
    finally:
        target.close()
        source.close()
    _fsync(partial)
    partial.replace(final)
    manifest = Manifest(
        file=final.name,
        created_at=platform.clock.now().isoformat(),
        sha256=sha256_of(final),
        size=final.stat().st_size,
        schema_revision=revision,
    )
    manifest_path = final.with_name(final.name + MANIFEST_SUFFIX)
    manifest_path.write_text(manifest.to_json())
    manifest_path.chmod(0o600)
    _audit(
        platform,
        actor,
        BackupAction.BACKUP_CREATE,
        {"file": manifest.file, "sha256_b64": audit_digest(manifest.sha256), "size": manifest.size,
         "schema_revision": revision, "keystore_included": False},
    )  # fmt: skip
    return final, manifest


def listing(platform: Platform) -> list[tuple[Path, Manifest]]:
    """Every backup with a manifest, oldest first."""
    directory = backup_dir(platform)
    found: list[tuple[Path, Manifest]] = []
    for manifest_path in sorted(directory.glob(f"*{MANIFEST_SUFFIX}")):
        manifest = Manifest.read(manifest_path)
        found.append((directory / manifest.file, manifest))
    return sorted(found, key=lambda pair: pair[1].created_at)


def verify(path: Path) -> Manifest:
    """Check a backup against its manifest and SQLite's integrity check."""
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not path.is_file() or not manifest_path.is_file():
        raise NotFound(f"{path.name}: no such backup (a backup is the file and its manifest)")
    manifest = Manifest.read(manifest_path)
    if manifest.file != path.name or sha256_of(path) != manifest.sha256:
        raise BackupInvalid(f"{path.name}: the file does not match its manifest's SHA-256")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if not result or result[0] != "ok":
        raise BackupInvalid(f"{path.name}: SQLite integrity check failed")
    return manifest


def _check_revision(manifest: Manifest) -> None:
    known = {rev.revision for rev in migrate.script_directory(migrate.DATA).walk_revisions()}
    unknown = sorted(set((manifest.schema_revision or "").split()) - known)
    if unknown:
        raise BackupInvalid(
            f"{manifest.file}: schema revision {' '.join(unknown)} is unknown to this "
            "version of Klaremont (a backup from a newer version?)"
        )


def _head(platform: Platform) -> tuple[int, str] | None:
    with platform.engine.connect() as connection:
        head = appender.read_head(connection)
        connection.rollback()
    return head


def restore(
    platform: Platform,
    path: Path,
    *,
    progress: Progress | None = None,
    actor: Actor = SYSTEM_ACTOR,
    keep_current: bool = True,
) -> RestoreReport:
    """Replace the live database with a verified backup, then re-apply the erasure ledger."""
    live = database_file(platform)
    manifest = verify(path)
    _check_revision(manifest)
    previous: Path | None = None
    head = _head(platform) if live.exists() else None
    if keep_current and live.exists():
        previous, _ = create(platform, actor=actor, label="pre-restore")
    platform.dispose()
    staging = live.with_name(f".{live.name}.restoring")
    total = path.stat().st_size
    with path.open("rb") as source, staging.open("wb") as target:
        staging.chmod(0o600)
        copied = 0
        for chunk in iter(lambda: source.read(COPY_CHUNK), b""):
            target.write(chunk)
            copied += len(chunk)
            if progress is not None:
                progress(copied, total)
        target.flush()
        os.fsync(target.fileno())
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    staging.replace(live)  # atomic rename over the live file
    _fsync(live.parent)
    migrate.upgrade(platform.engine, migrate.DATA)
    superseded = supersede_checkpoints(platform.audit, platform.clock.now())
    with platform.unit_of_work(actor=actor) as uow:
        report = reapply(uow)
        uow.audit(
            BackupAction.BACKUP_RESTORE,
            resource="database:data",
            details={
                "file": manifest.file,
                "sha256_b64": audit_digest(manifest.sha256),
                "backup_created_at": manifest.created_at,
                "previous_head_seq": head[0] if head else None,
                "previous_head_hash_b64": audit_digest(head[1]) if head else None,
                "ledger_entries": report.entries,
                "ledger_rows_deleted": report.rows_deleted,
                "superseded_checkpoints": superseded.path.name if superseded else None,
                "superseded_checkpoints_sha256_b64": (
                    audit_digest(superseded.sha256) if superseded else None
                ),
            },
        )
    platform.audit.flush()  # the restored chain is sealed in the new file before we return
    checkpoint_wal(platform)
    return RestoreReport(manifest=manifest, ledger=report, previous_copy=previous)


def checkpoint_wal(platform: Platform) -> None:
    """Copy the WAL into the database file and truncate it (deleted pages leave the WAL)."""
    raw = platform.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def reapply_ledger(platform: Platform, *, actor: Actor = SYSTEM_ACTOR) -> ReapplyReport:
    """Re-apply the erasure ledger (after a pg_restore, or any time): both databases."""
    with platform.unit_of_work(actor=actor) as uow:
        report = reapply(uow)
    if platform.engine.dialect.name == "sqlite":
        checkpoint_wal(platform)
    return report
