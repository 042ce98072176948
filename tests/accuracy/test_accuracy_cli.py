"""``klaremont accuracy`` and the demo review history (DP-ACCURATE)."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from accuracy_support import audit_details, seed_customer
from typer.testing import CliRunner

from klaremont.accuracy.report import stale_counts
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.demo import service as demo
from klaremont.errors import NotFound, ValidationFailed

DAY = timedelta(days=1)


@pytest.fixture
def run(platform):
    """Invoke ``klaremont ...`` against the test platform, on a wide terminal."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, list(args), env={"COLUMNS": "200"})
    use_platform(None)


@pytest.mark.policy("DP-ACCURATE")
def test_report_prints_the_lists_and_writes_html_and_csv(platform, run, bob, tmp_path):
    """The report names records by reference; the files are owner-only and hold no canary."""
    alice = seed_customer(platform, "alice", age=DAY * 700)
    html, csv = tmp_path / "stale.html", tmp_path / "stale.csv"
    result = run("accuracy", "report", "--html", str(html), "--csv", str(csv))
    assert result.exit_code == 0, result.output
    assert bob.reference in result.output
    assert "OVERDUE" in result.output
    assert alice.reference in result.output
    assert "1 overdue, 1 due within 60 days, of 2 open accounts" in result.output
    page, sheet = html.read_text("utf-8"), csv.read_text("utf-8")
    assert page.startswith("<!doctype html>")
    assert "<h2>Overdue (1)</h2>" in page
    assert bob.reference in page
    assert sheet.splitlines()[1].startswith(f"overdue,{bob.reference},")
    for path in (html, csv):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for value in [*alice.canaries, *bob.canaries]:
        assert value not in result.output
        assert value not in page
        assert value not in sheet
    [audited] = audit_details(platform, "accuracy.report")
    assert audited["formats"] == ["csv", "html", "table"]


@pytest.mark.policy("DP-ACCURATE")
def test_confirm_and_status_from_the_shell(platform, run, bob):
    """A confirmation taken by letter is recorded; the status then shows the record current."""
    before = run("accuracy", "status", bob.reference)
    assert before.exit_code == 0, before.output
    assert f"{bob.reference}: overdue" in before.output
    done = run("accuracy", "confirm", bob.reference, "--channel", "letter")
    assert done.exit_code == 0, done.output
    assert "confirmed accurate (letter)" in done.output
    after = run("accuracy", "status", bob.reference)
    assert f"{bob.reference}: current; last confirmed" in after.output
    assert "confirmed via letter by system" in after.output
    assert "0 overdue" in run("accuracy", "report").output
    [event] = audit_details(platform, "accuracy.confirm")
    assert event["channel"] == "letter"


def test_shell_errors_name_the_problem(run, bob):
    """A wrong channel or an unknown reference is a domain error (one readable line in main())."""
    wrong = run("accuracy", "confirm", bob.reference, "--channel", "fax")
    assert isinstance(wrong.exception, ValidationFailed)
    assert wrong.exception.detail == "channel: one of email, in_person, letter, phone"
    missing = run("accuracy", "status", "C9999999")
    assert isinstance(missing.exception, NotFound)
    bad = run("accuracy", "report", "--within", "400")
    assert isinstance(bad.exception, ValidationFailed)
    assert bad.exception.problems[0].field == "within_days"


@pytest.mark.policy("DP-ACCURATE")
def test_demo_data_shows_records_overdue_and_due_soon(platform):
    """The demo shop has reviewed, due-soon and overdue records, deterministically."""
    report = demo.seed(platform, demo.DemoSize(customers=60, seed=7))
    [line] = [line for line in report.lines if line.startswith("accuracy:")]
    with platform.unit_of_work() as uow:
        counts = stale_counts(uow)
    assert counts.accounts == 60
    assert counts.overdue > 0
    assert counts.due_soon > 0
    assert f"{counts.overdue} overdue for review, {counts.due_soon} due soon" in line
