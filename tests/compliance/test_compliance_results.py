"""The page joins the test run's results: passed of run per clause, when, each test's name
and outcome in words; an unreadable results file is said, not a 500. A register that cannot
be read is left out of the evidence pack and named in its manifest."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime

import pytest
from compliance_support import BROWSER

from klaremont.compliance import evidence
from klaremont.policy.results import results_path, write_results


def test_the_page_counts_the_tests_of_the_last_run(platform, signed_in):
    path = results_path(platform.settings.var_dir)
    write_results(
        path,
        {
            "PP-SUPPORT": [
                {"nodeid": "tests/x.py::test_one", "outcome": "passed"},
                {"nodeid": "tests/x.py::test_two", "outcome": "failed"},
                {"nodeid": "tests/x.py::test_three", "outcome": "skipped"},
            ]
        },
        now=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
    )
    dave = signed_in("dave")
    page = dave.get("/staff/compliance?document=PP", headers=BROWSER).text
    assert "Tests last run 1 March 2026" in page
    assert "1 of 3" in page
    drill = dave.get("/staff/compliance/PP-SUPPORT", headers=BROWSER).text
    words = re.sub(r"<[^>]+>", " ", drill)
    for name, outcome in (
        ("test_one", "passed"),
        ("test_two", "failed"),
        ("test_three", "skipped"),
    ):
        assert re.search(rf"{name}\s+{outcome}", words), name

    path.write_text("not json", encoding="utf-8")
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
