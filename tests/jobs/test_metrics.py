"""The worker's metric families, through a Prometheus registry and back."""

from __future__ import annotations

from datetime import timedelta

from jobs_support import registered
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from klaremont import capabilities
from klaremont.capabilities import Job
from klaremont.jobs.config import find_job
from klaremont.jobs.metrics import collect
from klaremont.jobs.runner import run_job


class _Collector:
    def __init__(self, platform):
        self.platform = platform

    def collect(self):
        return collect(self.platform)


def _scrape(platform) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    registry = CollectorRegistry()
    registry.register(_Collector(platform))
    text = generate_latest(registry).decode()
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_collect_is_the_metrics_extension():
    assert collect in capabilities.extensions("metrics")


def test_runs_outcomes_last_success_and_overdue(platform, clock):
    with registered(
        Job("flaky", "jobs_support:explode", timedelta(minutes=1), "fails"),
        Job("fine", "jobs_support:count", timedelta(minutes=1), "works"),
    ):
        for name in ("flaky", "fine"):
            job = find_job(name)
            assert job is not None
            run_job(platform, job, worker="w:1")
        fine_at = clock.now()
        clock.advance(timedelta(minutes=3))
        scraped = _scrape(platform)
    runs = scraped["klaremont_job_runs_total"]
    assert runs[(("job", "flaky"), ("outcome", "failed"))] == 1
    assert runs[(("job", "fine"), ("outcome", "succeeded"))] == 1
    assert runs[(("job", "fine"), ("outcome", "failed"))] == 0
    last = scraped["klaremont_job_last_success_timestamp_seconds"]
    assert abs(last[(("job", "fine"),)] - fine_at.timestamp()) < 5
    assert (("job", "flaky"),) not in last
    assert scraped["klaremont_job_overdue"][(("job", "fine"),)] == 1
    assert scraped["klaremont_job_overdue"][(("job", "shred-due"),)] == 0
    assert scraped["klaremont_job_failed"][(("job", "flaky"),)] == 1
    assert scraped["klaremont_job_interval_seconds"][(("job", "shred-due"),)] == 86_400
