"""How each job stands, read from the run records: for the CLI, the page, the API, the
watchdog, the metrics and the live checks.

A job is *failed* when its last finished run failed, and *overdue* when it has not run
for twice its interval (a job that never ran counts from the worker's first run, so a
fresh worker is not overdue before it had the chance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.jobs.models import JobRun, RunStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from klaremont.jobs.config import ScheduledJob

OVERDUE_FACTOR = 2
HISTORY_MAX = 1000


@dataclass(frozen=True, slots=True)
class RunView:
    """One recorded run, as people read it."""

    job: str
    slot_start: datetime
    trigger: str
    status: str
    worker: str
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    summary: str | None
    error: str | None

    @property
    def seconds(self) -> float | None:
        """How long it took (``None`` while running)."""
        if self.finished_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)

    @classmethod
    def of(cls, row: JobRun) -> RunView:
        """From a stored row."""
        return cls(
            job=row.job,
            slot_start=row.slot_start,
            trigger=row.trigger,
            status=row.status,
            worker=row.worker,
            attempts=row.attempts,
            started_at=row.started_at,
            finished_at=row.finished_at,
            summary=row.summary,
            error=row.error,
        )


@dataclass(frozen=True, slots=True)
class JobState:
    """One job: what it does, how often, and how its runs went."""

    job: ScheduledJob
    last: RunView | None
    last_success_at: datetime | None
    next_due: datetime
    overdue: bool
    failed: bool
    counts: dict[str, int]
    #: when any worker first ran any job here (``None``: no worker has run anything yet)
    worker_first_ran: datetime | None = None

    @property
    def problem(self) -> str | None:
        """``failed``, ``overdue`` or ``None`` (a failure is named first)."""
        if self.failed:
            return "failed"
        return "overdue" if self.overdue else None


def _last_runs(session: Session) -> dict[str, JobRun]:
    """Each job's latest run that was not skipped."""
    latest = (
        select(JobRun.job, func.max(JobRun.started_at).label("started"))
        .where(JobRun.status != RunStatus.SKIPPED.value)
        .group_by(JobRun.job)
        .subquery()
    )
    rows = session.scalars(
        select(JobRun).join(
            latest, (JobRun.job == latest.c.job) & (JobRun.started_at == latest.c.started)
        )
    ).all()
    return {row.job: row for row in rows}


def _last_finished(session: Session) -> dict[str, str]:
    """Each job's latest finished (succeeded or failed) run's outcome."""
    finished = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value)
    latest = (
        select(JobRun.job, func.max(JobRun.finished_at).label("finished"))
        .where(JobRun.status.in_(finished))
        .group_by(JobRun.job)
        .subquery()
    )
    rows = session.execute(
        select(JobRun.job, JobRun.status).join(
            latest, (JobRun.job == latest.c.job) & (JobRun.finished_at == latest.c.finished)
        )
    ).all()
    return {str(job): str(status) for job, status in rows}


def last_successes(session: Session) -> dict[str, datetime]:
    """When each job last finished successfully."""
    rows = session.execute(
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.status == RunStatus.SUCCEEDED.value)
        .group_by(JobRun.job)
    ).all()
    return {job: when for job, when in rows if when is not None}


def run_counts(session: Session) -> dict[tuple[str, str], int]:
    """How many runs each job had, by outcome."""
    rows = session.execute(
        select(JobRun.job, JobRun.status, func.count()).group_by(JobRun.job, JobRun.status)
    ).all()
    return {(job, status): int(count) for job, status, count in rows}


def first_run_at(session: Session) -> datetime | None:
    """When any worker first ran any job."""
    return session.scalar(select(func.min(JobRun.started_at)))


def _aware(moment: datetime | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite: read back as UTC.
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def job_states(session: Session, jobs: list[ScheduledJob], now: datetime) -> list[JobState]:
    """Every job's state at ``now``."""
    last = _last_runs(session)
    finished = _last_finished(session)
    successes = {job: _aware(when) for job, when in last_successes(session).items()}
    counts = run_counts(session)
    first = _aware(first_run_at(session))
    states: list[JobState] = []
    for job in jobs:
        row = last.get(job.name)
        view = RunView.of(row) if row is not None else None
        limit = job.every * OVERDUE_FACTOR
        since = view.started_at if view is not None else first
        overdue = since is not None and now - since > limit
        next_due = (view.slot_start + job.every) if view is not None else now
        states.append(
            JobState(
                job=job,
                last=view,
                last_success_at=successes.get(job.name),
                next_due=max(next_due, now) if overdue else next_due,
                overdue=overdue,
                failed=finished.get(job.name) == RunStatus.FAILED.value,
                counts={s.value: counts.get((job.name, s.value), 0) for s in RunStatus},
                worker_first_ran=first,
            )
        )
    return states


def history(session: Session, *, job: str | None = None, limit: int = 50) -> list[RunView]:
    """The most recent runs, newest first (of one job when named)."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.slot_start.desc())
    if job is not None:
        query = query.where(JobRun.job == job)
    rows = session.scalars(query.limit(max(1, min(limit, HISTORY_MAX)))).all()
    return [RunView.of(row) for row in rows]


_UNITS = (("week", 7 * 86_400), ("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def every_words(every: timedelta) -> str:
    """``every day``, ``every 5 minutes``, ``every 90 seconds``: an interval as people say it."""
    seconds = int(every.total_seconds())
    if seconds != every.total_seconds():
        return f"every {every.total_seconds():g} seconds"
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return "continuously"  # below a second: the setting refuses it


OUTCOME_WORDS = {
    RunStatus.RUNNING.value: "running",
    RunStatus.SUCCEEDED.value: "succeeded",
    RunStatus.FAILED.value: "failed",
    RunStatus.SKIPPED.value: "skipped",
}
