"""Live checks of the customer store and the purposes register: does each clause hold now?

Register and model checks need no database; the provenance checks look at the stored rows
when the context is a full platform (``klaremont policy trace`` passes one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from klaremont.customers.categories import FIELD_CATEGORIES, PRIVACY_POLICY_ITEMS
from klaremont.customers.models import (
    Address,
    CollectionChannel,
    ContactRecord,
    Customer,
    Invoice,
    Order,
    PaymentCard,
)
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.policy.purposes import LawfulBasis, Purpose
from klaremont.purposes.register import CONTROLLER_ACTIVITIES, REGISTER

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "register and model hold; stored rows not inspected (no database in this context)"
#: Every table whose rows record how, when and on which basis they were collected.
PROVENANCE_TABLES = (Customer, Address, Order, Invoice, PaymentCard, ContactRecord)
OPERATIONAL = frozenset({Purpose.SUPPORT, Purpose.LEGAL_OBLIGATION, Purpose.SECURITY})


def _with_database(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


@live_check(
    "DP-CONTROLLER",
    reads="the register of purposes against the three controller activities and the allowed legal"
    " and operational needs",
)
def register_is_limited(_ctx: LiveContext) -> CheckResult:
    """The register holds the three controller activities plus legal and operational needs only."""
    purposes = set(REGISTER)
    extra = purposes - CONTROLLER_ACTIVITIES - OPERATIONAL
    missing = CONTROLLER_ACTIVITIES - purposes
    holds = not extra and not missing
    detail = f"purposes: {', '.join(sorted(p.value for p in purposes))}"
    if extra:
        detail += f"; not allowed: {', '.join(sorted(p.value for p in extra))}"
    if missing:
        detail += f"; missing: {', '.join(sorted(p.value for p in missing))}"
    return CheckResult(holds=holds, detail=detail)


@live_check(
    "DP-FAIR",
    "IS-SENS-CONSENT",
    reads="the register of purposes for a lawful basis each, and every customer-store record for "
    "a known lawful basis",
)
def lawful_basis_everywhere(ctx: LiveContext) -> CheckResult:
    """Every purpose names a lawful basis, and every stored record carries a known one."""
    bare = [p.value for p, spec in REGISTER.items() if not spec.lawful_bases]
    if bare:
        return CheckResult(holds=False, detail=f"purposes without a lawful basis: {bare}")

    def check(uow: UnitOfWork) -> CheckResult:
        known = [b.value for b in LawfulBasis]
        bad = {
            model.__tablename__: uow.session.scalar(
                select(func.count()).where(
                    or_(model.lawful_basis.is_(None), model.lawful_basis.not_in(known))
                )
            )
            for model in PROVENANCE_TABLES
        }
        wrong = {name: n for name, n in bad.items() if n}
        detail = "every purpose and stored record has a lawful basis" + (
            f"; records without a known one: {wrong}" if wrong else ""
        )
        return CheckResult(holds=not wrong, detail=detail)

    return _with_database(ctx, check)


@live_check(
    "PP-SRC",
    reads="every customer-store record: its collection channel against the known channels, and "
    "its collection time",
)
def provenance_recorded(ctx: LiveContext) -> CheckResult:
    """Every customer-store record keeps a known collection channel and a collection time."""

    def check(uow: UnitOfWork) -> CheckResult:
        known = [c.value for c in CollectionChannel]
        bad = {
            model.__tablename__: uow.session.scalar(
                select(func.count()).where(
                    or_(model.channel.not_in(known), model.collected_at.is_(None))
                )
            )
            for model in PROVENANCE_TABLES
        }
        wrong = {name: n for name, n in bad.items() if n}
        detail = "every record keeps its channel and time" + (
            f"; records without: {wrong}" if wrong else ""
        )
        return CheckResult(holds=not wrong, detail=detail)

    return _with_database(ctx, check)


@live_check(
    "PP-DATA",
    reads="each item the privacy policy lists against the stored column and data category it is "
    "mapped to",
)
def every_policy_item_has_a_home(_ctx: LiveContext) -> CheckResult:
    """Each item the privacy policy lists maps to a stored column of its data category."""
    homeless = []
    for item, (category, where) in PRIVACY_POLICY_ITEMS.items():
        table, column = where.split(".")
        if FIELD_CATEGORIES.get(table, {}).get(column) is not category:
            homeless.append(item)
    return CheckResult(
        holds=not homeless,
        detail=f"{len(PRIVACY_POLICY_ITEMS)} policy items mapped to categorised columns"
        + (f"; unmapped: {homeless}" if homeless else ""),
    )
