"""What the compliance page shows: each clause with its scope, controls, tests, live status
and history, in words.

Reads the clause catalogue, the test run's results (JUnit XML per backend) and the newest rows of
the status history; runs no check (the hourly job does). The drill-down
(:func:`clause_view`) runs the clause's own checks now, to show what each reads (the query
behind it, as the check declares, else its docstring), what it says and the records behind
its answer as links; it adds the tests' names and outcomes and every recorded change.
Statuses, scopes and documents are said in words; clause ids are shown, as this page is
about clauses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from klaremont.compliance.history import history_of, latest
from klaremont.display import uk_datetime
from klaremont.policy.catalog import load_catalog
from klaremont.policy.junit import LoadedResults, load_results
from klaremont.policy.live import (
    REGISTRY,
    CheckRun,
    LiveStatus,
    RelatedRecord,
    load_all_checks,
)
from klaremont.policy.results import ResultsFileError, RunOutcome, results_path

if TYPE_CHECKING:
    from klaremont.compliance.models import ClauseStatusChange
    from klaremont.platform import UnitOfWork
    from klaremont.policy.catalog import Clause

DOCUMENTS = {
    "PP": "Privacy policy",
    "DP": "Data protection policy",
    "IS": "Information security policy",
    "SP": "Security policy",
}
SCOPES = {
    "S": "The system enforces it",
    "A": "The system assists",
    "O": "Organisational",
}
STATUS_WORDS = {
    LiveStatus.HOLDS.value: "Holds",
    LiveStatus.FAILS.value: "Fails",
    LiveStatus.UNKNOWN.value: "Cannot tell",
    LiveStatus.ERROR.value: "Check broke",
    LiveStatus.NO_CHECK.value: "No live check",
    LiveStatus.NOT_RUN.value: "Not checked yet",
}
#: the filter's choices: key in the query string, words on the page
FILTERS = {
    "fails": "Fails",
    "unknown": "Cannot tell",
    "holds": "Holds",
    "none": "No live check",
}
OUTCOME_WORDS = {
    "passed": "passed",
    "xpassed": "passed",
    "failed": "failed",
    "error": "broke",
    "skipped": "skipped",
    "xfailed": "expected to fail",
}
BACKEND_WORDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: where a related record may link to
STAFF_PAGES = "/staff/"
_FILTER_STATUS = {
    "fails": {LiveStatus.FAILS.value, LiveStatus.ERROR.value},
    "unknown": {LiveStatus.UNKNOWN.value, LiveStatus.NOT_RUN.value},
    "holds": {LiveStatus.HOLDS.value},
    "none": {LiveStatus.NO_CHECK.value},
}


@dataclass(frozen=True, slots=True)
class TestRun:
    """One test of a clause and how it last ended, in words."""

    name: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded status change."""

    status: str
    status_key: str
    detail: str
    at: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """One live check on the drill-down: what it is, what it reads, what it says now and
    the records behind its answer, as (label, staff page)."""

    title: str
    name: str
    reads: str
    status: str
    status_key: str
    now: str
    records: tuple[RelatedRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ClauseLine:
    """One clause as the page shows it."""

    id: str
    document: str
    scope: str
    text: str
    expected_control: str
    controls: tuple[str, ...]
    tests_passed: int
    tests_total: int
    status: str
    status_key: str
    reason: str
    since: str
    justification: str
    checks: tuple[CheckView, ...] = ()
    tests: tuple[TestRun, ...] = ()
    history: tuple[Change, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Overview:
    """Every clause the filter keeps, the counts, and when the tests last ran."""

    lines: tuple[ClauseLine, ...]
    counts: dict[str, int]
    tests_run_at: str
    document: str
    status: str
    problems: tuple[str, ...] = ()


def _status_key(status: str) -> str:
    """The class a status takes on the page (``fails`` also for a broken check)."""
    for key, statuses in _FILTER_STATUS.items():
        if status in statuses:
            return key
    return "unknown"


def _results(uow: UnitOfWork) -> tuple[LoadedResults, list[str]]:
    """The last test run's results; nothing (and a sentence saying so) when unreadable."""
    try:
        return load_results(results_path(uow.platform.settings.var_dir)), []
    except ResultsFileError:
        return LoadedResults({}, None), [
            "The test results file could not be read, so no test is counted."
        ]


def outcome_words(run: RunOutcome) -> str:
    """How a test last ended, in words, with each database when they differ."""
    words = OUTCOME_WORDS.get(run["outcome"], run["outcome"])
    backends = run.get("backends", {})
    if len(set(backends.values())) > 1:
        each = "; ".join(
            f"{OUTCOME_WORDS.get(outcome, outcome)} on {BACKEND_WORDS.get(name, name)}"
            for name, outcome in backends.items()
        )
        words = f"{words} ({each})"
    return words


def _line(
    clause: Clause,
    row: ClauseStatusChange | None,
    runs: list[RunOutcome],
) -> ClauseLine:
    if not REGISTRY.checks_for(clause.id):
        status, reason, since = LiveStatus.NO_CHECK.value, clause.justification, ""
    elif row is None:
        status, reason, since = LiveStatus.NOT_RUN.value, "the hourly checks have not run yet", ""
    else:
        status, reason, since = row.status, row.detail, uk_datetime(row.at)
    return ClauseLine(
        id=clause.id,
        document=DOCUMENTS[clause.document],
        scope=SCOPES[clause.scope],
        text=clause.text,
        expected_control=clause.expected_control,
        controls=tuple(clause.controls),
        tests_passed=sum(1 for run in runs if run["outcome"] in {"passed", "xpassed"}),
        tests_total=len(runs),
        status=STATUS_WORDS.get(status, status.capitalize()),
        status_key=_status_key(status),
        reason=reason,
        since=since,
        justification=clause.justification,
    )


def overview(uow: UnitOfWork, *, document: str = "", status: str = "") -> Overview:
    """Every clause (of ``document`` and with live status ``status`` when given)."""
    load_all_checks()
    loaded, problems = _results(uow)
    newest = latest(uow.session)
    every = [
        _line(clause, newest.get(clause.id), loaded.clauses.get(clause.id, []))
        for clause in load_catalog()
    ]
    counts = {key: sum(1 for line in every if line.status_key == key) for key in FILTERS}
    kept = [
        line
        for line in every
        if (not document or line.id.startswith(f"{document}-"))
        and (not status or line.status_key == status)
    ]
    return Overview(
        lines=tuple(kept),
        counts=counts,
        tests_run_at=uk_datetime(loaded.run_at) if loaded.run_at is not None else "",
        document=document if document in DOCUMENTS else "",
        status=status if status in FILTERS else "",
        problems=tuple(problems),
    )


def check_view(run: CheckRun) -> CheckView:
    """One check's answer as the drill-down shows it (related records: staff pages only)."""
    check = run.check
    return CheckView(
        title=check.__name__.replace("_", " ").capitalize(),
        name=f"{check.__module__}:{check.__name__}",
        reads=REGISTRY.reads(check),
        status=STATUS_WORDS.get(run.status.value, run.status.value.capitalize()),
        status_key=_status_key(run.status.value),
        now=run.detail,
        # a staff page of this console, nothing else, whatever a check carries
        records=tuple((label, url) for label, url in run.records if url.startswith(STAFF_PAGES)),
    )


def clause_view(uow: UnitOfWork, clause_id: str) -> ClauseLine:
    """One clause with its evidence: each check run now (what it reads, what it says and the
    records behind it), the tests and the history of its status."""
    load_all_checks()
    clause = load_catalog().get(clause_id)
    runs = _results(uow)[0].clauses.get(clause.id, [])
    line = _line(clause, latest(uow.session).get(clause.id), runs)
    # each check opens its own unit of work: run them holding no lock of this one (on
    # SQLite every transaction holds the one write lock, and they would wait for it)
    answers = uow.unlocked(lambda: REGISTRY.run_each(clause.id, uow.platform))
    checks = tuple(check_view(answer) for answer in answers)
    now = REGISTRY.outcome_of(answers)
    said_now = STATUS_WORDS.get(now.status.value, now.status.value.capitalize())
    if answers and said_now != line.status:
        # the checks just run disagree with the hourly record: the page says what holds now
        line = replace(
            line,
            status=said_now,
            status_key=_status_key(now.status.value),
            reason=now.detail,
            since="",
        )
    tests = tuple(TestRun(run["nodeid"], outcome_words(run)) for run in runs)
    history = tuple(
        Change(
            status=STATUS_WORDS.get(row.status, row.status.capitalize()),
            status_key=_status_key(row.status),
            detail=row.detail,
            at=uk_datetime(row.at),
        )
        for row in history_of(uow.session, clause.id)
    )
    return replace(line, checks=checks, tests=tests, history=history)
