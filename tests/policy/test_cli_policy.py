"""``klaremont policy`` commands: show, check and trace, through Typer's test runner."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from policyhelp import shipped_text
from typer.testing import CliRunner

from klaremont.policy.cli import app

TESTS_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch) -> CliRunner:
    """A runner whose settings live under ``tmp_path`` (no stray environment)."""
    for name in ("KLAREMONT_POLICY_FILE", "KLAREMONT_TRACE_RESULTS", "KLAREMONT_TIME_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLAREMONT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KLAREMONT_ENVIRONMENT", "development")
    return CliRunner()


def bad_policy(tmp_path: Path) -> Path:
    """A policy file with two broken values and an unknown key."""
    path = tmp_path / "bad.toml"
    text = (
        shipped_text()
        .replace("expiry_days = 60", "expiry_days = 0")
        .replace("threshold = 3", "threshold = 30")
        .replace("[breach]", "[breach]\nnotify_iso_minutes = 5")
    )
    path.write_text(text, "utf-8")
    return path


def test_check_bad_file_exits_1_with_each_problem_on_its_own_line(runner, tmp_path):
    """``policy check`` names every ``key: rule`` problem, one per line, and exits 1."""
    result = runner.invoke(app, ["check", str(bad_policy(tmp_path))])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("bad.toml: not valid (3 problems)")
    assert "passwords.expiry_days: must be an integer from 1 to 365, not 0" in lines
    assert "lockout.threshold: must be an integer from 1 to 10, not 30" in lines
    assert "breach.notify_iso_minutes: unknown key (not part of the policy file)" in lines
    assert "Traceback" not in result.output


def test_check_good_file_exits_0_with_a_summary(runner, tmp_path):
    """A valid file passes with a one-line summary of its headline numbers."""
    path = tmp_path / "good.toml"
    path.write_text(shipped_text(), "utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "good.toml: valid" in result.output
    assert "passwords expire after 60 days" in result.output
    assert "lockout after 3 failures" in result.output
    assert "wireless mon-fri 08:00-18:30 Europe/London" in result.output


def test_check_missing_file_exits_1(runner, tmp_path):
    """A file that does not exist is a readable error, exit 1."""
    result = runner.invoke(app, ["check", str(tmp_path / "absent.toml")])
    assert result.exit_code == 1
    assert "(file): cannot be read" in result.output


def test_show_prints_the_policy(runner):
    """``policy show`` renders every section of the shipped policy."""
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0, result.output
    for text in ("passwords", "expiry_days = 60", "threshold = 3", "Europe/London", "invoices"):
        assert text in result.output


def test_show_json_and_policy_file_override(runner, tmp_path, monkeypatch):
    """``policy show --json`` prints the policy in force, honouring KLAREMONT_POLICY_FILE."""
    path = tmp_path / "mine.toml"
    path.write_text(shipped_text().replace("expiry_days = 60", "expiry_days = 30"), "utf-8")
    monkeypatch.setenv("KLAREMONT_POLICY_FILE", str(path))
    result = runner.invoke(app, ["show", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["passwords"]["expiry_days"] == 30
    assert document["wifi"]["close"] == "18:30"


def test_show_bad_policy_file_exits_1(runner, tmp_path):
    """``policy show --file`` on a bad file lists the problems and exits 1."""
    result = runner.invoke(app, ["show", "--file", str(bad_policy(tmp_path))])
    assert result.exit_code == 1
    assert "passwords.expiry_days: must be an integer from 1 to 365" in result.output


def test_trace_json_lists_87_clauses(runner):
    """``policy trace --json --no-live`` prints the whole matrix as JSON."""
    result = runner.invoke(app, ["trace", "--json", "--no-live", "--tests", str(TESTS_DIR)])
    document = json.loads(result.stdout)
    assert len(document["rows"]) == 87
    assert {row["live"]["status"] for row in document["rows"]} == {"not run"}
    assert "completeness_problems" in document


def test_trace_runs_live_checks_and_writes_html(runner, tmp_path):
    """``policy trace --html`` writes the report; live checks run against the settings."""
    report = tmp_path / "out" / "trace.html"
    result = runner.invoke(app, ["trace", "--html", str(report), "--tests", str(TESTS_DIR)])
    assert report.exists()
    html = report.read_text("utf-8")
    assert 'id="clause-IS-AC-CLOCK"' in html
    assert "87 clauses" in result.output
    assert "holds" in result.output


def test_trace_strict_fails_on_implemented_clause_without_tests(runner, tmp_path):
    """``--strict`` exits 1 when an implemented clause has no test; the problem is printed."""
    empty = tmp_path / "tests"
    empty.mkdir()
    (empty / "test_nothing.py").write_text(
        textwrap.dedent(
            """
            def test_nothing():
                pass
            """
        ),
        "utf-8",
    )
    result = runner.invoke(
        app, ["trace", "--strict", "--no-live", "--summary", "--tests", str(empty)]
    )
    assert result.exit_code == 1
    assert 'DP-RETAIN: marked implemented but no test carries @pytest.mark.policy("DP-RETAIN")' in (
        result.output
    )
    lenient = runner.invoke(app, ["trace", "--no-live", "--summary", "--tests", str(empty)])
    assert lenient.exit_code == 0
