"""The scheduled jobs under ``/api/jobs`` (permission ``jobs:read``; a ``read`` token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from klaremont.errors import ValidationFailed
from klaremont.jobs.config import find_job, scheduled_jobs
from klaremont.jobs.permissions import JobsPermission
from klaremont.jobs.status import HISTORY_MAX, history, job_states
from klaremont.jobs.web.schemas import JobOut, JobsOut, RunOut, RunsOut
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

Reader = Annotated[StaffPrincipal, Depends(require(JobsPermission.JOBS_READ))]


@router.get("", response_model=JobsOut)
def list_jobs(_: Reader, uow: UowDep) -> JobsOut:
    """Every scheduled job: what it does, its interval, last run, next due and flags."""
    states = job_states(uow.session, scheduled_jobs(), uow.clock.now())
    return JobsOut(jobs=[JobOut.of(state) for state in states])


@router.get("/runs", response_model=RunsOut)
def list_runs(
    _: Reader,
    uow: UowDep,
    job: Annotated[str | None, Query(max_length=64, description="only this job's runs")] = None,
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX)] = 50,
) -> RunsOut:
    """The most recent runs, newest first."""
    if job is not None and find_job(job) is None:
        raise ValidationFailed.single("job", "the name of a scheduled job")
    return RunsOut(runs=[RunOut.of(run) for run in history(uow.session, job=job, limit=limit)])
