"""Retention test helpers shared by the capability test suites: a dry run and a run side by
side, what the run purged (from its ledger lines), and every table's row count.

A capability's retention test proves that a run purges exactly the rows the dry run listed,
that nothing outside its targets changed, and that a second run does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.db.base import Base
from klaremont.retention import engine, ledger

if TYPE_CHECKING:
    from klaremont.platform import Platform

#: Tables every run (or dry run) writes to, whatever it purges.
BOOKKEEPING = frozenset({"audit_events", "retention_runs", "retention_shred_queue"})


def row_counts(platform: Platform) -> dict[str, int]:
    """Every table's row count (the data store's tables)."""
    with platform.unit_of_work() as uow:
        return {
            table.name: int(uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Tables whose row count changed (the run's bookkeeping aside): ``table -> after - before``."""
    return {
        name: after[name] - before[name]
        for name in before
        if name not in BOOKKEEPING and after[name] != before[name]
    }


@dataclass(frozen=True)
class Outcome:
    """A dry run and the run after it, for some targets."""

    listed: dict[str, list[str]]  # target -> row ids the dry run listed as due
    purged: dict[str, list[str]]  # target -> row ids the run's ledger lines name
    done: dict[str, int]  # target -> rows the run reported done
    changed: dict[str, int]  # tables whose row count changed (see :func:`changes`)
    report: engine.Report


def dry_run_then_run(
    platform: Platform,
    targets: tuple[str, ...],
    *,
    batch_size: int = engine.DEFAULT_BATCH,
    progress: engine.Progress | None = None,
) -> Outcome:
    """Dry run, then run, reading what each did to ``targets``."""
    dry = engine.dry_run(platform).plans_by_target()
    before = row_counts(platform)
    report = engine.run(platform, batch_size=batch_size, progress=progress)
    after = row_counts(platform)
    results = report.plans_by_target()
    purged: dict[str, list[str]] = {name: [] for name in targets}
    for entry in ledger.read(ledger.ledger_file(platform.settings)):
        if entry.run == report.reference and entry.target in purged:
            purged[entry.target].extend(entry.ids)
    return Outcome(
        listed={name: sorted(dry[name].ids) for name in targets},
        purged={name: sorted(ids) for name, ids in purged.items()},
        done={name: results[name].done for name in targets},
        changed=changes(before, after),
        report=report,
    )
