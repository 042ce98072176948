"""A live check that cannot look says "unknown" with its reason: never "holds", and it does
not hide a failing or crashing check of the same clause."""

from __future__ import annotations

from policyhelp import live_context, make_settings

from klaremont.policy.live import (
    REGISTRY,
    CheckResult,
    LiveRegistry,
    LiveStatus,
    StaticContext,
    inspect_database,
    live_check,
    load_all_checks,
)
from klaremont.policy.render import trace_summary
from klaremont.policy.trace import build_matrix


def _registry(*results: CheckResult) -> LiveRegistry:
    registry = LiveRegistry()
    for result in results:
        live_check("PP-UK", registry=registry)(lambda _ctx, r=result: r)
    return registry


def test_unknown_is_its_own_status_and_ranks_below_fails():
    """Unknown beats holds, fails beats unknown; the reason is kept."""
    cannot = CheckResult.unknown_because("nothing to read")
    assert not cannot.holds
    ctx = object()
    alone = _registry(CheckResult(holds=True, detail="ok"), cannot).run("PP-UK", ctx)
    assert alone.status is LiveStatus.UNKNOWN
    assert alone.detail == "ok; nothing to read"
    worse = _registry(cannot, CheckResult(holds=False, detail="bad")).run("PP-UK", ctx)
    assert worse.status is LiveStatus.FAILS


def test_inspect_database_without_one_is_unknown(tmp_path):
    """A context with no unit of work: the check is not run and says what it could not see."""
    ctx = live_context(make_settings(tmp_path))
    assert isinstance(ctx, StaticContext)
    called: list[object] = []
    result = inspect_database(ctx, called.append, what="the widgets")  # type: ignore[arg-type]
    assert result == CheckResult(
        holds=False, detail="the widgets not inspected (no database in this context)", unknown=True
    )
    assert not called
    registry = _registry(result)
    matrix = build_matrix(tests_dir=None, results_file=None, live=ctx, registry=registry)
    assert matrix.count(live=LiveStatus.UNKNOWN) == 1
    assert "1 unknown" in trace_summary(matrix)


class _NoDatabase:
    """A live context with settings, policy and clock only, noting what else a check asks."""

    def __init__(self, ctx: StaticContext) -> None:
        self._ctx = ctx
        self.asked: set[str] = set()

    @property
    def settings(self) -> object:
        return self._ctx.settings

    @property
    def policy(self) -> object:
        return self._ctx.policy

    @property
    def clock(self) -> object:
        return self._ctx.clock

    def __getattr__(self, name: str) -> object:
        self.asked.add(name)
        raise AttributeError(name)


def test_no_check_that_wanted_a_database_holds_without_one(tmp_path):
    """Every registered check run with no database: each one that asked for the database
    answers unknown with its reason (``with_database`` and the direct look-ups alike)."""
    load_all_checks()
    static = live_context(make_settings(tmp_path))
    wanted: dict[str, CheckResult] = {}
    for clause_id in REGISTRY.clause_ids():
        for check in REGISTRY.checks_for(clause_id):
            ctx = _NoDatabase(static)
            result = check(ctx)  # type: ignore[arg-type]
            if "unit_of_work" in ctx.asked:
                wanted[f"{check.__module__}:{check.__name__}"] = result
    assert len(wanted) >= 20
    holding = {name: result.detail for name, result in wanted.items() if result.holds}
    assert holding == {}
    for name, result in wanted.items():
        assert result.unknown, name
        assert "no database" in result.detail, name
    matrix = build_matrix(tests_dir=None, results_file=None, live=static)
    rows = {row.id: row.live for row in matrix.rows}
    assert rows["IS-SENS-MASK"].status is LiveStatus.UNKNOWN
    assert "saved cards not inspected" in rows["IS-SENS-MASK"].detail
