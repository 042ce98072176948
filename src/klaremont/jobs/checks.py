"""Live checks of the clauses the worker upholds: their jobs ran within their interval.

A clause whose control is a scheduled job holds only while that job keeps running: the
DPO's due-date alert (DP-PROMPT, DP-DPO), the key shredding of erased people
(IS-SENS-DISPOSE, PP-R-ERASE) and the inactivity sweep (IS-AC-INACTIVE, IS-AC-MAINT).
Each check fails when the job's last run failed or it has not run for twice its interval
(a job that never ran counts from the first run of any job). On a database no worker has
run anything on yet, each says ``unknown``, naming the worker: nothing has been missed
there yet, but a control that has never run is not shown as holding either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.display import uk_datetime
from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.status import every_words, job_states
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

NO_DATABASE = "scheduled; runs not inspected (no database in this context)"


def job_ran(ctx: LiveContext, name: str) -> CheckResult:
    """Whether job ``name`` succeeded last and ran within twice its interval."""
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    jobs = [job for job in scheduled_jobs() if job.name == name]
    if not jobs:
        return CheckResult(holds=False, detail=f"no scheduled job called {name!r} is declared")
    if unit_of_work is None:
        return CheckResult.unknown_because(f"{name} {NO_DATABASE}")

    def check(uow: UnitOfWork) -> CheckResult:
        (state,) = job_states(uow.session, jobs, uow.clock.now())
        if state.failed:
            return CheckResult(
                holds=False,
                detail=f"{name} failed on its last run: see `klaremont jobs history --job {name}`",
            )
        if state.overdue:
            return CheckResult(
                holds=False,
                detail=f"{name} has not run for more than twice its interval ({state.job.every})",
            )
        if state.last is None and state.worker_first_ran is None:
            # no worker has run anything here: whether the job will run cannot be told, and
            # a control that never ran is not shown as holding
            return CheckResult.unknown_because(
                f"{name}: no worker has run any job on this database yet "
                "(`klaremont worker` or `serve` runs them)"
            )
        if state.last is None:
            return CheckResult(
                holds=True,
                detail=f"{name}: not due yet (the worker started less than twice its "
                f"interval ago; it runs {every_words(state.job.every)})",
            )
        return CheckResult(
            holds=True,
            detail=(
                f"{name} ran {uk_datetime(state.last.started_at)} UK time "
                f"(it runs {every_words(state.job.every)})"
            ),
        )

    with unit_of_work() as uow:
        return check(uow)


@live_check(
    "DP-PROMPT",
    "DP-DPO",
    reads="the scheduled job history: the request due-date alert's last run, its outcome and time"
    " against twice its interval",
)
def dsr_due_alert_ran(ctx: LiveContext) -> CheckResult:
    """The DPO's overdue and due-soon lists are recorded on schedule."""
    return job_ran(ctx, "dsr-due-alert")


@live_check(
    "IS-SENS-DISPOSE",
    "PP-R-ERASE",
    reads="the scheduled job history: the key-shredding job's last run, its outcome and time "
    "against twice its interval",
)
def shredding_ran(ctx: LiveContext) -> CheckResult:
    """Erased people's keys are destroyed on schedule once their holds end."""
    return job_ran(ctx, "shred-due")


@live_check(
    "IS-AC-INACTIVE",
    "IS-AC-MAINT",
    reads="the scheduled job history: the inactive-account sweep's last run, its outcome and time"
    " against twice its interval",
)
def inactivity_sweep_ran(ctx: LiveContext) -> CheckResult:
    """Idle and expired staff accounts are disabled on schedule."""
    return job_ran(ctx, "inactivity-sweep")
