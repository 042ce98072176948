"""Settings that explain themselves, through the real ``klaremont`` command: a bad value, a
misspelt name and an unreachable database each give one clear line and exit 2, never a
traceback; ``klaremont settings`` lists every setting with secrets masked; the README's
Settings table is the one the code documents."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from klaremont import settings_report

KLAREMONT = Path(sys.executable).parent / "klaremont"
REPO = Path(__file__).resolve().parents[2]
NOWHERE = "postgresql+psycopg://klaremont:pa55word-in-url@127.0.0.1:1/klaremont"
SECRET = "a-secret-key-of-more-than-32-characters-0123"


def run(settings, tmp_path, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    """``klaremont <args>`` in a clean environment pointing at this test's databases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAREMONT_")}
    env.update(
        KLAREMONT_ENVIRONMENT="test",
        KLAREMONT_VAR_DIR=str(tmp_path / "var"),
        KLAREMONT_DATABASE_URL=settings.database_url,
        KLAREMONT_KEYSTORE_URL=settings.keystore_url,
        KLAREMONT_LOG_JSON="false",
    )
    env.update(overrides)
    return subprocess.run(  # noqa: S603 - our own installed command
        [str(KLAREMONT), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a refused start prints (exit status 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


COMMANDS = [("db", "check"), ("serve", "--no-demo"), ("audit", "verify")]


def test_a_valid_configuration_runs(settings, tmp_path) -> None:
    """The same environment with nothing wrong runs the command."""
    result = run(settings, tmp_path, "db", "check")
    assert result.returncode == 0, result.stderr
    assert "models and migrations agree" in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_bad_value_names_the_variable_and_the_rule(settings, tmp_path, command) -> None:
    """``KLAREMONT_PORT=eighty``: the variable, the rule, the value and the format."""
    line = one_error_line(run(settings, tmp_path, *command, KLAREMONT_PORT="eighty"))
    assert line.startswith("error: KLAREMONT_PORT: ")
    assert "valid integer" in line
    assert "'eighty'" in line
    assert "format: integer 1-65535" in line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_misspelt_name_is_named_with_the_nearest(settings, tmp_path, command) -> None:
    """``KLAREMONT_DATABSE_URL`` is not silently ignored: did you mean ...?"""
    line = one_error_line(
        run(settings, tmp_path, *command, KLAREMONT_DATABSE_URL="postgresql://x@y/z")
    )
    assert line == (
        "error: KLAREMONT_DATABSE_URL: not a Klaremont setting; "
        "did you mean KLAREMONT_DATABASE_URL?"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_unreachable_database_is_one_line(settings, tmp_path, command) -> None:
    """Nothing listens: the variable, the address without its password, the reason."""
    line = one_error_line(run(settings, tmp_path, *command, KLAREMONT_DATABASE_URL=NOWHERE))
    assert line.startswith("error: KLAREMONT_DATABASE_URL: cannot reach the database at ")
    assert "127.0.0.1:1/klaremont" in line
    assert "pa55word-in-url" not in line
    assert "refused" in line.lower()
    assert not (tmp_path / "var").exists()  # nothing was written before the refusal


def test_a_secret_is_never_repeated(settings, tmp_path) -> None:
    """A too-short scrape token is refused by name and rule; its value is not echoed."""
    line = one_error_line(
        run(settings, tmp_path, "db", "check", KLAREMONT_METRICS_TOKEN="tiny-tok-value")
    )
    assert line.startswith("error: KLAREMONT_METRICS_TOKEN: must be at least 32 characters")
    assert "tiny-tok-value" not in line


def test_a_capability_setting_is_explained_too(settings, tmp_path) -> None:
    """The mail capability's settings join in (extension point ``settings``)."""
    line = one_error_line(run(settings, tmp_path, "db", "check", KLAREMONT_MAIL_PORT="0"))
    assert line.startswith("error: KLAREMONT_MAIL_PORT: Input should be greater than or equal")


def test_a_list_that_is_not_json_is_explained(settings, tmp_path) -> None:
    """A list setting that does not parse says so, with the expected format."""
    line = one_error_line(
        run(settings, tmp_path, "db", "check", KLAREMONT_OFFICE_NETWORKS="10.0.0.0/8")
    )
    assert line == (
        "error: KLAREMONT_OFFICE_NETWORKS: not valid JSON; "
        "format: JSON list of IP networks or addresses"
    )


def test_several_problems_are_one_line_each(settings, tmp_path) -> None:
    """Everything wrong is reported at once, each on its own line."""
    result = run(
        settings,
        tmp_path,
        "db",
        "check",
        KLAREMONT_PORT="x",
        KLAREMONT_OFFICE_NETWORKS='["not-a-network"]',
        KLAREMONT_POLICYFILE="p.toml",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("error: KLAREMONT_POLICYFILE: not a Klaremont setting; did you")
    assert "KLAREMONT_POLICY_FILE" in lines[0]
    assert any("KLAREMONT_OFFICE_NETWORKS: 'not-a-network' is not an IP" in x for x in lines)


def test_settings_lists_every_setting_with_secrets_masked(settings, tmp_path) -> None:
    """Every variable appears with its current value; set secrets show as ********."""
    result = run(
        settings,
        tmp_path,
        "settings",
        KLAREMONT_SECRET_KEY=SECRET,
        KLAREMONT_MAIL_PASSWORD="mail-password-value",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in settings_report.known_variables():
        assert f"\n{name}=" in "\n" + out, name
    assert "KLAREMONT_SECRET_KEY=********  # set" in out
    assert "KLAREMONT_MAIL_PASSWORD=********  # set" in out
    assert "KLAREMONT_PORT=8000  # default" in out
    assert SECRET not in out
    assert "mail-password-value" not in out


def test_every_setting_is_documented() -> None:
    """Each setting has a description, a format and an example."""
    for row in settings_report.rows(environ={}):
        assert row.description, row.name
        assert row.format, row.name
        assert row.example, row.name


def test_the_readme_table_is_the_documented_one() -> None:
    """README's Settings table is exactly ``klaremont settings --markdown``."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert settings_report.markdown_table() in readme


def test_unknown_names_ignore_the_tools_variables() -> None:
    """The test runner's and benchmarks' own variables are not settings, nor mistakes."""
    environ = {"KLAREMONT_TEST_DATABASE": "sqlite", "KLAREMONT_BENCH_PG_URL": "x", "HOME": "/"}
    assert settings_report.unknown_variables(environ) == []
    assert settings_report.unknown_variables({"KLAREMONT_ZZZZZZZZZZ": "1"}) == [
        "KLAREMONT_ZZZZZZZZZZ: not a Klaremont setting; `klaremont settings` lists them"
    ]


def test_the_markdown_listing_is_the_readme_table(settings, tmp_path) -> None:
    """``klaremont settings --markdown`` prints the table the README carries."""
    result = run(settings, tmp_path, "settings", "--markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == settings_report.markdown_table()
