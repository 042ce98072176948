"""Answers of ``/api/jobs``: names, intervals, times and outcomes (no personal data)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from klaremont.jobs.status import JobState, RunView, every_words


class RunOut(BaseModel):
    """One recorded run."""

    job: str
    slot_start: datetime
    trigger: str
    outcome: str
    worker: str
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    summary: str | None
    error: str | None

    @classmethod
    def of(cls, run: RunView) -> RunOut:
        """From a run view."""
        return cls(
            job=run.job,
            slot_start=run.slot_start,
            trigger=run.trigger,
            outcome=run.status,
            worker=run.worker,
            attempts=run.attempts,
            started_at=run.started_at,
            finished_at=run.finished_at,
            seconds=run.seconds,
            summary=run.summary,
            error=run.error,
        )


class JobOut(BaseModel):
    """One scheduled job and how it stands."""

    name: str
    capability: str
    summary: str
    interval_seconds: float
    interval: str
    last_run: RunOut | None
    last_success_at: datetime | None
    next_due: datetime
    overdue: bool
    failed: bool

    @classmethod
    def of(cls, state: JobState) -> JobOut:
        """From a job state."""
        return cls(
            name=state.job.name,
            capability=state.job.capability,
            summary=state.job.summary,
            interval_seconds=state.job.every.total_seconds(),
            interval=every_words(state.job.every),
            last_run=RunOut.of(state.last) if state.last is not None else None,
            last_success_at=state.last_success_at,
            next_due=state.next_due,
            overdue=state.overdue,
            failed=state.failed,
        )


class JobsOut(BaseModel):
    """Every scheduled job."""

    jobs: list[JobOut]


class RunsOut(BaseModel):
    """Recent runs, newest first."""

    runs: list[RunOut]
