"""The traceability matrix: for each clause, its control, its tests, its last run, its live status.

:func:`build_matrix` gathers four sources: the clause catalog, a static scan of the tests
for ``@pytest.mark.policy``, the test run's results (JUnit XML, :mod:`klaremont.policy.junit`)
and the live checks. :func:`completeness_problems` is what CI fails on.
"""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from klaremont.policy.catalog import Catalog, Document, Scope, Status, load_catalog
from klaremont.policy.junit import load_results
from klaremont.policy.live import REGISTRY, LiveRegistry, LiveStatus, load_all_checks
from klaremont.policy.results import ResultsFileError, RunOutcome, summarise
from klaremont.policy.testscan import ScanResult, scan_tests

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.policy.live import LiveContext

STATUS_ORDER: tuple[Status, ...] = ("implemented", "planned", "organisational")
SCOPE_ORDER: tuple[Scope, ...] = ("S", "A", "O")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ControlState(_Row):
    """One control path and whether it imports."""

    path: str
    ok: bool
    error: str = ""


class LiveState(_Row):
    """A clause's live status and the checks' detail."""

    status: LiveStatus
    detail: str = ""


class RunRecord(_Row):
    """One test's last outcome for a clause: the worst over the backends, each named."""

    nodeid: str
    outcome: str
    backends: dict[str, str] = {}
    seconds: float | None = None
    at: datetime | None = None


class ClauseRow(_Row):
    """One line of the matrix."""

    id: str
    document: Document
    scope: Scope
    text: str
    expected_control: str
    status: Status
    issue: str
    justification: str
    note: str
    controls: list[ControlState]
    tests: int
    test_ids: list[str]
    last_outcome: str
    runs: list[RunRecord]
    live: LiveState

    @property
    def missing_controls(self) -> list[ControlState]:
        """Controls that do not import."""
        return [control for control in self.controls if not control.ok]


class TraceMatrix(_Row):
    """The whole matrix, with the problems met while building it."""

    generated_at: datetime
    live_checked: bool
    #: test results were found, so a clause without a passing test is a problem (not in
    #: the JSON: its problems are)
    results_read: bool = Field(default=False, exclude=True)
    rows: list[ClauseRow]
    problems: list[str]

    def count(self, *, status: str | None = None, live: LiveStatus | None = None) -> int:
        """How many rows have ``status`` and/or live status ``live``."""
        return sum(
            1
            for row in self.rows
            if (status is None or row.status == status)
            and (live is None or row.live.status == live)
        )


def check_control(path: str) -> ControlState:
    """Import ``module`` (and resolve ``:attribute.chain`` when given); say what failed."""
    module_name, _, attributes = path.partition(":")
    try:
        target: object = importlib.import_module(module_name)
        for name in filter(None, attributes.split(".")):
            target = getattr(target, name)
    except Exception as exc:  # noqa: BLE001 - any failure to import is the finding
        return ControlState(path=path, ok=False, error=f"{type(exc).__name__}: {exc}")
    return ControlState(path=path, ok=True)


def build_matrix(
    *,
    tests_dir: Path | None,
    results_file: Path | None,
    live: LiveContext | None,
    catalog: Catalog | None = None,
    registry: LiveRegistry | None = None,
    now: datetime | None = None,
) -> TraceMatrix:
    """Build the matrix; ``live=None`` skips the live checks (status ``not run``)."""
    catalog = catalog or load_catalog()
    problems: list[str] = []
    scan = scan_tests(tests_dir) if tests_dir is not None else ScanResult()
    if tests_dir is not None and not tests_dir.is_dir():
        problems.append(f"{tests_dir}: no tests directory, so no test is counted")
    problems.extend(scan.problems)
    problems.extend(
        f"{test.nodeid}: unknown policy clause {clause_id!r}"
        for test in scan.tests
        for clause_id in test.clauses
        if clause_id not in catalog
    )
    results: dict[str, list[RunOutcome]] = {}
    if results_file is not None:
        try:
            results = load_results(results_file).clauses
        except ResultsFileError as exc:
            problems.append(str(exc))
    if live is not None and registry is None:
        problems.extend(load_all_checks().errors)
    checks = registry or REGISTRY
    rows: list[ClauseRow] = []
    for clause in catalog:
        runs = results.get(clause.id, [])
        test_ids = scan.tests_for(clause.id)
        if live is None:
            live_state = LiveState(status=LiveStatus.NOT_RUN)
        else:
            outcome = checks.run(clause.id, live)
            live_state = LiveState(status=outcome.status, detail=outcome.detail)
        rows.append(
            ClauseRow(
                id=clause.id,
                document=clause.document,
                scope=clause.scope,
                text=clause.text,
                expected_control=clause.expected_control,
                status=clause.status,
                issue=clause.issue,
                justification=clause.justification,
                note=clause.note,
                controls=[check_control(path) for path in clause.controls],
                tests=len(test_ids),
                test_ids=test_ids,
                last_outcome=summarise(runs),
                runs=[RunRecord.model_validate(run) for run in runs],
                live=live_state,
            )
        )
    return TraceMatrix(
        generated_at=now or datetime.now(UTC),
        live_checked=live is not None,
        results_read=bool(results),
        rows=rows,
        problems=problems,
    )


def completeness_problems(matrix: TraceMatrix) -> list[str]:
    """What makes the build fail: an implemented clause without a test, without a passing
    test in the last run (when results were read) or without a working control, and anything
    the matrix could not read (unknown IDs, broken checks, a bad results file)."""
    problems: list[str] = []
    for row in matrix.rows:
        if row.status != "implemented":
            continue
        if row.tests == 0:
            problems.append(
                f'{row.id}: marked implemented but no test carries @pytest.mark.policy("{row.id}")'
            )
        elif matrix.results_read and row.last_outcome != "passed":
            problems.append(
                f"{row.id}: marked implemented but no test of it passed in the last run "
                f"({row.last_outcome})"
            )
        problems.extend(
            f"{row.id}: control {control.path} does not import ({control.error})"
            for control in row.missing_controls
        )
    problems.extend(matrix.problems)
    return problems


def matrix_json(matrix: TraceMatrix) -> str:
    """The matrix as JSON (the ``--json`` output), with the completeness problems beside it."""
    document = matrix.model_dump(mode="json")
    document["completeness_problems"] = completeness_problems(matrix)
    return json.dumps(document, indent=2, ensure_ascii=False)
