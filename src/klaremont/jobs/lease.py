"""The database lease: one ``job_runs`` row per (job, slot), inserted by whoever wins.

A slot is an interval-aligned moment (multiples of the interval since the Unix epoch), so
every worker computes the same slot for the same moment. :func:`claim` inserts the row in
a transaction of its own; the unique (job, slot_start) makes every other worker's insert
fail, and that worker skips. A running row whose heartbeat is older than the lease belongs
to a worker that died: :func:`claim` then takes it over with a compare-and-set on the
row's ``attempts``, so two workers finding the same dead run cannot both take it.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError

from klaremont.audit.events import Actor, ActorType
from klaremont.jobs.actions import JobsAction
from klaremont.jobs.models import JobRun, RunStatus, Trigger
from klaremont.logging import REDACTED, redact_text

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import Platform

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ERROR_MAX = 600
SUMMARY_MAX = 500
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^\s/@]+@", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|key)(\s*[=:]\s*)[^\s,;&]+"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def worker_identity() -> str:
    """This process as the run record names it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def job_actor(worker: str) -> Actor:
    """The audit actor of the worker itself."""
    return Actor(ActorType.SYSTEM, f"worker:{worker}"[:100])


def slot_of(moment: datetime, every: timedelta) -> datetime:
    """The start of the interval-aligned slot ``moment`` falls in."""
    return EPOCH + ((moment - EPOCH) // every) * every


def manual_slot(moment: datetime, every: timedelta) -> datetime:
    """The slot of a run asked for by hand: the moment itself, never a scheduled boundary
    (so it neither takes nor blocks the timetable's slot)."""
    if slot_of(moment, every) == moment:
        return moment + timedelta(microseconds=1)
    return moment


def describe_error(exc: BaseException) -> str:
    """The exception's type and its message with secrets, addresses and tokens masked."""
    text = _EMAIL.sub(REDACTED, str(exc))
    text = _URL_CREDENTIALS.sub(rf"\1{REDACTED}@", text)
    text = _SECRET_PAIR.sub(rf"\1\2{REDACTED}", text)
    described = f"{type(exc).__name__}: {redact_text(text)}" if text else type(exc).__name__
    return described[:ERROR_MAX]


@dataclass(frozen=True, slots=True)
class Claim:
    """A slot this worker holds: the row, and the attempt that makes the lease ours."""

    run_id: uuid.UUID
    job: str
    slot: datetime
    worker: str
    attempts: int
    taken_over_from: str | None = None


def claim(
    platform: Platform,
    job: str,
    slot: datetime,
    *,
    worker: str,
    trigger: Trigger,
    lease: timedelta,
) -> Claim | None:
    """Insert the slot's row, or take over its abandoned run; ``None`` if another has it."""
    now = platform.clock.now()
    row = JobRun(
        job=job,
        slot_start=slot,
        trigger=trigger.value,
        status=RunStatus.RUNNING.value,
        worker=worker,
        attempts=1,
        started_at=now,
        heartbeat_at=now,
    )
    try:
        with platform.unit_of_work(actor=job_actor(worker)) as uow:
            uow.session.add(row)
    except IntegrityError:
        return take_over(platform, job, slot, worker=worker, lease=lease)
    return Claim(row.id, job, slot, worker, 1)


def take_over(
    platform: Platform, job: str, slot: datetime, *, worker: str, lease: timedelta
) -> Claim | None:
    """Take the slot's run over when its worker stopped beating; ``None`` otherwise."""
    now = platform.clock.now()
    with platform.unit_of_work(actor=job_actor(worker)) as uow:
        row = uow.session.scalars(
            select(JobRun).where(JobRun.job == job, JobRun.slot_start == slot)
        ).one_or_none()
        if row is None or row.status != RunStatus.RUNNING or row.heartbeat_at > now - lease:
            return None
        previous, attempts = row.worker, row.attempts
        taken = uow.session.execute(
            update(JobRun)
            .where(
                JobRun.id == row.id,
                JobRun.status == RunStatus.RUNNING.value,
                JobRun.attempts == attempts,
            )
            .values(worker=worker, heartbeat_at=now, started_at=now, attempts=attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(taken, "rowcount", 0) or 0) != 1:
            return None
        uow.audit(
            JobsAction.JOB_TAKEOVER,
            resource=f"job:{job}",
            details={"slot": slot.isoformat(), "from": previous, "attempt": attempts + 1},
        )
        return Claim(row.id, job, slot, worker, attempts + 1, taken_over_from=previous)


def _mine(held: Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        JobRun.id == held.run_id,
        JobRun.worker == held.worker,
        JobRun.attempts == held.attempts,
    )


def beat(platform: Platform, held: Claim) -> bool:
    """Renew the lease; ``False`` when the run is no longer ours (taken over)."""
    with platform.unit_of_work(actor=job_actor(held.worker)) as uow:
        result = uow.session.execute(
            update(JobRun)
            .where(*_mine(held), JobRun.status == RunStatus.RUNNING.value)
            .values(heartbeat_at=platform.clock.now())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def finish(
    platform: Platform,
    held: Claim,
    status: RunStatus,
    *,
    summary: str | None = None,
    error: str | None = None,
) -> bool:
    """Record how the run ended; ``False`` when it was no longer ours to record."""
    now = platform.clock.now()
    with platform.unit_of_work(actor=job_actor(held.worker)) as uow:
        result = uow.session.execute(
            update(JobRun)
            .where(*_mine(held), JobRun.status == RunStatus.RUNNING.value)
            .values(
                status=status.value,
                finished_at=now,
                heartbeat_at=now,
                summary=summary[:SUMMARY_MAX] if summary else None,
                error=error[:ERROR_MAX] if error else None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def release(platform: Platform, held: Claim) -> bool:
    """Give back a slot this worker claimed but never started (it is stopping)."""
    with platform.unit_of_work(actor=job_actor(held.worker)) as uow:
        result = uow.session.execute(
            delete(JobRun)
            .where(*_mine(held), JobRun.status == RunStatus.RUNNING.value)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def live_run_elsewhere(platform: Platform, held: Claim, lease: timedelta) -> bool:
    """True when another slot of the same job is still running with a live lease."""
    now = platform.clock.now()
    with platform.unit_of_work(actor=job_actor(held.worker)) as uow:
        found = uow.session.scalar(
            select(JobRun.id)
            .where(
                JobRun.job == held.job,
                JobRun.id != held.run_id,
                JobRun.status == RunStatus.RUNNING.value,
                JobRun.heartbeat_at > now - lease,
            )
            .limit(1)
        )
        return found is not None
