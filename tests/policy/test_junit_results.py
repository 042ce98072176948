"""JUnit XML results: read per backend, joined per test, read by the trace and its CLI; a
broken file is a clear problem naming it, and ``--strict`` fails a clause with no passing test."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from klaremont.policy.cli import app
from klaremont.policy.junit import backend_of, junit_files, load_results, read_junit
from klaremont.policy.results import ResultsFileError, RunOutcome, write_results
from klaremont.policy.trace import build_matrix, completeness_problems

TESTS_DIR = Path(__file__).resolve().parents[1]


def case(name: str, clauses: tuple[str, ...], body: str = "", *, cls: str = "") -> str:
    """One ``<testcase>`` as pytest writes it (xunit1), with its policy properties."""
    props = "".join(f'<property name="policy" value="{c}"/>' for c in clauses)
    classname = "tests.policy.test_x" + (f".{cls}" if cls else "")
    properties = f"<properties>{props}</properties>" if props else ""
    return (
        f'<testcase classname="{classname}" name="{name}" file="tests/policy/test_x.py" '
        f'line="1" time="0.250">{properties}{body}</testcase>'
    )


def junit(path: Path, *cases: str, suite: str = "pytest", stamp: str = "") -> Path:
    """A JUnit file with one suite holding ``cases``."""
    stamp = stamp or "2026-03-01T08:00:00.000000+00:00"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="{suite}" errors="0" failures="0" skipped="0" tests="{len(cases)}" '
        f'time="1.0" timestamp="{stamp}" hostname="h">{"".join(cases)}</testsuite></testsuites>',
        "utf-8",
    )
    return path


FAIL = '<failure message="assert False">boom</failure>'
SKIP = '<skipped type="pytest.skip" message="not today">skip</skipped>'


def test_each_outcome_and_node_id_is_read_back(tmp_path: Path):
    """Outcomes in words, node ids with their class, the suite's backend and start time."""
    path = junit(
        tmp_path / "junit-sqlite.xml",
        case("test_ok[1]", ("PP-UK", "DP-RETAIN"), cls="TestGroup"),
        case("test_bad", ("PP-UK",), FAIL),
        case("test_skip", ("PP-UK",), SKIP),
        case("test_xfail", ("PP-UK",), '<skipped type="pytest.xfail" message="gap"/>'),
        case("test_setup", ("PP-UK",), '<error message="setup">e</error>' + FAIL),
        case("test_unmarked", ()),
    )
    cases = {c.nodeid: c for c in read_junit(path)}
    assert set(cases) == {
        "tests/policy/test_x.py::TestGroup::test_ok[1]",
        "tests/policy/test_x.py::test_bad",
        "tests/policy/test_x.py::test_skip",
        "tests/policy/test_x.py::test_xfail",
        "tests/policy/test_x.py::test_setup",
    }
    ok = cases["tests/policy/test_x.py::TestGroup::test_ok[1]"]
    assert ok.clauses == ("PP-UK", "DP-RETAIN")
    assert (ok.outcome, ok.seconds, ok.backend) == ("passed", 0.25, "sqlite")
    assert ok.at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert cases["tests/policy/test_x.py::test_bad"].outcome == "failed"
    assert cases["tests/policy/test_x.py::test_skip"].outcome == "skipped"
    assert cases["tests/policy/test_x.py::test_xfail"].outcome == "xfailed"
    assert cases["tests/policy/test_x.py::test_setup"].outcome == "error"


def test_a_failure_on_one_backend_fails_the_joined_test(tmp_path: Path):
    """Passed on SQLite, failed on PostgreSQL: the test failed, and both are named."""
    junit(tmp_path / "junit-sqlite.xml", case("test_a", ("PP-UK",)), suite="sqlite")
    junit(
        tmp_path / "junit-postgresql.xml",
        case("test_a", ("PP-UK",), FAIL),
        stamp="2026-03-01T09:00:00+00:00",
    )
    (tmp_path / "other.xml").write_text("not even xml", "utf-8")  # not junit-*.xml: ignored
    loaded = load_results(tmp_path)
    assert loaded.run_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert loaded.clauses == {
        "PP-UK": [
            RunOutcome(
                nodeid="tests/policy/test_x.py::test_a",
                outcome="failed",
                backends={"postgresql": "failed", "sqlite": "passed"},
                seconds=0.5,
                at="2026-03-01T09:00:00+00:00",
            )
        ]
    }
    row = {r.id: r for r in build_matrix(tests_dir=None, results_file=tmp_path, live=None).rows}
    assert row["PP-UK"].last_outcome == "failed"
    assert row["PP-UK"].runs[0].backends == {"postgresql": "failed", "sqlite": "passed"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("<testsuite><testcase", "not a readable JUnit XML file"),
        ("<results/>", "not a JUnit XML file (root element <results>)"),
    ],
)
def test_a_malformed_file_is_a_problem_naming_it(tmp_path: Path, text: str, words: str):
    """Broken XML or another document: an error naming the file; the trace lists it."""
    bad = tmp_path / "junit-sqlite.xml"
    bad.write_text(text, "utf-8")
    with pytest.raises(ResultsFileError, match=r"junit-sqlite\.xml") as caught:
        load_results(tmp_path)
    assert words in str(caught.value)
    matrix = build_matrix(tests_dir=None, results_file=tmp_path, live=None)
    assert [p for p in matrix.problems if "junit-sqlite.xml" in p]
    assert not matrix.results_read


