"""Live checks of card handling: no table can hold card data, saved cards keep last four only.

The structural check reads the models: no column of any table is named for a card number,
a CVV or track data. With a database, every saved card's visible digits are exactly four.
The discovery scanner (another capability) proves no such value sits in free text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from klaremont.customers.models import PaymentCard
from klaremont.db.base import Base
from klaremont.db.registry import load_all_models
from klaremont.detectors.card_fields import Rule, key_rule
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def card_data_columns(rule: Rule | None = None) -> list[str]:
    """``table.column`` of every column whose name says it holds card data (of ``rule``)."""
    load_all_models()
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            broken = key_rule(column.name)
            if broken is not None and (rule is None or broken is rule):
                found.append(f"{table.name}.{column.name}")
    return found


def _structural(rule: Rule, what: str) -> CheckResult:
    columns = card_data_columns(rule)
    if columns:
        return CheckResult(holds=False, detail=f"columns that could hold {what}: {columns}")
    return CheckResult(holds=True, detail=f"no column can hold {what}; such input is refused")


@live_check(
    "IS-SENS-CVV",
    reads="the data store's own list of tables and columns, for any that could hold a card "
    "validation code",
)
def no_cvv_column(_ctx: LiveContext) -> CheckResult:
    """No table has a column for a card validation code."""
    return _structural(Rule.CVV, "a CVV")


@live_check(
    "IS-SENS-TRACK",
    reads="the data store's own list of tables and columns, for any that could hold "
    "magnetic-stripe or chip track data",
)
def no_track_column(_ctx: LiveContext) -> CheckResult:
    """No table has a column for magnetic-stripe or chip track data."""
    return _structural(Rule.TRACK, "track data")


@live_check(
    "IS-SENS-MASK",
    reads="the data store's columns for any that could hold a full card number, and every saved "
    "card's visible digits (exactly four)",
)
def cards_keep_last_four_only(ctx: LiveContext) -> CheckResult:
    """No column is named for a full card number; saved cards keep exactly four digits."""
    structural = _structural(Rule.PAN, "a full card number")
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if not structural.holds:
        return structural
    if unit_of_work is None:
        return CheckResult.unknown_because(
            f"{structural.detail}; saved cards not inspected (no database in this context)"
        )

    def check(uow: UnitOfWork) -> CheckResult:
        wrong = uow.session.scalar(
            select(func.count()).where(func.length(PaymentCard.last4) != 4)  # noqa: PLR2004 - four digits
        )
        total = uow.session.scalar(select(func.count()).select_from(PaymentCard))
        return CheckResult(
            holds=not wrong,
            detail=f"{structural.detail}; {total} saved cards"
            + (f", {wrong} with other than four visible digits" if wrong else ", last four only"),
        )

    with unit_of_work() as uow:
        return check(uow)
