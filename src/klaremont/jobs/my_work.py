"""The job worker's part of the console home (extension point ``my_work``).

Scheduled jobs whose last run failed, or that have stopped running (``jobs:read``: the
ISO and technical operations), from the same states the Scheduled jobs page shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.permissions import JobsPermission
from klaremont.jobs.status import job_states
from klaremont.work import Urgency, WorkItem

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Scheduled jobs"
LINK = "/staff/jobs"


def items(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """One item per job needing attention."""
    if JobsPermission.JOBS_READ not in principal.permissions:
        return []
    work: list[WorkItem] = []
    for state in job_states(uow.session, scheduled_jobs(), uow.clock.now()):
        if state.failed:
            work.append(
                WorkItem(
                    f"Job {state.job.name} failed",
                    Urgency.OVERDUE,
                    detail=state.job.summary,
                    link=LINK,
                )
            )
        elif state.overdue:
            work.append(
                WorkItem(
                    f"Job {state.job.name} has stopped running",
                    Urgency.DUE,
                    detail=state.job.summary,
                    link=LINK,
                )
            )
    return work