def test_paths_and_backend_names(tmp_path: Path):
    """A missing path is no results; a single file is read; the suite name wins the backend."""
    assert load_results(tmp_path / "nowhere").clauses == {}
    assert junit_files(tmp_path) == []
    one = junit(tmp_path / "run.xml", case("test_a", ("PP-UK",)), suite="postgresql")
    assert junit_files(one) == [one]
    assert load_results(one).clauses["PP-UK"][0].get("backends") == {"postgresql": "passed"}
    assert backend_of(Path("junit-sqlite.xml"), "pytest") == "sqlite"
    assert backend_of(Path("whatever.xml"), "") == "whatever"
    bare = tmp_path / "bare.xml"
    bare.write_text(
        '<testsuite name="pytest" timestamp="nonsense"><testcase classname="m" name="t" '
        'time="x"><properties><property name="policy" value="PP-UK"/></properties>'
        '</testcase><testcase name="u"><properties><property name="policy" value="DP-RETAIN"/>'
        "</properties></testcase></testsuite>",
        "utf-8",
    )
    cases = {c.nodeid: c for c in read_junit(bare)}
    assert set(cases) == {"m::t", "u"}
    assert (cases["m::t"].seconds, cases["m::t"].at) == (0.0, None)
    assert load_results(bare).run_at is None
    assert "at" not in load_results(bare).clauses["PP-UK"][0]


def test_an_older_json_results_file_is_still_read(tmp_path: Path):
    """``--results x.json`` reads the older file, with its written-at time."""
    path = tmp_path / "results.json"
    when = datetime(2026, 2, 1, 7, 0, tzinfo=UTC)
    write_results(path, {"PP-UK": [RunOutcome(nodeid="t::a", outcome="passed")]}, now=when)
    loaded = load_results(path)
    assert loaded.run_at == when
    assert loaded.clauses == {"PP-UK": [{"nodeid": "t::a", "outcome": "passed"}]}


def _one_test(tmp_path: Path) -> Path:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.policy("IS-PW-LOCK3")
            def test_a():
                pass
            """
        ),
        "utf-8",
    )
    return tests


def test_strict_fails_an_implemented_clause_without_a_passing_test(tmp_path: Path):
    """With results read, a clause whose tests all failed, skipped or did not run is a
    completeness problem; without results only the missing tests are."""
    tests = _one_test(tmp_path)
    junit(tmp_path / "out" / "junit-sqlite.xml", case("test_a", ("IS-PW-LOCK3",), SKIP))
    matrix = build_matrix(tests_dir=tests, results_file=tmp_path / "out", live=None)
    assert matrix.results_read
    problems = completeness_problems(matrix)
    assert "IS-PW-LOCK3: marked implemented but no test of it passed in the last run (skipped)" in (
        problems
    )
    assert not [p for p in problems if p.startswith("PP-UK:") and "passed" in p]  # no test
    none = build_matrix(tests_dir=tests, results_file=None, live=None)
    assert not [p for p in completeness_problems(none) if "passed in the last run" in p]


def test_trace_cli_reads_the_junit_folder_by_default(tmp_path: Path, monkeypatch):
    """``klaremont policy trace`` reads ``<var>/trace/junit-*.xml`` unless told otherwise;
    ``--strict`` fails on a clause whose only test failed, and a bad file is named."""
    monkeypatch.delenv("KLAREMONT_TRACE_RESULTS", raising=False)
    monkeypatch.setenv("KLAREMONT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KLAREMONT_ENVIRONMENT", "development")
    tests = _one_test(tmp_path)
    folder = tmp_path / "var" / "trace"
    junit(folder / "junit-sqlite.xml", case("test_a", ("IS-PW-LOCK3",), FAIL))
    args = ["trace", "--strict", "--no-live", "--summary", "--tests", str(tests)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "IS-PW-LOCK3: marked implemented but no test of it passed in the last run" in (
        result.output
    )
    (folder / "junit-sqlite.xml").write_text("<broken", "utf-8")
    monkeypatch.setenv("KLAREMONT_TRACE_RESULTS", str(folder / "junit-sqlite.xml"))
    broken = CliRunner().invoke(app, [*args[:-2], "--tests", str(TESTS_DIR), "--json"])
    assert broken.exit_code == 1
    assert "junit-sqlite.xml: not a readable JUnit XML file" in broken.output
    assert "Traceback" not in broken.output
