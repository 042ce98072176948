"""The checkpoint file across a restore of the database.

Restoring an older backup takes the chain back to the backup's last event, while the
checkpoint file still vouches for the events after it: ``audit verify`` would (rightly)
call that truncation. A restore is a documented, audited act, so the file that sealed the
replaced chain is kept beside the new one as ``<name>.superseded-<UTC time>`` and a fresh
file starts with the restored chain. The restore's own audit event names the superseded
file and its SHA-256, so an auditor can still check the replaced chain's tail against it,
and the event itself is sealed in the new file: a later truncation is caught as before.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

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
    log.restart()
    return superseded


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
