"""Live check of DP-ACCURATE: is any customer record overdue for its accuracy review?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.accuracy.report import stale_counts
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

NO_DATABASE = "review period set; records not inspected (no database in this context)"


@live_check(
    "DP-ACCURATE",
    reads="every open customer record: the date it was last confirmed or corrected (or opened) "
    "against the policy's review period",
)
def no_record_overdue_for_review(ctx: LiveContext) -> CheckResult:
    """Every open customer record was confirmed or corrected within the review period."""
    after = ctx.policy.accuracy.review_after_days
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if unit_of_work is None:
        return CheckResult.unknown_because(f"{NO_DATABASE}: {after} days")

    def check(uow: UnitOfWork) -> CheckResult:
        counts = stale_counts(uow)
        soon = uow.policy.accuracy.due_soon_days
        if counts.overdue:
            return CheckResult(
                holds=False,
                detail=f"{counts.overdue} of {counts.accounts} open records not confirmed for "
                f"{after} days or more: the stale-data review lists them",
            )
        return CheckResult(
            holds=True,
            detail=f"no record overdue for review ({after} days); "
            f"{counts.due_soon} due within {soon} days",
        )

    with unit_of_work() as uow:
        return check(uow)
