"""``klaremont worker`` in this process: it runs the jobs until a signal, then stops after
the running job; a bad intervals setting stops it before it starts. And the demo history."""

from __future__ import annotations

import os
import random
import signal
import threading

import pytest
from jobs_support import runs, wait_until
from typer.testing import CliRunner

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.demo.service import DemoSize
from klaremont.jobs import demo_data, status
from klaremont.jobs.config import scheduled_jobs


@pytest.fixture
def handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield saved
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_worker_command_runs_until_sigterm(platform, handlers):
    def stop_when_running() -> None:
        # Only once the worker installed its handler and ran the catch-up pass.
        if wait_until(
            lambda: (
                signal.getsignal(signal.SIGTERM) is not handlers[signal.SIGTERM]
                and len(runs(platform)) >= 6
            )
        ):
            os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_running)
    use_platform(platform)
    try:
        stopper.start()
        result = CliRunner().invoke(main.app, ["worker"])
    finally:
        stopper.join()
        use_platform(None)
    assert result.exit_code == 0, result.output
    assert "SIGTERM: finishing the running job, then stopping" in result.output
    assert "worker stopped" in result.output
    assert {row.status for row in runs(platform)} == {"succeeded"}


def test_the_worker_refuses_a_bad_intervals_setting(platform, monkeypatch, handlers):
    monkeypatch.setenv("KLAREMONT_JOB_INTERVALS", "shred-due=P1Y")
    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["worker"])
    finally:
        use_platform(None)
    assert result.exit_code == 2
    assert "KLAREMONT_JOB_INTERVALS: job 'shred-due'" in result.output
    assert runs(platform) == []


def test_demo_history_has_past_runs_and_one_failure(platform):
    with platform.unit_of_work() as uow:
        (line,) = demo_data.seed(uow, random.Random(1), DemoSize())
    every_run = runs(platform)
    assert "past runs recorded" in line
    assert [r.job for r in every_run if r.status == "failed"] == ["send-pending"]
    now = platform.clock.now()
    assert all(r.slot_start < now for r in every_run)


def test_fresh_demo_history_shows_no_job_stopped_or_failing(platform):
    """Straight after seeding, before any worker ran, every job's last run is its latest past
    slot, so the console does not say a job stopped running (nor the old failure: a later
    run of the mail job succeeded)."""
    with platform.unit_of_work() as uow:
        demo_data.seed(uow, random.Random(1), DemoSize())
    with platform.unit_of_work() as uow:
        states = status.job_states(uow.session, scheduled_jobs(), platform.clock.now())
    assert states
    assert [(s.job.name, s.problem) for s in states if s.problem] == []
