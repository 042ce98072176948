"""Run records: numbering, who owns a run, and what a run that stopped half way left.

A run is owned by ``host:pid``. The next run finds a run still marked ``running`` and
marks it ``interrupted`` when its owner is gone (same host, process not alive) or its
heartbeat is older than :data:`STALE`; otherwise it refuses to start beside it. Nothing of
an interrupted run needs undoing: every batch committed with its own record, and the rows
it did not reach are still due, so the new run simply carries on.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from klaremont.errors import Conflict
from klaremont.retention.actions import RetentionAction
from klaremont.retention.models import RetentionRun

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

STALE = timedelta(minutes=10)
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"
DRY = "dry run"


class RunInProgress(Conflict):
    """Another retention run is working now."""

    code = "retention-run-in-progress"
    title = "A retention run is already in progress"


def owner() -> str:
    """This process, as ``host:pid``."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _gone(run_owner: str) -> bool:
    host, _, pid = run_owner.rpartition(":")
    if host != socket.gethostname()[:100] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # pragma: no cover - someone else's live process
        return False
    return int(pid) == os.getpid()  # a run of ours still marked running is over


def numbered(uow: UnitOfWork, column: Any, letters: str) -> str:
    """The next ``<letters>-<year>-<n>`` of ``column`` (a unique reference), within the year."""
    prefix = f"{letters}-{uow.clock.now().year}-"
    count = uow.session.scalar(select(func.count()).where(column.like(prefix + "%")))
    return f"{prefix}{int(count or 0) + 1:04d}"


def next_reference(uow: UnitOfWork) -> str:
    """``R-<year>-<n>``, numbered within the year."""
    return numbered(uow, RetentionRun.reference, "R")


def take_over(uow: UnitOfWork) -> list[str]:
    """Mark runs left ``running`` by a process that is gone as interrupted; their references.

    Raises :class:`RunInProgress` when a live run is working.
    """
    now = uow.clock.now()
    resumed: list[str] = []
    for run in uow.session.scalars(select(RetentionRun).where(RetentionRun.status == RUNNING)):
        if _gone(run.owner) or now - run.heartbeat_at > STALE:
            run.status = INTERRUPTED
            run.finished_at = now
            uow.audit(
                RetentionAction.RUN_INTERRUPTED,
                resource=f"retention-run:{run.reference}",
                details={"reference": run.reference, "batches": run.batches, "rows": run.rows},
            )
            resumed.append(run.reference)
            continue
        raise RunInProgress(
            f"retention run {run.reference} is in progress (started "
            f"{run.started_at.isoformat(timespec='seconds')}); wait for it to finish"
        )
    return resumed


def start(uow: UnitOfWork, *, dry_run: bool) -> RetentionRun:
    """A new run record."""
    now = uow.clock.now()
    run = RetentionRun(
        reference=next_reference(uow),
        dry_run=dry_run,
        started_at=now,
        heartbeat_at=now,
        finished_at=now if dry_run else None,
        status=DRY if dry_run else RUNNING,
        started_by=(uow.actor.label or uow.actor.id)[:128],
        owner=owner(),
        batches=0,
        rows=0,
        keys_destroyed=0,
        counts="{}",
        kept="{}",
    )
    uow.session.add(run)
    uow.session.flush()
    return run


def dumps(value: Any) -> str:
    """Counts as stored (sorted, compact JSON)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def latest_finished(uow: UnitOfWork) -> RetentionRun | None:
    """The most recent run that finished."""
    query = (
        select(RetentionRun)
        .where(RetentionRun.status == FINISHED)
        .order_by(RetentionRun.finished_at.desc())
        .limit(1)
    )
    return uow.session.scalars(query).first()
