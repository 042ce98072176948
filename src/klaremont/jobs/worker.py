"""The worker: APScheduler 3 triggers each job on its interval; the lease decides who runs.

Each declared job gets an :class:`~apscheduler.triggers.interval.IntervalTrigger` aligned
on the Unix epoch, so every worker fires at the same slot boundaries and races for the
same ``job_runs`` row (:mod:`klaremont.jobs.lease`). A catch-up pass, at start and then
every ``KLAREMONT_JOB_CATCH_UP_SECONDS``, runs any job whose current slot has no run yet
(the worker was down at the boundary) or whose run was abandoned by a dead worker.

:meth:`Worker.stop` stops triggering, releases any slot claimed but not started, and waits
for the running jobs to finish and record their outcome.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from klaremont.jobs import lease
from klaremont.jobs.config import JobSettings, ScheduledJob, scheduled_jobs
from klaremont.jobs.models import JobRun, RunStatus, Trigger
from klaremont.jobs.runner import RunOutcome, run_job
from klaremont.logging import get_logger

if TYPE_CHECKING:
    from klaremont.platform import Platform

log = get_logger(__name__)
CATCH_UP_ID = "catch-up"
WATCHDOG_TARGET = "klaremont.jobs.watchdog:watch"
# APScheduler logs every execution at INFO; the run records and our own log lines say it.
logging.getLogger("apscheduler").setLevel(logging.WARNING)


class Worker:
    """Runs every declared job on its interval, in background threads of this process."""

    def __init__(
        self,
        platform: Platform,
        *,
        settings: JobSettings | None = None,
        identity: str | None = None,
    ) -> None:
        self.platform = platform
        self.settings = settings or JobSettings()
        self.jobs = scheduled_jobs(self.settings)  # refuses a bad intervals setting now
        self.identity = identity or lease.worker_identity()
        self.stopping = threading.Event()
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self, *, catch_up_after: timedelta = timedelta(0)) -> None:
        """Start triggering jobs (returns at once; the work happens in threads).

        The first pass over missed slots runs ``catch_up_after`` from now: a worker inside
        the web server lets the server come up first (it is answering requests within a
        second or two instead of sharing the start with six jobs).
        """
        for job in self.jobs:
            self._scheduler.add_job(
                self._fire,
                IntervalTrigger(
                    seconds=job.every.total_seconds(), start_date=lease.EPOCH, timezone=UTC
                ),
                args=(job, Trigger.SCHEDULE),
                id=job.name,
                name=job.name,
            )
        self._scheduler.add_job(
            self.catch_up,
            IntervalTrigger(seconds=self.settings.catch_up_seconds, timezone=UTC),
            id=CATCH_UP_ID,
            name=CATCH_UP_ID,
            next_run_time=datetime.now(UTC) + catch_up_after,
        )
        self._scheduler.start()
        log.info("worker.started", worker=self.identity, jobs=[j.name for j in self.jobs])

    def stop(self) -> None:
        """Stop triggering and wait for running jobs to finish (claimed ones are released)."""
        self.stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        log.info("worker.stopped", worker=self.identity)

    def _fire(self, job: ScheduledJob, trigger: Trigger) -> RunOutcome | None:
        if self.stopping.is_set():
            return None
        try:
            return run_job(
                self.platform,
                job,
                trigger=trigger,
                worker=self.identity,
                settings=self.settings,
                stopping=self.stopping,
            )
        except Exception as exc:  # noqa: BLE001 - the database is away: try at the next tick
            log.warning("job.claim_failed", job=job.name, error=lease.describe_error(exc))
            return None

    def due_now(self) -> list[ScheduledJob]:
        """Jobs whose current slot has no run, or only an abandoned one."""
        now = self.platform.clock.now()
        expired = now - timedelta(seconds=self.settings.lease_seconds)
        due: list[ScheduledJob] = []
        with self.platform.unit_of_work() as uow:
            for job in self.jobs:
                row = uow.session.scalars(
                    select(JobRun).where(
                        JobRun.job == job.name,
                        JobRun.slot_start == lease.slot_of(now, job.every),
                    )
                ).one_or_none()
                abandoned = (
                    row is not None
                    and row.status == RunStatus.RUNNING
                    and row.heartbeat_at <= expired
                )
                if row is None or abandoned:
                    due.append(job)
        return due

    def catch_up(self) -> list[RunOutcome]:
        """Run what is due now and nobody ran (see :meth:`due_now`)."""
        if self.stopping.is_set():
            return []
        try:
            due = self.due_now()
        except Exception as exc:  # noqa: BLE001 - the database is away: try at the next pass
            log.warning("worker.catch_up_failed", error=lease.describe_error(exc))
            return []
        # The watchdog last: it then judges the jobs after they caught up, not before.
        due.sort(key=lambda job: job.target == WATCHDOG_TARGET)
        outcomes = [self._fire(job, Trigger.CATCH_UP) for job in due]
        return [outcome for outcome in outcomes if outcome is not None]
