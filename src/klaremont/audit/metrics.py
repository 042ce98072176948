"""The audit log's metrics (extension point ``"metrics"``): the chain head and the newest
signed checkpoint, so an alert fires when checkpoints stop being written."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import select

from klaremont.audit.checkpoints import Checkpoint, parse_line
from klaremont.audit.models import AuditHead
from klaremont.db.engine import READ_ONLY

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from klaremont.config import Settings


class Sources(Protocol):
    """What the audit metrics read (the platform has both; the audit log, a foundation
    module the platform is built from, does not import the platform)."""

    @property
    def engine(self) -> Engine:
        """The data store."""

    @property
    def settings(self) -> Settings:
        """Where the checkpoint file is."""


_TAIL_BYTES = 4096  # a checkpoint line is about 250 bytes


def newest_checkpoint(path: Path) -> Checkpoint | None:
    """The last complete checkpoint line of the file (reads only its tail)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        return None
    for raw in reversed(tail.splitlines()):
        parsed = parse_line(0, raw)
        if isinstance(parsed, Checkpoint):
            return parsed
    return None


def collect(platform: Sources) -> list[Metric]:
    """``klaremont_audit_chain_head_sequence`` and the newest checkpoint's sequence and time."""
    with platform.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        head = conn.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar()
        conn.rollback()
    found: list[Metric] = [
        GaugeMetricFamily(
            "klaremont_audit_chain_head_sequence",
            "Sequence number of the newest audit event (the chain head).",
            value=head or 0,
        )
    ]
    seq = GaugeMetricFamily(
        "klaremont_audit_last_checkpoint_sequence",
        "Sequence number sealed by the newest signed checkpoint.",
    )
    at = GaugeMetricFamily(
        "klaremont_audit_last_checkpoint_timestamp_seconds",
        "When the newest signed checkpoint was written (Unix time).",
    )
    path = platform.settings.audit_checkpoint_file
    newest = newest_checkpoint(path) if path is not None else None
    if newest is not None:
        seq.add_metric([], newest.seq)
        at.add_metric([], datetime.fromisoformat(newest.at).timestamp())
    found.extend([seq, at])
    return found
