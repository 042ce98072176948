"""The checkpoint file across a restore of the database.

Restoring an older backup takes the chain back to the backup's last event, while the
checkpoint file still vouches for the events after it: ``audit verify`` would (rightly)
call that truncation. A restore is a documented, audited act, so the file that sealed the
replaced chain is kept beside the new one as ``<name>.superseded-<UTC time>`` and a fresh
file starts with the restored chain. The restore's own audit event names the superseded
file and its SHA-256, so an auditor can still check the replaced chain's tail against it,
and the event itself is sealed in the new file: a later truncation is caught as before.

The archive (:mod:`klaremont.audit.archive`) stays beside the checkpoints and is not in a
backup. A restored chain always agrees with the archive on the events both hold (it is the
same chain, cut at the backup's end), so the archive keeps verifying: segments the backup
still has as rows are checked against them, and the next archive run finishes them. Only
segments reaching past the restored chain's end describe events the restore replaced: their
manifest lines (and files) are set aside like the checkpoint file, as
``manifest.jsonl.superseded-<UTC time>``, and the new manifest keeps the rest, line for line.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from klaremont.audit.archive_format import MANIFEST, archive_dir, read_manifest
from klaremont.audit.archive_verify import recorded_ranges
from klaremont.audit.checkpoints import PRIVATE_MODE

if TYPE_CHECKING:
    from datetime import datetime

    from klaremont.audit.log import AuditLog


@dataclass(frozen=True)
class Superseded:
    """The checkpoint file set aside by a restore."""

    path: Path
    sha256: str
    lines: int


def supersede_checkpoints(log: AuditLog, when: datetime) -> Superseded | None:
    """Set the current checkpoint file aside and start afresh (``None``: there was none)."""
    log.close()
    current = log.checkpoint_file
    superseded = None
    if current.exists():
        data = current.read_bytes()
        target = current.with_name(f"{current.name}.superseded-{when:%Y%m%dT%H%M%S%fZ}")
        current.replace(target)
        _fsync_dir(current.parent)
        superseded = Superseded(target, hashlib.sha256(data).hexdigest(), data.count(b"\n"))
    supersede_archive(log, when)
    log.restart()
    return superseded


def supersede_archive(log: AuditLog, when: datetime) -> Path | None:
    """Set aside the archive's records of events past the restored chain's end (``None``:
    nothing reached past it)."""
    engine = log.engine
    directory = archive_dir(log.checkpoint_file)
    manifest = directory / MANIFEST
    if engine is None or not manifest.exists():
        return None
    with engine.connect() as conn:
        last = conn.exec_driver_sql("SELECT max(seq) FROM audit_events").scalar()
        conn.rollback()
    end = max(int(last or 0), max(recorded_ranges(engine).values(), default=(0, "", ""))[0])
    records, _bad = read_manifest(directory)
    beyond = {r.line for r in records if r.hi > end}
    if not beyond:
        return None
    stamp = f"{when:%Y%m%dT%H%M%S%fZ}"
    lines = manifest.read_bytes().splitlines(keepends=True)
    aside = manifest.with_name(f"{MANIFEST}.superseded-{stamp}")
    kept = b"".join(line for number, line in enumerate(lines, start=1) if number not in beyond)
    temp = manifest.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    temp.write_bytes(kept)
    temp.chmod(PRIVATE_MODE)
    os.link(manifest, aside)
    temp.replace(manifest)
    for record in records:
        segment = directory / record.file
        if record.line in beyond and segment.exists():
            segment.replace(segment.with_name(f"{record.file}.superseded-{stamp}"))
    _fsync_dir(directory)
    return aside


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
