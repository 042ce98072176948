"""The live check of IS-SENS-DEV: the running data store has no table or column that a
development copy would carry without a decision, and every copy kept passed its checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import func, inspect, select

from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    inspect_database,
    live_check,
    staff_link,
)
from klaremont.sanitize.models import SanitizeRun
from klaremont.sanitize.rules import load_rules

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

#: the migrations' own bookkeeping, never copied
_BOOKKEEPING: Final = frozenset({"alembic_version"})
_SHOWN: Final = 5


def unruled(uow: UnitOfWork) -> list[str]:
    """Tables and columns of the running data store that no sanitising rule covers."""
    rules = load_rules()
    schema = inspect(uow.session.connection())
    missing: list[str] = []
    for table in sorted(schema.get_table_names()):
        if table in _BOOKKEEPING:
            continue
        entry = rules.get(table)
        if entry is None:
            missing.append(table)
            continue
        if "drop" in entry:
            continue
        written = entry.get("columns", {})
        missing += [
            f"{table}.{column['name']}"
            for column in schema.get_columns(table)
            if column["name"] not in written
        ]
    return missing


@live_check(
    "IS-SENS-DEV",
    reads="the data store's own list of tables and columns against the sanitising rules; the "
    "development copies recorded and whether each passed",
)
def every_column_has_a_sanitising_rule(ctx: LiveContext) -> CheckResult:
    """Every table and column of the running data store has a sanitising rule (so a copy for
    development cannot carry a column nobody decided on), and each development copy kept
    passed its verification (failed copies are deleted)."""

    def check(uow: UnitOfWork) -> CheckResult:
        missing = unruled(uow)
        if missing:
            shown = ", ".join(missing[:_SHOWN])
            more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
            return CheckResult(
                holds=False,
                detail=f"no sanitising rule for {shown}{more}: a development copy would stop",
            )
        kept = uow.session.scalar(
            select(func.count()).select_from(SanitizeRun).where(SanitizeRun.passed.is_(True))
        )
        newest = uow.session.scalars(
            select(SanitizeRun.reference).order_by(SanitizeRun.finished_at.desc()).limit(_SHOWN)
        ).all()
        return CheckResult(
            holds=True,
            detail=(
                "every table and column of the data store has a sanitising rule; "
                f"{int(kept or 0)} verified development copies made"
            ),
            records=tuple(
                staff_link(f"Development copy {reference}", "sanitize", reference)
                for reference in newest
            ),
        )

    return inspect_database(ctx, check, what="the data store's tables")
