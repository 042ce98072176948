"""The audit log's state at a glance, cheap enough for every page view.

A full verification reads every event (:meth:`klaremont.audit.log.AuditLog.verify`); this
reads only the newest event's number, the last line of the checkpoint file (checking that
one checkpoint's signature against the trusted keys) and the newest ``audit.verify`` event.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.audit.checkpoints import Checkpoint, parse_line
from klaremont.audit.encoding import parse_timestamp
from klaremont.audit.events import AuditAction
from klaremont.audit.models import AuditEvent

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy.orm import Session

    from klaremont.audit.log import AuditLog

TAIL_BYTES = 4096  # a checkpoint line is about 250 bytes


@dataclass(frozen=True, slots=True)
class LogStatus:
    """The newest event, the last checkpoint and whether its signature holds, and the
    newest ``audit.verify`` event (the last full check and how it ended)."""

    last_seq: int
    checkpoint: Checkpoint | None
    signature_valid: bool
    last_check: AuditEvent | None = None

    @property
    def sealed_at(self) -> datetime | None:
        """When the last checkpoint was signed (UTC)."""
        if self.checkpoint is None:
            return None
        try:
            return parse_timestamp(self.checkpoint.at)
        except ValueError:
            return None

    @property
    def unsealed(self) -> int:
        """Events recorded after the last checkpoint."""
        sealed = self.checkpoint.seq if self.checkpoint else 0
        return max(0, self.last_seq - sealed)


def last_checkpoint(path: Path) -> Checkpoint | None:
    """The last well-formed checkpoint in the last few kilobytes of the file, if any."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        return None
    for raw in reversed(tail.splitlines()[1:] if len(tail) == TAIL_BYTES else tail.splitlines()):
        parsed = parse_line(0, raw)
        if isinstance(parsed, Checkpoint):
            return parsed
    return None


def log_status(session: Session, audit: AuditLog) -> LogStatus:
    """The newest event's number and the last signed checkpoint (sealing what is pending)."""
    audit.flush()
    last = session.scalar(select(func.max(AuditEvent.seq)))
    checkpoint = last_checkpoint(audit.checkpoint_file)
    valid = False
    if checkpoint is not None:
        key = audit.trusted_keys.get(checkpoint.key_id)
        valid = key is not None and checkpoint.signature_valid(key)
    check_seq = session.scalar(
        select(func.max(AuditEvent.seq)).where(AuditEvent.action == AuditAction.AUDIT_VERIFY.value)
    )
    check = None if check_seq is None else session.get(AuditEvent, check_seq)
    return LogStatus(
        last_seq=int(last or 0), checkpoint=checkpoint, signature_valid=valid, last_check=check
    )
