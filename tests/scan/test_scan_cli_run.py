"""``klaremont scan run``: exit status for CI, readable refusals, reports, ``--self``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.errors import ValidationFailed
from klaremont.platform import Platform

LIVE = "4556737586899855"


@pytest.fixture
def scan(platform: Platform) -> Iterator[Callable[..., Result]]:
    """Invoke ``klaremont scan ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, ["scan", *args])
    use_platform(None)


@pytest.mark.policy("IS-SENS-MASK")
def test_findings_fail_the_command_and_reports_are_written(
    scan: Callable[..., Result], tmp_path: Path
) -> None:
    tree = tmp_path / "logs"
    tree.mkdir()
    (tree / "clean.log").write_text("nothing to see\n" * 50)
    clean = scan("run", str(tree / "clean.log"), "--quiet")
    assert clean.exit_code == 0, clean.output
    assert "clean" in clean.output
    (tree / "app.log").write_text(f"charge pan={LIVE} ok\nmail a.person@example.org\n")
    out = tmp_path / "out"
    out.mkdir()
    dirty = scan(
        "run",
        str(tree),
        "--json",
        str(out / "r.json"),
        "--sarif",
        str(out / "r.sarif"),
        "--html",
        str(out / "r.html"),
    )
    assert dirty.exit_code == 1, dirty.output
    assert "•••• 9855" in dirty.output
    assert "2 findings remain" in dirty.output
    for name in ("r.json", "r.sarif", "r.html"):
        assert LIVE not in (out / name).read_text()
    assert LIVE not in dirty.output
    report = json.loads((out / "r.json").read_text())
    assert report["counts"] == {"card-number": 1, "email": 1}
    cards_only = scan("run", str(tree), "--detect", "card-number", "--quiet")
    assert "1 findings remain" in cards_only.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("run", "--detect", "cvv"), "--detect: 'cvv' is not one of"),
        (("run",), "targets: name at least one file"),
        (("run", "/no/such/place"), "no such file or directory"),
    ],
)
def test_bad_input_is_refused_in_words(
    scan: Callable[..., Result], args: tuple[str, ...], words: str
) -> None:
    result = scan(*args)  # the command's main turns this into one line and exit status 2
    assert isinstance(result.exception, ValidationFailed)
    assert words in str(result.exception)


@pytest.mark.policy("IS-SENS-SAFE")
def test_self_scan_finds_card_data_planted_in_the_var_directory(
    scan: Callable[..., Result], platform: Platform
) -> None:
    assert scan("run", "--self", "--quiet").exit_code == 0
    planted = Path(platform.settings.var_dir) / "exports" / "stray.csv"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(f"id,card\n1,{LIVE}\n")
    found = scan("run", "--self", "--quiet")
    assert found.exit_code == 1
    assert "1 findings remain" in found.output


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_recorded_scan_is_listed_shown_and_can_raise_an_incident(
    scan: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "export.csv").write_text(f"id,card\n1,{LIVE}\n")
    refused = scan("run", str(tmp_path), "--incident", "--quiet")
    assert isinstance(refused.exception, ValidationFailed)
    assert "--incident" in str(refused.exception)
    done = scan("run", str(tmp_path), "--record", "--incident", "--quiet")
    assert done.exit_code == 1
    assert "Recorded as SC-" in done.output
    assert "incident: raised INC-" in done.output
    reference = done.output.split("Recorded as ")[1].split(";")[0].strip()
    listed = scan("list")
    assert reference in listed.output
    assert "Card data" in listed.output
    html = tmp_path / "again.html"
    shown = scan("show", reference.lower(), "--html", str(html))
    assert shown.exit_code == 0, shown.output
    assert "•••• 9855" in shown.output
    assert LIVE not in shown.output + html.read_text()
    missing = scan("show", "SC-1999-0001")
    assert "no recorded scan" in str(missing.exception)


def test_the_self_scan_also_reads_the_configured_log_and_export_places(
    scan: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text(f"charged pan={LIVE}\n")
    monkeypatch.setenv("KLAREMONT_SCAN_PATHS", f"{tmp_path / 'missing'}:{logs}")
    found = scan("run", "--self", "--no-record", "--quiet")
    assert found.exit_code == 1
    assert "1 findings remain" in found.output
