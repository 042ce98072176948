"""The Scheduled jobs page of the staff console (technical operations and the ISO)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.permissions import JobsPermission
from klaremont.jobs.status import OUTCOME_WORDS, every_words, history, job_states
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

JobsPage = Annotated[StaffPrincipal, Depends(require(JobsPermission.JOBS_READ, page=True))]
RECENT = 30


@router.get("/jobs")
def jobs_page(staff: JobsPage, uow: UowDep) -> HTMLResponse:
    """Each job, what it does, how often, its last run and whether it needs attention."""
    now = uow.clock.now()
    states = job_states(uow.session, scheduled_jobs(), now)
    return render(
        "staff/jobs.html",
        staff=staff,
        states=states,
        runs=history(uow.session, limit=RECENT),
        every_words=every_words,
        outcome_words=OUTCOME_WORDS,
        now=now,
        attention=sum(1 for state in states if state.problem),
    )
