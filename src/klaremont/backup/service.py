"""Backups of both databases, encrypted under their own key, and restores that keep erasures.

``create`` puts the data store and the keystore (SQLite: online backup API; PostgreSQL:
``pg_dump`` custom format) and a copy of the audit checkpoint file into one file under
``<var>/backups/``, sealed chunk by chunk with AES-256-GCM under a fresh key for that backup
(:mod:`klaremont.backup.archive`), with a manifest inside and beside it. The backup key is
wrapped by the KEK and kept in the key directory (:mod:`klaremont.backup.keys`), never
beside the backups; the KEK, the audit signing key and backup keys are never in a backup.
Destroying a backup's key makes every copy of that backup unreadable.

``restore`` reads the whole file once to check every chunk and the manifest before it
touches anything, writes the databases elsewhere (:mod:`klaremont.backup.stores`) and
swaps them in only when both are complete, migrates them, sets the old checkpoint file
aside, destroys again the data keys the erasure ledger says were destroyed, re-applies the
ledger (:func:`klaremont.rights.erasure.reapply`) and records ``backup.restore``. Stop the
web processes before restoring. These functions own their transactions, like jobs: call
them outside any unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from klaremont.audit.events import SYSTEM_ACTOR, Actor
from klaremont.backup import keys
from klaremont.backup.actions import BackupAction
from klaremont.backup.archive import BackupInvalid
from klaremont.backup.common import (
    BackupUnsupported,
    Progress,
    audit,
    audit_digest,
    backup_dir,
    checkpoint_wal,
    database_file,
    sha256_of,
)
from klaremont.backup.creating import create
from klaremont.backup.manifest import MANIFEST_SUFFIX, Manifest
from klaremont.backup.restoring import RestoreReport, check, restore
from klaremont.errors import NotFound
from klaremont.rights.erasure import ReapplyReport, reapply

if TYPE_CHECKING:
    from klaremont.platform import Platform


@dataclass(frozen=True)
class Listed:
    """One backup in the listing, and whether its key still exists."""

    path: Path
    manifest: Manifest
    key: str  # "present", "destroyed" or "none (format 1, not encrypted)"


def listing(platform: Platform) -> list[Listed]:
    """Every backup with a manifest, oldest first, and whether its key still exists."""
    directory = backup_dir(platform)
    found: list[Listed] = []
    for path in sorted(directory.glob(f"*{MANIFEST_SUFFIX}")):
        manifest = Manifest.read(path)
        if not manifest.encrypted:
            state = "none (format 1, not encrypted)"
        else:
            present = keys.has_key(platform.settings, manifest.backup_id)
            state = "present" if present else "destroyed"
        found.append(Listed(directory / manifest.file, manifest, state))
    return sorted(found, key=lambda item: item.manifest.created_at)


def destroy_key(platform: Platform, backup_id: str, *, actor: Actor = SYSTEM_ACTOR) -> None:
    """Crypto-shred one backup: destroy its key (audited); every copy becomes unreadable."""
    if not keys.has_key(platform.settings, backup_id):
        raise NotFound(f"backup {backup_id}: no key to destroy (unknown id, or already destroyed)")
    keys.destroy_key(platform.settings, backup_id)
    audit(platform, actor, BackupAction.BACKUP_KEY_DESTROY, {"backup_id": backup_id})


def verify(platform: Platform, path: Path, *, progress: Progress | None = None) -> Manifest:
    """Check a backup completely (every chunk, the manifest's digests) without restoring it."""
    return check(platform, path, progress)


def reapply_ledger(platform: Platform, *, actor: Actor = SYSTEM_ACTOR) -> ReapplyReport:
    """Re-apply the erasure ledger (safe any time): both databases."""
    with platform.unit_of_work(actor=actor) as uow:
        report = reapply(uow)
    if platform.engine.dialect.name == "sqlite":
        checkpoint_wal(platform)
    return report


__all__ = [
    "MANIFEST_SUFFIX",
    "BackupInvalid",
    "BackupUnsupported",
    "Listed",
    "Manifest",
    "RestoreReport",
    "audit_digest",
    "backup_dir",
    "checkpoint_wal",
    "create",
    "database_file",
    "destroy_key",
    "listing",
    "reapply_ledger",
    "restore",
    "sha256_of",
    "verify",
]
