"""pytest plugin for ``@pytest.mark.policy("CLAUSE-ID", ...)``.

Load it with ``-p klaremont.testing.policy_marker``. It

* refuses, as a collection error naming the test and the ID, a marker whose clause ID is
  not in the catalog (``src/klaremont/policy/clauses.toml``);
* puts each clause ID of a test into its ``user_properties`` as ``("policy", "CLAUSE-ID")``,
  so ``--junitxml`` writes them on the test's ``<testcase>`` as
  ``<property name="policy" value="CLAUSE-ID"/>``; ``scripts/test`` writes
  ``var/trace/junit-<backend>.xml`` and ``klaremont policy trace`` reads it
  (:mod:`klaremont.policy.junit`).

Under pytest-xdist the properties are set at collection on the workers and travel back with
each report; the controller writes the JUnit file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from klaremont.policy.junit import PROPERTY

if TYPE_CHECKING:
    from collections.abc import Generator

MARKER = "policy"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (for runs without the project's ini)."""
    config.addinivalue_line(
        "markers", f"{MARKER}(*clause_ids): the test proves the named policy clauses"
    )


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
            node.user_properties.extend((PROPERTY, clause_id) for clause_id in clause_ids(node))
    if problems:
        text = "\n".join(dict.fromkeys(problems))
        return pytest.CollectReport(report.nodeid, "failed", text, [])
    return report
