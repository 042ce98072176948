"""Live checks of the retention clauses, asked of the running system.

- PP-KEEP: nothing is overdue: no row of any target is due now beyond a day's grace
  (the nightly run has not fallen behind), held rows aside.
- DP-RETAIN: a retention run finished within the last 90 days (PCI DSS 3.2.1 asks for a
  check at least every three months), and every category has a rule that is carried out.
- IS-SENS-DISPOSE: no person whose sealed data is all purged still has a live data key
  (the shred queue is empty of people nothing needs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.retention import runs
from klaremont.retention.models import ShredQueue
from klaremont.retention.schedule import schedule
from klaremont.retention.selection import count_due, holding, plans
from klaremont.retention.shred import still_needed
from klaremont.retention_targets import all_targets

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "retention not inspected (no database in this context)"
GRACE = timedelta(days=1)
RUN_EVERY = timedelta(days=90)


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "PP-KEEP",
    reads="every kind of stored data against its retention period (less a day's grace), leaving "
    "out people under a hold",
)
def nothing_is_overdue(ctx: LiveContext) -> CheckResult:
    """No data is kept past its period (a day's grace for the nightly run)."""

    def check(uow: UnitOfWork) -> CheckResult:
        held = holding(uow).subjects
        found, skipped = plans(uow.policy, uow.clock.now() - GRACE, all_targets())
        overdue = {p.target.name: n for p in found if (n := count_due(uow, p, held))}
        if overdue:
            words = ", ".join(f"{n} {name}" for name, n in sorted(overdue.items()))
            return CheckResult(holds=False, detail=f"overdue for retention: {words}")
        if skipped:
            return CheckResult(holds=False, detail=skipped[0].reason)
        return CheckResult(holds=True, detail=f"nothing overdue across {len(found)} targets")

    return _run(ctx, check)


@live_check(
    "DP-RETAIN",
    reads="the retention schedule for a purge of each data category, and the latest finished "
    "retention run against today less 90 days",
)
def retention_runs_regularly(ctx: LiveContext) -> CheckResult:
    """A run finished within 90 days, and every category's rule is carried out somewhere."""

    def check(uow: UnitOfWork) -> CheckResult:
        missing = [
            row.category for row in schedule(uow.policy) if row.carried_out_by.startswith("not yet")
        ]
        if missing:
            return CheckResult(holds=False, detail="no automatic purge for: " + ", ".join(missing))
        last = runs.latest_finished(uow)
        now = uow.clock.now()
        if last is None or last.finished_at is None or now - last.finished_at > RUN_EVERY:
            return CheckResult(holds=False, detail="no retention run finished in the last 90 days")
        return CheckResult(
            holds=True,
            detail=f"last run {last.reference} finished {last.finished_at.date().isoformat()}",
        )

    return _run(ctx, check)


@live_check(
    "IS-SENS-DISPOSE",
    reads="people waiting in the shredding queue whose sealed data is all purged, against whether"
    " their data key is destroyed (holds excepted)",
)
def purged_people_have_no_key(ctx: LiveContext) -> CheckResult:
    """Everyone whose sealed data is all purged has lost their data key."""

    def check(uow: UnitOfWork) -> CheckResult:
        waiting = list(
            uow.session.scalars(
                select(ShredQueue.subject_id).where(ShredQueue.destroyed_at.is_(None))
            )
        )
        held = holding(uow).subjects
        sealed = tuple(t for t in all_targets() if t.sealed)
        needed = still_needed(uow, sealed, waiting)
        late = [s for s in waiting if s not in needed and s not in held]
        if late:
            return CheckResult(
                holds=False,
                detail=f"{len(late)} people's data is purged but their data key is not destroyed",
            )
        return CheckResult(holds=True, detail=f"{len(waiting)} people still need their key")

    return _run(ctx, check)
