"""The trace: static test scan, controls, last results, live statuses, JSON, HTML, completeness."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from policyhelp import live_context, make_settings

from klaremont.errors import NotFound
from klaremont.policy.catalog import load_catalog
from klaremont.policy.live import CheckResult, LiveRegistry, LiveStatus, live_check
from klaremont.policy.render import trace_html, trace_summary, trace_table
from klaremont.policy.results import RunOutcome, write_results
from klaremont.policy.testscan import scan_tests
from klaremont.policy.trace import (
    build_matrix,
    check_control,
    completeness_problems,
    matrix_json,
)

TESTS_DIR = Path(__file__).resolve().parents[1]


def write_tests(root: Path, name: str, body: str) -> Path:
    """Write a test module under ``root/tests``."""
    path = root / "tests" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), "utf-8")
    return root / "tests"


def test_scan_finds_functions_classes_module_marks_and_params(tmp_path: Path):
    """Decorators on functions and classes, ``pytestmark`` and param marks all count."""
    tests = write_tests(
        tmp_path,
        "sub/test_things.py",
        """
        import pytest
        from pytest import mark

        pytestmark = [pytest.mark.policy("PP-UK")]

        @pytest.mark.policy("DP-RETAIN", "IS-AC-CLOCK")
        def test_a(): ...

        @mark.policy("DP-RETAIN")
        async def test_b(): ...

        def test_plain(): ...

        def helper_not_a_test(): ...

        @pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.policy("IS-PW-60"))])
        def test_param(x): ...

        @pytest.mark.policy("IS-SENS-TLS")
        class TestGroup:
            pytestmark = pytest.mark.policy("IS-PW-LOCK3")

            def test_one(self): ...

            @pytest.mark.policy("IS-SENS-TLS")
            def test_two(self): ...

        class Helper:
            @pytest.mark.policy("DP-LAW")
            def test_ignored(self): ...
        """,
    )
    scan = scan_tests(tests)
    found = {test.nodeid: set(test.clauses) for test in scan.tests}
    prefix = "tests/sub/test_things.py::"
    assert found == {
        prefix + "test_a": {"PP-UK", "DP-RETAIN", "IS-AC-CLOCK"},
        prefix + "test_b": {"PP-UK", "DP-RETAIN"},
        prefix + "test_plain": {"PP-UK"},
        prefix + "test_param": {"PP-UK", "IS-PW-60"},
        prefix + "TestGroup::test_one": {"PP-UK", "IS-PW-LOCK3", "IS-SENS-TLS"},
        prefix + "TestGroup::test_two": {"PP-UK", "IS-PW-LOCK3", "IS-SENS-TLS"},
    }
    assert scan.tests_for("DP-RETAIN") == [prefix + "test_a", prefix + "test_b"]
    assert scan.problems == []


def test_scan_reports_non_literal_ids_and_syntax_errors(tmp_path: Path):
    """IDs the scan cannot read, and files that do not parse, are problems."""
    tests = write_tests(
        tmp_path,
        "test_odd.py",
        """
        import pytest
        CLAUSE = "PP-UK"

        @pytest.mark.policy(CLAUSE)
        def test_a(): ...
        """,
    )
    (tests / "test_broken.py").write_text("def test_(:\n", "utf-8")
    problems = scan_tests(tests).problems
    assert any(
        "test_odd.py:5: pytest.mark.policy takes clause IDs as string literals" in p
        for p in problems
    )
    assert any(p.startswith("tests/test_broken.py: cannot be scanned") for p in problems)


def test_trace_lists_all_87_clauses(tmp_path: Path):
    """The matrix has one row per catalog clause, in catalog order."""
    matrix = build_matrix(tests_dir=TESTS_DIR, results_file=None, live=None)
    assert [row.id for row in matrix.rows] == list(load_catalog().ids)
    assert len(matrix.rows) == 87
    assert all(row.live.status is LiveStatus.NOT_RUN for row in matrix.rows)
    assert not matrix.live_checked


@pytest.mark.policy("DP-RETAIN")
def test_this_suite_proves_the_policy_clauses_it_marks():
    """Scanning this repository's tests finds the policy tests' markers for DP-RETAIN."""
    matrix = build_matrix(tests_dir=TESTS_DIR, results_file=None, live=None)
    row = next(row for row in matrix.rows if row.id == "DP-RETAIN")
    assert row.tests >= 3
    assert any(nodeid.startswith("tests/policy/") for nodeid in row.test_ids)


def test_completeness_flags_implemented_clause_without_tests(tmp_path: Path):
    """An implemented clause with no test is a completeness problem; the named ones are not
    (no clause is planned any more: every scope S and A clause is implemented)."""
    tests = write_tests(
        tmp_path,
        "test_some.py",
        """
        import pytest

        @pytest.mark.policy("DP-RETAIN", "PP-UK", "IS-SENS-TLS", "IS-AC-CLOCK")
        def test_x(): ...
        """,
    )
    matrix = build_matrix(tests_dir=tests, results_file=None, live=None)
    problems = completeness_problems(matrix)
    expected = "IS-SENS-DISPOSE: marked implemented but no test carries "
    assert expected + '@pytest.mark.policy("IS-SENS-DISPOSE")' in problems
    assert not any(p.startswith(("DP-RETAIN:", "PP-UK:", "IS-SENS-TLS:")) for p in problems)
    assert any(p.startswith("DP-LAW:") for p in problems)


def test_completeness_flags_unknown_ids_and_missing_tests_dir(tmp_path: Path):
    """A marker naming an unknown clause, or no tests folder at all, fails completeness."""
    tests = write_tests(
        tmp_path,
        "test_bad.py",
        """
        import pytest

        @pytest.mark.policy("XX-NOPE")
        def test_x(): ...
        """,
    )
    problems = completeness_problems(build_matrix(tests_dir=tests, results_file=None, live=None))
    assert "tests/test_bad.py::test_x: unknown policy clause 'XX-NOPE'" in problems
    missing = build_matrix(tests_dir=tmp_path / "nowhere", results_file=None, live=None)
    assert any("no tests directory" in p for p in completeness_problems(missing))


def test_controls_are_imported_and_missing_ones_flagged():
    """A control path that imports is ok; a missing module or attribute is flagged."""
    assert check_control("klaremont.config:Settings.production_problems").ok
    assert check_control("klaremont.policy.model").ok
    missing = check_control("klaremont.nothing_here")
    assert not missing.ok
    assert "ModuleNotFoundError" in missing.error
    assert not check_control("klaremont.config:Settings.no_such_method").ok


def test_last_outcome_comes_from_the_results_file(tmp_path: Path):
    """The results file gives each clause its last outcome; a failure outweighs a pass."""
    results = tmp_path / "results.json"
    write_results(
        results,
        {
            "PP-UK": [
                RunOutcome(nodeid="t::a", outcome="passed"),
                RunOutcome(nodeid="t::b", outcome="failed"),
            ],
            "DP-RETAIN": [RunOutcome(nodeid="t::c", outcome="passed")],
            "IS-PW-60": [RunOutcome(nodeid="t::d", outcome="skipped")],
        },
    )
    rows = {r.id: r for r in build_matrix(tests_dir=None, results_file=results, live=None).rows}
    assert rows["PP-UK"].last_outcome == "failed"
    assert rows["DP-RETAIN"].last_outcome == "passed"
    assert rows["IS-PW-60"].last_outcome == "skipped"
    assert rows["IS-PW-LOCK3"].last_outcome == "not run"
    assert [run.nodeid for run in rows["PP-UK"].runs] == ["t::a", "t::b"]


def test_unreadable_results_file_is_a_problem(tmp_path: Path):
    """A corrupt results file is reported, not a crash."""
    results = tmp_path / "results.json"
    results.write_text("{not json", "utf-8")
    matrix = build_matrix(tests_dir=None, results_file=results, live=None)
    assert any("not a readable results file" in p for p in matrix.problems)


def test_live_statuses_from_a_registry(tmp_path: Path):
    """Checks that hold, fail or crash give holds, fails and error; no check gives no check."""
    registry = LiveRegistry()

    @live_check("PP-UK", registry=registry)
    def holds(ctx):
        return CheckResult(holds=True, detail="fine")

    @live_check("IS-SENS-TLS", "IS-AC-CLOCK", registry=registry)
    def fails(ctx):
        return CheckResult(holds=False, detail="broken")

    @live_check("IS-AC-CLOCK", registry=registry)
    def crashes(ctx):
        raise RuntimeError("boom")

    @live_check("DP-RETAIN", registry=registry)
    def returns_nonsense(ctx):
        return True

    ctx = live_context(make_settings(tmp_path))
    matrix = build_matrix(tests_dir=None, results_file=None, live=ctx, registry=registry)
    rows = {row.id: row for row in matrix.rows}
    assert rows["PP-UK"].live.status is LiveStatus.HOLDS
    assert rows["IS-SENS-TLS"].live.status is LiveStatus.FAILS
    assert rows["IS-AC-CLOCK"].live.status is LiveStatus.ERROR
    assert "crashes: RuntimeError: boom" in rows["IS-AC-CLOCK"].live.detail
    assert rows["DP-RETAIN"].live.status is LiveStatus.ERROR
    assert rows["IS-PW-60"].live.status is LiveStatus.NO_CHECK
    assert matrix.count(live=LiveStatus.HOLDS) == 1


def test_live_check_for_an_unknown_clause_is_refused():
    """Registering a check for a clause the catalog does not know raises at import time."""
    with pytest.raises(NotFound, match="XX-NOPE"):
        live_check("XX-NOPE", registry=LiveRegistry())(lambda _: CheckResult(holds=True, detail=""))


def test_foundation_live_checks_hold_in_development(tmp_path: Path):
    """With the real registry, the foundation checks hold on development settings; retention,
    which needs the database to look at, cannot tell without one and says why."""
    ctx = live_context(make_settings(tmp_path))
    matrix = build_matrix(tests_dir=None, results_file=None, live=ctx)
    rows = {row.id: row for row in matrix.rows}
    for clause_id in ("PP-UK", "IS-SENS-TLS", "IS-AC-CLOCK"):
        assert rows[clause_id].live.status is LiveStatus.HOLDS, rows[clause_id].live.detail
    assert rows["DP-RETAIN"].live.status is LiveStatus.UNKNOWN
    assert "retention not inspected (no database" in rows["DP-RETAIN"].live.detail
    assert matrix.live_checked


def test_json_output_schema(tmp_path: Path):
    """The JSON has the matrix fields, one object per clause, and the completeness problems."""
    matrix = build_matrix(tests_dir=TESTS_DIR, results_file=None, live=None)
    document = json.loads(matrix_json(matrix))
    assert set(document) == {
        "generated_at",
        "live_checked",
        "rows",
        "problems",
        "completeness_problems",
    }
    assert len(document["rows"]) == 87
    row = next(r for r in document["rows"] if r["id"] == "PP-UK")
    fields = "id document scope text expected_control status issue justification note"
    fields += " controls tests test_ids last_outcome runs live"
    assert list(row) == fields.split()
    assert row["live"] == {"status": "not run", "detail": ""}
    assert row["controls"][0] == {
        "path": "klaremont.config:Settings.production_problems",
        "ok": True,
        "error": "",
    }
    assert isinstance(row["tests"], int)


def test_html_report_is_self_contained_and_lists_every_clause(tmp_path: Path):
    """The HTML report names every clause, uses no script or external asset, and escapes text."""
    ctx = live_context(make_settings(tmp_path))
    html = trace_html(build_matrix(tests_dir=TESTS_DIR, results_file=None, live=ctx))
    for clause_id in load_catalog().ids:
        assert f'id="clause-{clause_id}"' in html
    assert "<script" not in html.lower()
    assert "<link" not in html
    assert " src=" not in html
    assert 'href="http' not in html
    assert "url(" not in html
    assert 'href="#status-implemented"' in html
    assert 'href="#scope-O"' in html
    assert 'class="badge live-holds"' in html
    assert "08:00\u201318:30" in html  # the en dash of IS-WIFI-HOURS survives


def test_rich_table_and_summary_render(tmp_path: Path):
    """The rich table has a row per clause and the summary counts statuses."""
    matrix = build_matrix(tests_dir=None, results_file=None, live=None)
    assert trace_table(matrix).row_count == 87
    assert trace_summary(matrix) == (
        "87 clauses: 77 implemented, 0 planned, 10 organisational; live checks not run"
    )
