"""pytest plugin for ``@pytest.mark.policy("CLAUSE-ID", ...)``.

Load it with ``-p klaremont.testing.policy_marker``. It

* refuses, as a collection error naming the test and the ID, a marker whose clause ID is
  not in the catalog (``src/klaremont/policy/clauses.toml``);
* at the end of the session writes which tests proved which clause, and how they ended, to
  ``var/trace/test-results.json`` under the rootdir (``KLAREMONT_TRACE_RESULTS`` overrides),
  read by ``klaremont policy trace``.

Under pytest-xdist only the controller writes: workers put each test's clause IDs into the
report's ``user_properties``, which travel back with the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from klaremont.policy.results import (
    Results,
    ResultsFileError,
    RunOutcome,
    merge_results,
    read_results,
    results_path,
    write_results,
)

if TYPE_CHECKING:
    from collections.abc import Generator
    from pathlib import Path

MARKER = "policy"
PROPERTY = "klaremont_policy_clauses"
RECORDER_NAME = "klaremont-policy-results"
_SEVERITY = {"error": 5, "failed": 4, "xpassed": 3, "passed": 2, "xfailed": 1, "skipped": 0}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (for runs without the project's ini) and the results store."""
    config.addinivalue_line(
        "markers", f"{MARKER}(*clause_ids): the test proves the named policy clauses"
    )
    config.pluginmanager.register(ResultsRecorder(config), RECORDER_NAME)


def marker_problems(item: pytest.Item) -> list[str]:
    """Why ``item``'s policy markers are wrong (empty when every ID is a known clause)."""
    from klaremont.policy.catalog import load_catalog  # noqa: PLC0415 - only when a marker is used

    problems: list[str] = []
    for mark in item.iter_markers(MARKER):
        if mark.kwargs:
            problems.append(
                f"{item.nodeid}: @pytest.mark.policy takes clause IDs only, no keywords"
            )
        if not mark.args:
            problems.append(f"{item.nodeid}: @pytest.mark.policy needs at least one clause ID")
        for clause_id in mark.args:
            if not isinstance(clause_id, str):
                problems.append(
                    f"{item.nodeid}: policy clause ID must be a string, not {clause_id!r}"
                )
            elif clause_id not in load_catalog():
                problems.append(
                    f"{item.nodeid}: unknown policy clause {clause_id!r} "
                    "(see src/klaremont/policy/clauses.toml)"
                )
    return problems


def clause_ids(item: pytest.Item) -> tuple[str, ...]:
    """Every clause ID on ``item``'s policy markers, once each, in order."""
    ids = (arg for mark in item.iter_markers(MARKER) for arg in mark.args if isinstance(arg, str))
    return tuple(dict.fromkeys(ids))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report() -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Turn a bad policy marker into a collection error of the collector that holds the test."""
    report = yield
    if not report.passed:
        return report
    problems: list[str] = []
    for node in report.result:
        if isinstance(node, pytest.Item):
            problems.extend(marker_problems(node))
            ids = clause_ids(node)
            if ids:
                node.user_properties.append((PROPERTY, " ".join(ids)))
    if problems:
        text = "\n".join(dict.fromkeys(problems))
        return pytest.CollectReport(report.nodeid, "failed", text, [])
    return report


class ResultsRecorder:
    """Collects each policy-marked test's outcome and writes the results file at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, tuple[tuple[str, ...], str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember the worst outcome of each policy-marked test (reports from xdist too)."""
        ids = next((str(value) for name, value in report.user_properties if name == PROPERTY), "")
        outcome = _outcome(report) if ids else None
        if outcome is None:
            return
        previous = self.outcomes.get(report.nodeid)
        if previous is None or _SEVERITY[outcome] > _SEVERITY[previous[1]]:
            self.outcomes[report.nodeid] = (tuple(ids.split()), outcome)

    def pytest_sessionfinish(self) -> None:
        """Merge this run's outcomes into the results file (the controller only under xdist)."""
        if hasattr(self.config, "workerinput") or not self.outcomes:
            return
        new: Results = {}
        for nodeid, (ids, outcome) in self.outcomes.items():
            for clause_id in ids:
                new.setdefault(clause_id, []).append(RunOutcome(nodeid=nodeid, outcome=outcome))
        path = results_file(self.config)
        try:
            old = read_results(path)
        except ResultsFileError:
            old = {}  # an unreadable file is replaced, not merged
        write_results(path, merge_results(old, new))


def results_file(config: pytest.Config) -> Path:
    """Where this run writes: ``$KLAREMONT_TRACE_RESULTS`` or ``<rootdir>/var/trace/...``."""
    return results_path(config.rootpath / "var")


def _outcome(report: pytest.TestReport) -> str | None:
    """One word for a report phase, or None for a phase that says nothing new."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfailed" if report.skipped else "xpassed"
        return str(report.outcome)
    if report.failed:
        return "error"
    if report.skipped and report.when == "setup":
        return "xfailed" if xfail else "skipped"
    return None
