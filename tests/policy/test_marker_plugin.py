"""The ``@pytest.mark.policy`` plugin, run for real in a child pytest (with and without xdist),
writing JUnit XML that :func:`klaremont.policy.junit.load_results` reads back.

A child process rather than ``pytester``: ``-p klaremont.testing.policy_marker`` is then
loaded exactly as the project's addopts load it, and pytest-xdist can start real workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import klaremont
from klaremont.policy.junit import load_results

SRC = str(Path(klaremont.__file__).resolve().parents[1])

GOOD = """
import pytest

pytestmark = pytest.mark.policy("PP-UK")

@pytest.mark.policy("DP-RETAIN", "IS-AC-CLOCK")
def test_passes():
    pass

@pytest.mark.policy("IS-SENS-TLS")
def test_fails():
    assert False

@pytest.mark.policy("IS-SENS-TLS")
def test_skipped():
    pytest.skip("not today")

@pytest.mark.policy("IS-PW-60")
@pytest.mark.xfail(reason="known gap", strict=True)
def test_xfail():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.policy("IS-PW-LOCK3")
def test_setup_error(broken):
    pass

@pytest.mark.policy("IS-PW-STRONG")
class TestGroup:
    @pytest.mark.parametrize("n", [1, 2])
    def test_param(self, n):
        pass
"""


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``root`` with the plugin loaded the way the project's addopts load it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KLAREMONT_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # 2 s faster; xdist is named when wanted
    command = [sys.executable, "-m", "pytest", "-p", "klaremont.testing.policy_marker"]
    command += ["-p", "no:cacheprovider", "--strict-markers", "-W", "error"]
    command += ["--junitxml", str(root / "out" / "junit-sqlite.xml"), *args]
    return subprocess.run(  # noqa: S603 - the current interpreter, fixed arguments
        command,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def project(tmp_path: Path, **files: str) -> Path:
    """A throwaway project with its own ``pytest.ini`` and the given test modules."""
    (tmp_path / "pytest.ini").write_text("[pytest]\njunit_family = xunit1\n", "utf-8")
    for name, body in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(body), "utf-8")
    return tmp_path


def results(root: Path) -> dict[str, list[tuple[str, str]]]:
    """The clause map read back from the JUnit file: clause to (node id, outcome)."""
    loaded = load_results(root / "out")
    assert loaded.run_at is not None
    return {
        clause: [(entry["nodeid"], entry["outcome"]) for entry in entries]
        for clause, entries in loaded.clauses.items()
    }


def test_unknown_clause_id_is_a_collection_error(tmp_path: Path):
    """An unknown ID fails the run at collection, naming the test node and the bad ID."""
    root = project(
        tmp_path,
        test_bad="""
        import pytest

        @pytest.mark.policy("PP-UK", "XX-NOPE")
        def test_bad():
            pass

        @pytest.mark.policy()
        def test_empty():
            pass

        @pytest.mark.policy(42)
        def test_number():
            pass

        def test_fine():
            pass
        """,
    )
    run = run_pytest(root)
    output = run.stdout + run.stderr
    assert run.returncode == 2, output  # interrupted: errors during collection
    assert "ERROR collecting test_bad.py" in output
    assert "test_bad.py::test_bad: unknown policy clause 'XX-NOPE'" in output
    assert "test_bad.py::test_empty: @pytest.mark.policy needs at least one clause ID" in output
    assert "test_bad.py::test_number: policy clause ID must be a string, not 42" in output
    assert "1 error" in output
    assert load_results(root / "out").clauses == {}


def test_results_map_each_clause_to_its_tests_and_outcomes(tmp_path: Path):
    """Several IDs per marker, class and module marks are recorded with each test's outcome."""
    root = project(tmp_path, test_good=GOOD)
    run = run_pytest(root)
    assert run.returncode == 1, run.stdout  # test_fails fails, test_setup_error errors
    clauses = results(root)
    outcome = {(c, nodeid): out for c, entries in clauses.items() for nodeid, out in entries}
    assert outcome[("DP-RETAIN", "test_good.py::test_passes")] == "passed"
    assert outcome[("IS-AC-CLOCK", "test_good.py::test_passes")] == "passed"
    assert outcome[("PP-UK", "test_good.py::test_passes")] == "passed"
    assert outcome[("IS-SENS-TLS", "test_good.py::test_fails")] == "failed"
    assert outcome[("IS-SENS-TLS", "test_good.py::test_skipped")] == "skipped"
    assert outcome[("IS-PW-60", "test_good.py::test_xfail")] == "xfailed"
    assert outcome[("IS-PW-LOCK3", "test_good.py::test_setup_error")] == "error"
    assert outcome[("IS-PW-STRONG", "test_good.py::TestGroup::test_param[1]")] == "passed"
    assert len(clauses["PP-UK"]) == 7  # the module mark reaches every test


def test_xdist_run_writes_complete_results_once(tmp_path: Path):
    """Under pytest-xdist the controller alone writes, with every worker's outcomes."""
    pytest.importorskip("xdist", reason="pytest-xdist is a dev dependency")
    root = project(tmp_path, test_good=GOOD)
    run = run_pytest(root, "-p", "xdist.plugin", "-n", "2")
    assert run.returncode == 1, run.stdout
    clauses = results(root)
    assert {nodeid for nodeid, _ in clauses["PP-UK"]} == {
        "test_good.py::test_passes",
        "test_good.py::test_fails",
        "test_good.py::test_skipped",
        "test_good.py::test_xfail",
        "test_good.py::test_setup_error",
        "test_good.py::TestGroup::test_param[1]",
        "test_good.py::TestGroup::test_param[2]",
    }
    assert clauses["IS-SENS-TLS"] == [
        ("test_good.py::test_fails", "failed"),
        ("test_good.py::test_skipped", "skipped"),
    ]
    assert [p.name for p in (root / "out").iterdir()] == ["junit-sqlite.xml"]


def test_tests_without_the_marker_carry_no_clause(tmp_path: Path):
    """A run with no policy-marked test gives no clause any result."""
    root = project(tmp_path, test_plain="def test_plain():\n    pass\n")
    assert run_pytest(root).returncode == 0
    assert load_results(root / "out").clauses == {}
