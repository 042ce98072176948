"""The page joins the test run's results (JUnit XML per backend): passed of run per clause,
when, each test's name and outcome in words, both databases named when they disagree; an
unreadable results file is said, not a 500. A register that cannot
be read is left out of the evidence pack and named in its manifest."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from compliance_support import BROWSER

from klaremont.compliance import evidence
from klaremont.policy.results import results_path

PROPS = '<properties><property name="policy" value="PP-SUPPORT"/></properties>'


def junit(path, *cases: tuple[str, str]) -> None:
    """A JUnit file as the test command writes it: one suite, each case and its outcome."""
    body = {"passed": "", "failed": "<failure>boom</failure>", "skipped": "<skipped/>"}
    testcases = "".join(
        f'<testcase classname="tests.x" name="{name}" file="tests/x.py" time="0.1">'
        f"{PROPS}{body[outcome]}</testcase>"
        for name, outcome in cases
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<testsuites><testsuite name="pytest" timestamp="2026-03-01T08:00:00+00:00">'
        f"{testcases}</testsuite></testsuites>",
        encoding="utf-8",
    )


def test_the_page_counts_the_tests_of_the_last_run(platform, signed_in):
    folder = results_path(platform.settings.var_dir)
    junit(
        folder / "junit-sqlite.xml",
        ("test_one", "passed"),
        ("test_two", "failed"),
        ("test_three", "skipped"),
        ("test_four", "passed"),
    )
    junit(folder / "junit-postgresql.xml", ("test_one", "passed"), ("test_four", "failed"))
    path = folder / "junit-sqlite.xml"
    dave = signed_in("dave")
    page = dave.get("/staff/compliance?document=PP", headers=BROWSER).text
    assert "Tests last run 1 March 2026" in page
    assert "1 of 4" in page
    drill = dave.get("/staff/compliance/PP-SUPPORT", headers=BROWSER).text
    words = re.sub(r"<[^>]+>", " ", drill)
    for name, outcome in (
        ("test_one", "passed"),
        ("test_two", "failed"),
        ("test_three", "skipped"),
        ("test_four", r"failed \(failed on PostgreSQL; passed on SQLite\)"),
    ):
        assert re.search(rf"{name}\s+{outcome}", words), name

    path.write_text("not xml", encoding="utf-8")
    broken = dave.get("/staff/compliance", headers=BROWSER)
    assert broken.status_code == 200
    assert "The test results file could not be read" in broken.text
    assert dave.get("/staff/compliance/PP-SUPPORT", headers=BROWSER).status_code == 200


def test_a_register_that_fails_is_left_out_and_named(platform, monkeypatch):
    real = evidence.capabilities.extensions

    def broken(_uow):
        raise RuntimeError("the register's database is away")

    def more(point):
        return (*real(point), broken) if point == "evidence_files" else real(point)

    monkeypatch.setattr(evidence.capabilities, "extensions", more)
    with platform.unit_of_work() as uow:
        pack = evidence.build_pack(uow)
    assert pack.failed == (__name__,)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(pack.content)).read("manifest.json"))
    assert manifest["not_included"] == [__name__]
    assert evidence.verify_pack(pack.content, platform.audit.trusted_keys) == []


def test_a_file_name_that_is_not_plain_is_refused(platform, monkeypatch):
    real = evidence.capabilities.extensions

    def sneaky(_uow):
        return [("../manifest.json", b"{}")]

    monkeypatch.setattr(
        evidence.capabilities,
        "extensions",
        lambda point: (sneaky,) if point == "evidence_files" else real(point),
    )
    with (
        pytest.raises(ValueError, match="plain lower-case file name"),
        platform.unit_of_work() as uow,
    ):
        evidence.build_pack(uow)
