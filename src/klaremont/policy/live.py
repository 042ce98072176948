"""Live checks: functions that say whether a clause holds right now on this deployment.

Each capability keeps its checks in modules it declares (``checks``, usually
``klaremont/<capability>/checks.py``)::

    @live_check("IS-PW-LOCK3")
    def lockout_threshold(ctx: LiveContext) -> CheckResult:
        ...

:func:`load_all_checks` imports every such module from the capability declarations, so a
new check is a new function and nothing else. A check gets a :class:`LiveContext`: the
platform, or any object with the same settings, policy and clock.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from klaremont import capabilities
from klaremont.policy.catalog import load_catalog

if TYPE_CHECKING:
    from klaremont.clock import Clock
    from klaremont.config import Settings
    from klaremont.policy.model import PolicyFile


class LiveContext(Protocol):
    """What a live check may look at; :class:`klaremont.platform.Platform` satisfies it."""

    @property
    def settings(self) -> Settings:
        """The running settings."""
        ...

    @property
    def policy(self) -> PolicyFile:
        """The loaded policy file."""
        ...

    @property
    def clock(self) -> Clock:
        """The platform clock."""
        ...


def with_database(
    ctx: LiveContext, check: Callable[[Any], CheckResult], *, without: str
) -> CheckResult:
    """Run ``check`` with a unit of work of ``ctx``'s database; without one (the trace run
    from settings alone) the answer is unknown, and ``without`` says what was not inspected
    (a check that cannot look never holds)."""
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if unit_of_work is None:
        return CheckResult.unknown_because(without)
    with unit_of_work() as uow:
        result: CheckResult = check(uow)
        return result


def inspect_database(
    ctx: LiveContext, check: Callable[[Any], CheckResult], *, what: str
) -> CheckResult:
    """Run ``check`` with a unit of work of ``ctx``'s database; without one the answer is
    :meth:`CheckResult.unknown_because` (``what`` could not be inspected), never "holds"."""
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if unit_of_work is None:
        return CheckResult.unknown_because(f"{what} not inspected (no database in this context)")
    with unit_of_work() as uow:
        result: CheckResult = check(uow)
        return result


@dataclass(frozen=True, slots=True)
class StaticContext:
    """A :class:`LiveContext` without databases: for checks run before the platform exists."""

    settings: Settings
    policy: PolicyFile
    clock: Clock


#: a record behind a check's answer: the words to show and the staff page that opens it
RelatedRecord = tuple[str, str]
#: how many related records one check carries at most (the first ones found)
RECORDS_MAX = 20


def staff_link(label: str, *path: str) -> RelatedRecord:
    """A related record: ``label`` linking to the staff page ``/staff/<path...>`` (each part
    quoted), e.g. ``staff_link("DSR-1", "requests", "DSR-1")``."""
    return label, "/staff/" + "/".join(quote(part, safe="") for part in path)


def staff_links(
    labels: Iterable[str], *before: str, after: tuple[str, ...] = ()
) -> tuple[RelatedRecord, ...]:
    """One :func:`staff_link` per label (a reference), ``/staff/<before...>/<label>/<after...>``,
    at most :data:`RECORDS_MAX`."""
    return tuple(staff_link(label, *before, label, *after) for label in list(labels)[:RECORDS_MAX])


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What a check found: whether the clause holds, and one line saying why.

    ``unknown`` is a check that could not look (no database, nothing to read): it never
    holds, and the trace shows it as ``unknown`` with the reason, not as ``fails``.
    ``records`` are the records behind the answer (an overdue request, an incident, a
    scan), each as (label, staff page), for the compliance drill-down to link to.
    """

    holds: bool
    detail: str
    unknown: bool = False
    records: tuple[RelatedRecord, ...] = ()

    @classmethod
    def unknown_because(cls, reason: str) -> CheckResult:
        """A result saying the check could not tell, and why."""
        return cls(holds=False, detail=reason, unknown=True)


class LiveStatus(StrEnum):
    """A clause's live status in the trace."""

    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"
    NO_CHECK = "no check"
    ERROR = "error"
    NOT_RUN = "not run"


@dataclass(frozen=True, slots=True)
class LiveOutcome:
    """The combined result of every check registered for one clause."""

    status: LiveStatus
    detail: str


CheckFn = Callable[["LiveContext"], CheckResult]


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One check's answer now: its status, its line, and the records behind it."""

    check: CheckFn
    status: LiveStatus
    detail: str
    records: tuple[RelatedRecord, ...] = ()


