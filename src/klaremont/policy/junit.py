"""Test results from JUnit XML: which tests proved which clause, on which backend, and how.

``scripts/test`` runs pytest once per database backend with
``--junitxml=var/trace/junit-<backend>.xml``; the policy marker plugin
(:mod:`klaremont.testing.policy_marker`) puts each test's clause IDs on its ``<testcase>`` as
``<property name="policy" value="CLAUSE-ID"/>``. :func:`load_results` turns one file, or
every ``junit-*.xml`` in a folder, into the per-clause :data:`Results` the trace and the
compliance page read. Backends are joined per test: a test that passed on SQLite and failed
on PostgreSQL is a failure, and its entry names both outcomes.

A ``.json`` path is read as the older results file (:mod:`klaremont.policy.results`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from klaremont.policy.results import (
    Results,
    ResultsFileError,
    RunOutcome,
    generated_at,
    read_results,
)

PROPERTY = "policy"
PATTERN = "junit-*.xml"
#: worst first wins when one test has several outcomes (phases, backends)
SEVERITY = {"error": 5, "failed": 4, "xpassed": 3, "passed": 2, "xfailed": 1, "skipped": 0}


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One ``<testcase>`` of one file: the test, its clauses and how it ended."""

    nodeid: str
    clauses: tuple[str, ...]
    outcome: str
    seconds: float
    backend: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class LoadedResults:
    """The per-clause results and when the newest run read started."""

    clauses: Results
    run_at: datetime | None


def backend_of(path: Path, suite_name: str) -> str:
    """The backend a file reports on: its suite name, else ``junit-<backend>.xml``."""
    if suite_name and suite_name != "pytest":
        return suite_name
    return path.stem.removeprefix("junit-")


def _nodeid(case: ET.Element) -> str:
    """The pytest node id, rebuilt from ``file``, ``classname`` and ``name`` (xunit1)."""
    name = case.get("name", "")
    classname = case.get("classname", "")
    file = case.get("file", "")
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file.removesuffix(".py").replace("/", ".")
    inner = classname.removeprefix(module).strip(".")
    parts = [file, *filter(None, inner.split(".")), name]
    return "::".join(parts)


def _outcome(case: ET.Element) -> str:
    """The worst thing the testcase element says happened."""
    found: list[str] = []
    for child in case:
        if child.tag == "error":
            found.append("error")
        elif child.tag == "failure":
            found.append("failed")
        elif child.tag == "skipped":
            found.append("xfailed" if child.get("type") == "pytest.xfail" else "skipped")
    return max(found, key=SEVERITY.__getitem__) if found else "passed"


def _timestamp(raw: str | None) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _seconds(raw: str | None) -> float:
    try:
        return float(raw or 0)
    except ValueError:
        return 0.0


def read_junit(path: Path) -> list[CaseResult]:
    """Every testcase in ``path`` that carries a policy property.

    Raises :class:`ResultsFileError` naming the file when it is not JUnit XML.
    """
    try:
        # the file is written by our own pytest run, not received from outside
        root = ET.parse(path).getroot()  # noqa: S314 - our own test output, see above
    except (OSError, ET.ParseError) as exc:
        msg = f"{path}: not a readable JUnit XML file ({exc})"
        raise ResultsFileError(msg) from exc
    if root.tag == "testsuite":
        suites = [root]
    elif root.tag == "testsuites":
        suites = root.findall("testsuite")
    else:
        msg = f"{path}: not a JUnit XML file (root element <{root.tag}>)"
        raise ResultsFileError(msg)
    cases: list[CaseResult] = []
    for suite in suites:
        backend = backend_of(path, suite.get("name", ""))
        at = _timestamp(suite.get("timestamp"))
        for case in suite.iter("testcase"):
            ids = tuple(
                dict.fromkeys(
                    prop.get("value", "")
                    for prop in case.iterfind("properties/property")
                    if prop.get("name") == PROPERTY and prop.get("value")
                )
            )
            if ids:
                cases.append(
                    CaseResult(
                        nodeid=_nodeid(case),
                        clauses=ids,
                        outcome=_outcome(case),
                        seconds=_seconds(case.get("time")),
                        backend=backend,
                        at=at,
                    )
                )
    return cases


def join(cases: list[CaseResult]) -> Results:
    """One entry per clause and test: the worst outcome over every backend, each named."""
    by_test: dict[str, list[CaseResult]] = {}
    for case in cases:
        by_test.setdefault(case.nodeid, []).append(case)
    results: Results = {}
    for nodeid, runs in sorted(by_test.items()):
        backends: dict[str, str] = {}
        for run in runs:
            previous = backends.get(run.backend)
            if previous is None or SEVERITY[run.outcome] > SEVERITY[previous]:
                backends[run.backend] = run.outcome
        stamps = [run.at for run in runs if run.at is not None]
        entry = RunOutcome(
            nodeid=nodeid,
            outcome=max(backends.values(), key=SEVERITY.__getitem__),
            backends=dict(sorted(backends.items())),
            seconds=round(sum(run.seconds for run in runs), 3),
        )
        if stamps:
            entry["at"] = max(stamps).isoformat()
        for clause_id in dict.fromkeys(c for run in runs for c in run.clauses):
            results.setdefault(clause_id, []).append(entry)
    return dict(sorted(results.items()))


def junit_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``junit-*.xml`` in it when it is a folder."""
    if path.is_dir():
        return sorted(path.glob(PATTERN))
    return [path] if path.exists() else []


def load_results(path: Path) -> LoadedResults:
    """The results at ``path`` (a JUnit file, a folder of them, or an older ``.json`` file);
    empty when there is nothing there. Raises :class:`ResultsFileError` naming a bad file."""
    if path.suffix == ".json":
        return LoadedResults(read_results(path), generated_at(path))
    cases: list[CaseResult] = []
    for file in junit_files(path):
        cases.extend(read_junit(file))
    stamps = [case.at for case in cases if case.at is not None]
    return LoadedResults(join(cases), max(stamps) if stamps else None)
