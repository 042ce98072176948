"""The watchdog job: tell technical operations when a job failed or stopped running.

Every tick it reads each job's state (:mod:`klaremont.jobs.status`). A problem (the last
run failed, or no run for twice the interval) raises an alert once: a ``job_alerts`` row,
an audit event addressed to the technical-operations role and a message to each of its
members through the mail outbox. The message is queued by whichever capability plugs
into the ``role_mail`` extension point (staff knows who holds a role), so this capability
imports no other's internals. The alert stays open, and is not repeated, until the job
succeeds again; then it is cleared (audited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.jobs.actions import JobsAction
from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.lease import job_actor, worker_identity
from klaremont.jobs.models import JobAlert
from klaremont.jobs.status import JobState, job_states
from klaremont.staff.permissions import Role

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork

ALERT_ROLE = Role.TECHNICAL_OPERATIONS
ROLE_MAIL_POINT = "role_mail"
# ``role_mail(uow, role, subject_line, body) -> messages queued``
RoleMail = Callable[["UnitOfWork", str, str, str], int]


def _message(state: JobState, problem: str) -> tuple[str, str]:
    name = state.job.name
    if problem == "failed":
        error = (state.last.error if state.last else None) or "no error recorded"
        subject = f"Alert: scheduled job {name} failed"
        what = f"The last run of the scheduled job {name} failed ({error.split(':', 1)[0]})."
    else:
        subject = f"Alert: scheduled job {name} has not run"
        what = (
            f"The scheduled job {name} has not run for more than twice its interval. "
            "Check that a worker is running."
        )
    body = (
        f"Hello,\n\n{what} What it does: {state.job.summary}. The Scheduled jobs page of the staff "
        "console shows its runs and errors; this alert is not repeated until the job "
        "succeeds again.\n\nKlaremont"
    )
    return subject, body


def _detail(state: JobState, problem: str) -> str:
    if problem == "failed" and state.last is not None and state.last.error:
        return state.last.error
    return f"no run for more than {state.job.every * 2}"


def raise_alert(uow: UnitOfWork, state: JobState, problem: str) -> int:
    """Record the alert, audit it for the role and queue the messages; returns messages."""
    subject, body = _message(state, problem)
    messages = 0
    for notify in capabilities.extensions(ROLE_MAIL_POINT):
        messages += cast("RoleMail", notify)(uow, ALERT_ROLE.value, subject, body)
    detail = _detail(state, problem)
    uow.session.add(
        JobAlert(
            job=state.job.name,
            problem=problem,
            detail=detail[:600],
            raised_at=uow.clock.now(),
            messages=messages,
        )
    )
    uow.audit(
        JobsAction.JOB_ALERT,
        resource=f"role:{ALERT_ROLE.value}",
        details={
            "routed_to": ALERT_ROLE.value,
            "job": state.job.name,
            "problem": problem,
            "detail": detail,
            "messages": messages,
        },
    )
    return messages


def clear_alert(uow: UnitOfWork, alert: JobAlert) -> None:
    """Close an alert whose job succeeded again (audited)."""
    alert.cleared_at = uow.clock.now()
    uow.audit(
        JobsAction.JOB_ALERT_CLEARED,
        resource=f"role:{ALERT_ROLE.value}",
        details={"routed_to": ALERT_ROLE.value, "job": alert.job, "problem": alert.problem},
    )


def open_alerts(uow: UnitOfWork) -> dict[str, JobAlert]:
    """The alerts not yet cleared, by job."""
    rows = uow.session.scalars(select(JobAlert).where(JobAlert.cleared_at.is_(None))).all()
    return {row.job: row for row in rows}


def check(uow: UnitOfWork) -> tuple[int, int, int]:
    """Raise and clear alerts; returns (jobs checked, raised, cleared)."""
    states = job_states(uow.session, scheduled_jobs(), uow.clock.now())
    alerts = open_alerts(uow)
    raised = cleared = 0
    for state in states:
        problem = state.problem
        alert = alerts.get(state.job.name)
        if problem is None:
            if alert is not None and state.last_success_at is not None:
                clear_alert(uow, alert)
                cleared += 1
            continue
        if alert is not None and alert.problem == problem:
            continue  # raised already: once per problem, not on every tick
        if alert is not None:
            clear_alert(uow, alert)
        raise_alert(uow, state, problem)
        raised += 1
    return len(states), raised, cleared


def watch(platform: Platform) -> str:
    """The scheduled watchdog: one line saying what it found."""
    with platform.unit_of_work(actor=job_actor(worker_identity())) as uow:
        checked, raised, cleared = check(uow)
    return f"{checked} jobs checked; alerts raised: {raised}, cleared: {cleared}"