class LiveRegistry:
    """Clause ID to the checks registered for it, and what each check reads."""

    def __init__(self) -> None:
        self._checks: dict[str, list[CheckFn]] = {}
        self._reads: dict[CheckFn, str] = {}

    def register(self, clause_id: str, check: CheckFn, *, reads: str = "") -> None:
        """Add ``check`` for ``clause_id`` (refused when the catalog does not know the ID);
        ``reads`` says in a line what it reads (the query behind it), when it declares one."""
        load_catalog().get(clause_id)
        self._checks.setdefault(clause_id, []).append(check)
        if reads:
            self._reads[check] = reads

    def reads(self, check: CheckFn) -> str:
        """What ``check`` declared it reads; else the first paragraph of its docstring."""
        declared = self._reads.get(check)
        if declared:
            return declared
        doc = inspect.getdoc(check) or ""
        return " ".join(doc.split("\n\n", 1)[0].split())

    def declared_reads(self, check: CheckFn) -> str:
        """What ``check`` declared it reads with ``reads=``; empty when it declared nothing."""
        return self._reads.get(check, "")

    def checks(self) -> list[CheckFn]:
        """Every registered check once, in registration order."""
        return list(dict.fromkeys(one for found in self._checks.values() for one in found))

    def checks_for(self, clause_id: str) -> list[CheckFn]:
        """The checks registered for ``clause_id``, in registration order."""
        return list(self._checks.get(clause_id, []))

    def clause_ids(self) -> list[str]:
        """Every clause that has at least one check."""
        return sorted(self._checks)

    def run_each(self, clause_id: str, ctx: LiveContext) -> list[CheckRun]:
        """Run every check for ``clause_id``, each answer apart; a check that raises or
        returns something else answers ``error``."""
        runs: list[CheckRun] = []
        for check in self._checks.get(clause_id, []):
            try:
                result: object = check(ctx)  # checks from every capability: trust no one
            except Exception as exc:  # noqa: BLE001 - any crash is reported as the check's error
                runs.append(
                    CheckRun(
                        check, LiveStatus.ERROR, f"{check.__name__}: {type(exc).__name__}: {exc}"
                    )
                )
                continue
            if not isinstance(result, CheckResult):
                detail = f"{check.__name__}: returned {type(result).__name__}"
                runs.append(CheckRun(check, LiveStatus.ERROR, detail))
                continue
            if result.unknown:
                status = LiveStatus.UNKNOWN
            else:
                status = LiveStatus.HOLDS if result.holds else LiveStatus.FAILS
            runs.append(CheckRun(check, status, result.detail, result.records[:RECORDS_MAX]))
        return runs

    def run(self, clause_id: str, ctx: LiveContext) -> LiveOutcome:
        """Run every check for ``clause_id``; a check that raises makes the status ``error``."""
        return self.outcome_of(self.run_each(clause_id, ctx))

    @staticmethod
    def outcome_of(runs: list[CheckRun]) -> LiveOutcome:
        """The clause's status from its checks' answers: the worst of them."""
        if not runs:
            return LiveOutcome(LiveStatus.NO_CHECK, "")
        statuses = [one.status for one in runs]
        details = [one.detail for one in runs]
        for worst in (LiveStatus.ERROR, LiveStatus.FAILS, LiveStatus.UNKNOWN):
            if worst in statuses:
                return LiveOutcome(worst, "; ".join(details))
        return LiveOutcome(LiveStatus.HOLDS, "; ".join(details))


REGISTRY = LiveRegistry()


def live_check(
    clause_id: str, *more_ids: str, registry: LiveRegistry | None = None, reads: str = ""
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as a live check of one or more clauses; ``reads``
    says in a line what it reads (shown on the compliance drill-down as the query behind
    it; without it, the docstring's first paragraph)."""
    target = registry or REGISTRY

    def decorate(check: CheckFn) -> CheckFn:
        for one in (clause_id, *more_ids):
            target.register(one, check, reads=reads)
        return check

    return decorate


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Which checks modules were imported, and which failed to import."""

    loaded: tuple[str, ...]
    errors: tuple[str, ...]


@capabilities.derived
def load_all_checks() -> LoadReport:
    """Import every live-check module the capabilities declare under ``checks``."""
    loaded: list[str] = []
    errors: list[str] = []
    for declared in capabilities.capabilities():
        for name in declared.checks:
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - one broken capability must not hide others
                errors.append(f"{name}: does not import ({type(exc).__name__}: {exc})")
                continue
            loaded.append(name)
    return LoadReport(tuple(loaded), tuple(errors))
