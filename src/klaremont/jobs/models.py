"""What the worker records: one row per job and slot (the lease), and the alerts raised.

``job_runs`` has a unique (job, slot_start): whichever worker inserts the row for a slot
runs it; every other worker's insert fails and it skips. The row then records the run:
when it started and ended, its outcome, the job's one-line summary, the error (exception
type and a redacted message, never a secret) and the worker (``host:pid``). A running row
whose ``heartbeat_at`` is older than the lease belongs to a worker that died; another
worker takes it over (``attempts`` counts the tries). No personal data is kept here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import RIGHTS, Handling


class RunStatus(StrEnum):
    """Where a run is."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Trigger(StrEnum):
    """What started a run."""

    SCHEDULE = "schedule"
    CATCH_UP = "catch-up"
    MANUAL = "manual"


class JobRun(IdMixin, Base):
    """One slot of one job: the lease and the record of the run."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot_start", name="uq_job_runs_job_slot"),
        Index("ix_job_runs_job_started", "job", "started_at"),
        Index("ix_job_runs_status", "status", "heartbeat_at"),
        {"info": {RIGHTS: Handling.IGNORE.value}},
    )

    job: Mapped[str] = mapped_column(String(64))
    slot_start: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16), default=Trigger.SCHEDULE.value)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING.value)
    worker: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(600))


class JobAlert(IdMixin, Base):
    """A problem with a job raised to technical operations: once, until it clears."""

    __tablename__ = "job_alerts"
    __table_args__ = (
        Index("ix_job_alerts_open", "job", "cleared_at"),
        {"info": {RIGHTS: Handling.IGNORE.value}},
    )

    job: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(600))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    messages: Mapped[int] = mapped_column(Integer, default=0)
