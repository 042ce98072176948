"""``klaremont jobs``: the scheduled jobs, running one now, and the run history.

``klaremont worker`` (the long-running scheduler) lives with ``serve`` in the command-line
shell; these commands read and drive the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from klaremont.cli.context import cli_actor, console, err_console, get_platform
from klaremont.display import uk_datetime
from klaremont.errors import ConfigurationError
from klaremont.jobs import lease
from klaremont.jobs.actions import JobsAction
from klaremont.jobs.config import ScheduledJob, find_job, scheduled_jobs
from klaremont.jobs.models import RunStatus, Trigger
from klaremont.jobs.render import history_html
from klaremont.jobs.runner import run_job
from klaremont.jobs.status import HISTORY_MAX, every_words, history, job_states

app = typer.Typer(
    name="jobs",
    help="Scheduled jobs: what runs when, run one now, and the run history.",
    no_args_is_help=True,
)
EXIT_UNKNOWN = 2
_STYLE = {"succeeded": "green", "failed": "bold red", "running": "yellow", "skipped": "dim"}


def _jobs() -> list[ScheduledJob]:
    try:
        return scheduled_jobs()
    except ConfigurationError as exc:
        err_console.print(f"[bold red]error:[/] {exc.detail}", soft_wrap=True)
        raise typer.Exit(EXIT_UNKNOWN) from exc


def _widest(jobs: list[ScheduledJob]) -> int:
    return max((len(job.name) for job in jobs), default=3)


def _outcome(status: str) -> str:
    return f"[{_STYLE.get(status, '')}]{status}[/]"


@app.command("list")
def list_jobs() -> None:
    """Every scheduled job: what it does, how often, its last run and when it is next due."""
    jobs = _jobs()
    platform = get_platform()
    with platform.unit_of_work() as uow:
        states = job_states(uow.session, jobs, uow.clock.now())
    table = Table(title="Scheduled jobs")
    table.add_column("job", no_wrap=True, min_width=_widest(jobs))
    for column in ("what it does", "how often", "last run", "outcome", "next due", "attention"):
        table.add_column(column, no_wrap=column == "outcome")
    for state in states:
        last = state.last
        attention = {"failed": "[bold red]last run failed[/]", "overdue": "[bold red]overdue[/]"}
        table.add_row(
            state.job.name,
            state.job.summary,
            every_words(state.job.every) + (" (set)" if state.job.overridden else ""),
            uk_datetime(last.started_at) if last else "never",
            _outcome(last.status) if last else "",
            uk_datetime(state.next_due),
            attention.get(state.problem or "", ""),
        )
    console.print(table)


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="the job's name (see `klaremont jobs list`)")],
) -> None:
    """Run one job now, through the same lease and run record as the worker."""
    jobs = _jobs()
    job = next((j for j in jobs if j.name == name), None)
    if job is None:
        known = ", ".join(j.name for j in jobs)
        err_console.print(
            f"[bold red]error:[/] no scheduled job called {name!r} (known: {known})", soft_wrap=True
        )
        raise typer.Exit(EXIT_UNKNOWN)
    platform = get_platform()
    worker = lease.worker_identity()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        uow.audit(JobsAction.JOB_RUN_NOW, resource=f"job:{name}", details={"worker": worker})
    with console.status(f"running {name}"):
        outcome = run_job(platform, job, trigger=Trigger.MANUAL, worker=worker)
    if outcome.status is None:
        console.print(f"{name}: another worker holds this run; nothing done")
        return
    console.print(f"{name}: {_outcome(outcome.status.value)}: {outcome.error or outcome.summary}")
    if outcome.status is RunStatus.FAILED:
        raise typer.Exit(1)


@app.command("history")
def show_history(
    job: Annotated[str | None, typer.Option("--job", help="only this job's runs")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=HISTORY_MAX, help="how many runs, newest first")
    ] = 20,
    html: Annotated[
        Path | None, typer.Option("--html", help="also write the history as HTML here")
    ] = None,
) -> None:
    """The most recent runs: when, how long, outcome, worker and what each said."""
    jobs = _jobs()
    if job is not None and find_job(job) is None:
        known = ", ".join(j.name for j in jobs)
        err_console.print(
            f"[bold red]error:[/] --job: no scheduled job called {job!r} (known: {known})",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_UNKNOWN)
    platform = get_platform()
    with platform.unit_of_work() as uow:
        runs = history(uow.session, job=job, limit=limit)
        now = uow.clock.now()
        states = job_states(uow.session, [j for j in jobs if job in {None, j.name}], now)
    table = Table(title="Run history" + (f" of {job}" if job else ""))
    table.add_column("job", no_wrap=True, min_width=_widest(jobs))
    for column in ("started", "took", "outcome", "by", "worker", "result"):
        table.add_column(column, no_wrap=column == "outcome")
    for item in runs:
        took = f"{item.seconds:.1f} s" if item.seconds is not None else "running"
        outcome = _outcome(item.status) + (f" (try {item.attempts})" if item.attempts > 1 else "")
        table.add_row(
            item.job,
            uk_datetime(item.started_at),
            took,
            outcome,
            item.trigger,
            item.worker,
            item.error or item.summary or "",
        )
    console.print(table if runs else "no runs recorded yet")
    if html is not None:
        html.write_text(history_html(runs, states, generated_at=now, job=job), encoding="utf-8")
        console.print(f"wrote {html}")
