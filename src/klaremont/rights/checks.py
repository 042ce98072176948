"""Live checks of data subject rights: does each clause hold on this deployment now?

Policy-only checks need the settings and the policy file; the others look at the request
and ledger tables when the context is a full platform (``klaremont policy trace``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.policy.live import (
    CheckResult,
    LiveContext,
    live_check,
    staff_links,
    with_database,
)
from klaremont.rights.due import due_report
from klaremont.rights.models import ErasureLedger

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "policy values hold; requests not inspected (no database in this context)"


def _with_database(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "DP-PROMPT",
    "DP-DPO",
    reads="the policy's request deadlines, then every open data-subject request whose "
    "deadline (with its pauses and extension) has passed",
)
def no_request_overdue(ctx: LiveContext) -> CheckResult:
    """One month to answer, at most two more; no open request is past its deadline."""
    dsr = ctx.policy.dsr
    if dsr.deadline_months != 1 or dsr.max_extension_months > 2:  # noqa: PLR2004 - Art. 12(3)
        return CheckResult(holds=False, detail="the policy's deadlines exceed UK GDPR Art. 12(3)")

    def check(uow: UnitOfWork) -> CheckResult:
        report = due_report(uow, 7)
        if report.overdue:
            names = ", ".join(i.reference for i in report.overdue[:5])
            return CheckResult(
                holds=False,
                detail=f"{len(report.overdue)} overdue: {names}",
                records=staff_links((i.reference for i in report.overdue), "requests"),
            )
        return CheckResult(
            holds=True,
            detail=f"no request overdue; {len(report.due_soon)} due within 7 days (routed to DPO)",
        )

    return _with_database(ctx, check)


@live_check(
    "IS-SENS-DISPOSE",
    "PP-R-ERASE",
    reads="the erasure ledger: entries whose shred date has passed and whose data key is "
    "not destroyed",
)
def erased_keys_destroyed_when_due(ctx: LiveContext) -> CheckResult:
    """Every erased person's data key is destroyed once nothing retained needs it."""

    def check(uow: UnitOfWork) -> CheckResult:
        late = uow.session.scalar(
            select(func.count())
            .select_from(ErasureLedger)
            .where(
                ErasureLedger.key_destroyed_at.is_(None),
                ErasureLedger.shred_due_at <= uow.clock.now(),
            )
        )
        total = uow.session.scalar(select(func.count()).select_from(ErasureLedger))
        if late:
            return CheckResult(
                holds=False,
                detail=f"{late} erased people's keys are due for destruction: "
                "run `klaremont rights shred-due`",
            )
        return CheckResult(holds=True, detail=f"{total} erasures in the ledger; no key overdue")

    return _with_database(ctx, check)
