"""``klaremont jobs list|run|history`` read and drive the same run records as the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jobs_support import registered, runs
from typer.testing import CliRunner

from klaremont.capabilities import Job
from klaremont.cli import main
from klaremont.cli.context import use_platform


@pytest.fixture
def run(platform):
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(main.app, list(args), **kw)
    use_platform(None)


def test_list_shows_every_declared_job(run):
    result = run("jobs", "list")
    assert result.exit_code == 0, result.output
    for name in ("dsr-due-alert", "shred-due", "send-pending", "jobs-watchdog"):
        assert name in result.output
    assert "never" in result.output


def test_run_runs_one_job_now_and_history_shows_it(run, platform, tmp_path):
    result = run("jobs", "run", "prune-throttle")
    assert result.exit_code == 0, result.output
    assert "prune-throttle: succeeded" in result.output
    (row,) = runs(platform, "prune-throttle")
    assert (row.trigger, row.status) == ("manual", "succeeded")
    report = tmp_path / "history.html"
    history = run(
        "jobs", "history", "--job", "prune-throttle", "--limit", "5", "--html", str(report)
    )
    assert history.exit_code == 0, history.output
    assert "succeeded" in history.output
    html = report.read_text(encoding="utf-8")
    assert "prune-throttle" in html
    assert "expired sign-in throttle rows removed" in html
    listing = run("jobs", "list")
    assert "succeeded" in listing.output


def test_a_failing_run_exits_one(run):
    with registered(Job("flaky", "jobs_support:explode", timedelta(minutes=1), "fails")):
        result = run("jobs", "run", "flaky")
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "hunter2" not in result.output


def test_an_unknown_job_is_one_clear_line_and_exit_two(run):
    result = run("jobs", "run", "no-such-job")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [lines[0]]
    assert "no scheduled job called 'no-such-job'" in lines[0]
    history = run("jobs", "history", "--job", "nope")
    assert history.exit_code == 2
    assert "--job: no scheduled job called 'nope'" in history.output


def test_an_empty_history(run):
    result = run("jobs", "history")
    assert result.exit_code == 0
    assert "no runs recorded yet" in result.output


def test_a_bad_intervals_setting_is_named(run, monkeypatch):
    monkeypatch.setenv("KLAREMONT_JOB_INTERVALS", "send-pending=soon")
    result = run("jobs", "list")
    assert result.exit_code == 2
    assert "KLAREMONT_JOB_INTERVALS: job 'send-pending'" in result.output
