"""Prometheus metric families of the job worker, read from the database at scrape time.

Plugged into the ``metrics`` extension point: ``collect(platform)`` returns
``klaremont_job_runs_total{job,outcome}``, ``klaremont_job_last_success_timestamp_seconds{job}``,
``klaremont_job_overdue{job}``, ``klaremont_job_failed{job}`` and
``klaremont_job_interval_seconds{job}``. Nothing is counted in process memory, so every web
and worker process reports the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from klaremont.jobs.config import scheduled_jobs
from klaremont.jobs.models import RunStatus
from klaremont.jobs.status import job_states

if TYPE_CHECKING:
    from klaremont.platform import Platform


def collect(platform: Platform) -> list[Metric]:
    """The worker's families, as the database has them now."""
    with platform.unit_of_work() as uow:
        uow.begin_read_only()
        states = job_states(uow.session, scheduled_jobs(), uow.clock.now())
    runs = CounterMetricFamily(
        "klaremont_job_runs", "Runs of each scheduled job, by outcome", labels=["job", "outcome"]
    )
    success = GaugeMetricFamily(
        "klaremont_job_last_success_timestamp_seconds",
        "When each job last finished successfully (Unix time)",
        labels=["job"],
    )
    overdue = GaugeMetricFamily(
        "klaremont_job_overdue", "1 when a job has not run for twice its interval", labels=["job"]
    )
    failed = GaugeMetricFamily(
        "klaremont_job_failed", "1 when a job's last finished run failed", labels=["job"]
    )
    interval = GaugeMetricFamily(
        "klaremont_job_interval_seconds", "How often each job runs", labels=["job"]
    )
    for state in states:
        name = state.job.name
        for outcome in RunStatus:
            runs.add_metric([name, outcome.value], state.counts.get(outcome.value, 0))
        if state.last_success_at is not None:
            success.add_metric([name], state.last_success_at.timestamp())
        overdue.add_metric([name], 1.0 if state.overdue else 0.0)
        failed.add_metric([name], 1.0 if state.failed else 0.0)
        interval.add_metric([name], state.job.every.total_seconds())
    return [runs, success, overdue, failed, interval]
