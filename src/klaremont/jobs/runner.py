"""Run one job for one slot through the lease, and record what happened.

The job's target (``"module:function"``, called with the platform) does the work in its
own units of work and returns a one-line summary. While it runs, a heartbeat thread
renews the lease every third of the lease period, so a live run is never taken over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Self

from klaremont import capabilities
from klaremont.jobs import lease
from klaremont.jobs.config import JobSettings, ScheduledJob
from klaremont.jobs.models import RunStatus, Trigger
from klaremont.logging import get_logger

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.platform import Platform

log = get_logger(__name__)
OVERLAP = "skipped: the previous run of this job is still going"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one attempt at a slot came to; ``status`` is ``None`` when another worker had it."""

    job: str
    slot: datetime
    status: RunStatus | None
    summary: str | None = None
    error: str | None = None
    run_id: uuid.UUID | None = None
    taken_over_from: str | None = None


class _Heartbeat:
    """Renews a claim's lease in the background until stopped."""

    def __init__(self, platform: Platform, held: lease.Claim, every: float) -> None:
        self._platform = platform
        self._held = held
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{held.job}", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not lease.beat(self._platform, self._held):
                    log.warning("job.lease_lost", job=self._held.job, worker=self._held.worker)
                    return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried; the lease is long
                log.warning("job.heartbeat_failed", job=self._held.job, error=type(exc).__name__)


def run_job(
    platform: Platform,
    job: ScheduledJob,
    *,
    trigger: Trigger = Trigger.SCHEDULE,
    worker: str | None = None,
    slot: datetime | None = None,
    settings: JobSettings | None = None,
    stopping: threading.Event | None = None,
) -> RunOutcome:
    """Claim ``job``'s slot (the current one unless given; a manual run's own moment), run
    it, record the outcome."""
    settings = settings or JobSettings()
    worker = worker or lease.worker_identity()
    lease_for = timedelta(seconds=settings.lease_seconds)
    if slot is None:
        now = platform.clock.now()
        manual = trigger is Trigger.MANUAL
        slot = lease.manual_slot(now, job.every) if manual else lease.slot_of(now, job.every)
    held = lease.claim(platform, job.name, slot, worker=worker, trigger=trigger, lease=lease_for)
    if held is None:
        return RunOutcome(job.name, slot, None)
    if stopping is not None and stopping.is_set():
        lease.release(platform, held)
        return RunOutcome(job.name, slot, None, summary="released: the worker is stopping")
    if lease.live_run_elsewhere(platform, held, lease_for):
        lease.finish(platform, held, RunStatus.SKIPPED, summary=OVERLAP)
        return RunOutcome(job.name, slot, RunStatus.SKIPPED, OVERLAP, run_id=held.run_id)
    log.info("job.started", job=job.name, slot=slot.isoformat(), worker=worker)
    with _Heartbeat(platform, held, settings.lease_seconds / 3):
        try:
            summary = str(capabilities.resolve(job.target)(platform)).splitlines()[0:1]
        except Exception as exc:  # noqa: BLE001 - any failure of a job is recorded, not raised
            error = lease.describe_error(exc)
            lease.finish(platform, held, RunStatus.FAILED, error=error)
            log.warning("job.failed", job=job.name, error=error)
            return RunOutcome(
                job.name,
                slot,
                RunStatus.FAILED,
                error=error,
                run_id=held.run_id,
                taken_over_from=held.taken_over_from,
            )
    text = summary[0] if summary else "done"
    if lease.finish(platform, held, RunStatus.SUCCEEDED, summary=text):
        log.info("job.succeeded", job=job.name, summary=text)
    else:  # another worker took the run over: its outcome is the one recorded
        log.warning("job.lease_lost", job=job.name, worker=worker, summary=text)
    return RunOutcome(
        job.name,
        slot,
        RunStatus.SUCCEEDED,
        text,
        run_id=held.run_id,
        taken_over_from=held.taken_over_from,
    )
