"""The same refusals in process (the entry point and the CLI's platform), and the
listing command through the entry point."""

from __future__ import annotations

import sys

import pytest

from klaremont import settings_report
from klaremont.cli import main
from klaremont.cli.context import get_platform, use_platform
from klaremont.errors import ConfigurationError

NOWHERE = "postgresql+psycopg://klaremont:pa55word@127.0.0.1:1/klaremont"


@pytest.fixture
def environment(settings, tmp_path, monkeypatch):
    """This test's databases in the environment, and no CLI platform left behind."""
    monkeypatch.setenv("KLAREMONT_ENVIRONMENT", "test")
    monkeypatch.setenv("KLAREMONT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KLAREMONT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KLAREMONT_KEYSTORE_URL", settings.keystore_url)
    use_platform(None)
    yield monkeypatch
    use_platform(None)


def _main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["klaremont", *args])
    with pytest.raises(SystemExit) as ended:
        main.main()
    return int(ended.value.code or 0)


def test_the_entry_point_refuses_a_misspelt_name(environment, capsys) -> None:
    """One line, exit 2, before the command runs."""
    environment.setenv("KLAREMONT_PROT", "8000")
    assert _main(environment, "settings") == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: KLAREMONT_PROT: not a Klaremont setting; did you mean KLAREMONT_PORT?"
    )


def test_help_is_shown_whatever_the_environment(environment, capsys) -> None:
    """``--help`` needs no valid settings."""
    environment.setenv("KLAREMONT_PROT", "8000")
    assert _main(environment, "--help") == 0
    assert "Usage" in capsys.readouterr().out


def test_the_listing_and_the_table_through_the_entry_point(environment, capsys) -> None:
    """``klaremont settings`` and ``--markdown``."""
    environment.setenv("KLAREMONT_SECRET_KEY", "s" * 40)
    assert _main(environment, "settings") == 0
    out = capsys.readouterr().out
    assert "KLAREMONT_SECRET_KEY=********  # set" in out
    assert "s" * 40 not in out
    assert _main(environment, "settings", "--markdown") == 0
    assert capsys.readouterr().out.strip() == settings_report.markdown_table()


def test_the_cli_platform_refuses_an_unreachable_keystore(environment) -> None:
    """The keystore is checked too, and named."""
    environment.setenv("KLAREMONT_KEYSTORE_URL", NOWHERE)
    with pytest.raises(
        ConfigurationError, match=r"^KLAREMONT_KEYSTORE_URL: cannot reach"
    ) as caught:
        get_platform()
    assert "pa55word" not in caught.value.detail


def test_the_cli_platform_is_built_when_all_is_well(environment) -> None:
    """Reachable databases: the platform is built (and kept for the command)."""
    platform = get_platform(upgrade=False)
    try:
        assert get_platform() is platform
    finally:
        platform.dispose()
