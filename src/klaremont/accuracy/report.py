"""The stale-data review report for the DPO (DP-ACCURATE): records overdue and due soon.

A record is an open account of a person not erased. It is *overdue* when its details were
last confirmed (or corrected, or the account created) ``accuracy.review_after_days`` or
more UK calendar days ago, and *due soon* when it falls due within the next
``accuracy.due_soon_days`` days (or the number asked for). The report names each record by
its reference and pseudonymous subject id, with dates, the categories of personal data it
holds and the date of the last order -- never a personal value, and nothing is decrypted.

Producing the report is audited (``accuracy.report``); :func:`stale_counts` gives the
numbers alone (for the live check) and names nobody.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, or_, select

from klaremont.accuracy.actions import AccuracyAction
from klaremont.accuracy.models import AccuracyReview
from klaremont.accuracy.service import PURPOSE, last_reviews, review_clock
from klaremont.clock import UK_TIME, uk_date
from klaremont.customers.models import Address, Customer, Order, PaymentCard
from klaremont.db.subjects import Subject
from klaremont.errors import ValidationFailed
from klaremont.policy.model import DataCategory

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import ColumnElement, Select, Subquery

    from klaremont.platform import UnitOfWork

DEFAULT_LIMIT = 1000
LIMIT_MAX = 10_000
WITHIN_MAX = 365
CHUNK = 500
REPORT_RESOURCE = "accuracy:stale-report"
C = DataCategory
_IDENTITY_COLUMNS = ("name", "date_of_birth", "gender")
_CONTACT_COLUMNS = ("email", "phone", "mobile")


@dataclass(frozen=True)
class StaleItem:
    """One record due for review: references, dates and categories only."""

    customer_id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    state: str  # overdue | due_soon
    basis: str  # created | confirmed | rectified
    last_confirmed_at: datetime
    due_on: date
    days_left: int  # 0 or less: overdue
    age_days: int
    categories: list[str]
    last_order_on: date | None
    restricted: bool


@dataclass(frozen=True)
class StaleReport:
    """The report as of ``generated_at``."""

    generated_at: datetime
    today: date
    review_after_days: int
    within_days: int
    accounts: int  # open accounts of people not erased
    overdue_total: int
    due_soon_total: int
    overdue: list[StaleItem] = field(default_factory=list)
    due_soon: list[StaleItem] = field(default_factory=list)

    @property
    def listed(self) -> int:
        """How many records the report lists."""
        return len(self.overdue) + len(self.due_soon)

    @property
    def truncated(self) -> bool:
        """True when the limit left records out (the totals still count them)."""
        return self.listed < self.overdue_total + self.due_soon_total


@dataclass(frozen=True)
class StaleCounts:
    """The report's numbers alone."""

    accounts: int
    overdue: int
    due_soon: int


def _uk_midnight(day: date) -> datetime:
    """The UTC instant a UK calendar day starts."""
    return datetime.combine(day, time(0), tzinfo=UK_TIME).astimezone(UTC)


def _newest_review() -> Subquery:
    return (
        select(AccuracyReview.customer_id, func.max(AccuracyReview.reviewed_at).label("at"))
        .group_by(AccuracyReview.customer_id)
        .subquery("newest_review")
    )


def _open_records(*columns: Any, newest: Subquery) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Customer)
        .join(Subject, Subject.id == Customer.subject_id)
        .outerjoin(newest, newest.c.customer_id == Customer.id)
        .where(Customer.closed_at.is_(None), Subject.erased_at.is_(None))
    )


def _edges(uow: UnitOfWork, within_days: int) -> tuple[date, datetime, datetime]:
    """Today, and the instants before which a record is overdue / listed."""
    today = uk_date(uow.clock.now())
    after = uow.policy.accuracy.review_after_days
    overdue_edge = _uk_midnight(today - timedelta(days=after - 1))
    listed_edge = _uk_midnight(today - timedelta(days=after - within_days - 1))
    return today, overdue_edge, listed_edge


def _counts(
    uow: UnitOfWork, basis: ColumnElement[Any], newest: Subquery, edges: tuple[datetime, datetime]
) -> StaleCounts:
    overdue_edge, listed_edge = edges
    row = uow.session.execute(
        _open_records(
            func.count(),
            func.coalesce(func.sum(case((basis < overdue_edge, 1), else_=0)), 0),
            func.coalesce(func.sum(case((basis < listed_edge, 1), else_=0)), 0),
            newest=newest,
        )
    ).one()
    accounts, overdue, listed = (int(value) for value in row)
    return StaleCounts(accounts=accounts, overdue=overdue, due_soon=listed - overdue)


def _check(within_days: int, limit: int) -> None:
    if not 0 <= within_days <= WITHIN_MAX:
        raise ValidationFailed.single("within_days", f"0 to {WITHIN_MAX} days")
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationFailed.single("limit", f"1 to {LIMIT_MAX} records")


def stale_counts(uow: UnitOfWork, within_days: int | None = None) -> StaleCounts:
    """How many open records are overdue and due soon (numbers only; names nobody)."""
    within = uow.policy.accuracy.due_soon_days if within_days is None else within_days
    _check(within, 1)
    newest = _newest_review()
    basis = func.coalesce(newest.c.at, Customer.created_at)
    _today, overdue_edge, listed_edge = _edges(uow, within)
    return _counts(uow, basis, newest, (overdue_edge, listed_edge))


def _not_null(names: Sequence[str]) -> ColumnElement[Any]:
    table = Customer.__table__
    return case((or_(*[table.c[name].is_not(None) for name in names]), 1), else_=0)


def _categories(
    uow: UnitOfWork, ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, date]]:
    """The reviewable categories each account holds, and its last order's UK date."""
    held: dict[uuid.UUID, set[DataCategory]] = {i: set() for i in ids}
    last_order: dict[uuid.UUID, date] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows = uow.session.execute(
            select(Customer.id, _not_null(_IDENTITY_COLUMNS), _not_null(_CONTACT_COLUMNS)).where(
                Customer.id.in_(chunk)
            )
        ).all()
        for customer_id, identity, contact in rows:
            held[customer_id] |= {C.IDENTITY} if identity else set()
            held[customer_id] |= {C.CONTACT} if contact else set()
        for model, category, extra in (
            (Address, C.ADDRESS, None),
            (PaymentCard, C.PAYMENT_CARDS, PaymentCard.removed_at.is_(None)),
        ):
            query = select(model.customer_id).where(model.customer_id.in_(chunk)).distinct()
            if extra is not None:
                query = query.where(extra)
            for (customer_id,) in uow.session.execute(query):
                held[customer_id].add(category)
        orders = uow.session.execute(
            select(Order.customer_id, func.max(Order.placed_at))
            .where(Order.customer_id.in_(chunk))
            .group_by(Order.customer_id)
        ).all()
        for customer_id, placed in orders:
            if customer_id is not None and placed is not None:
                held[customer_id].add(C.ORDERS)
                last_order[customer_id] = uk_date(placed)
    order = list(DataCategory)
    named = {i: [c.value for c in sorted(cats, key=order.index)] for i, cats in held.items()}
    return named, last_order


def stale_records(
    uow: UnitOfWork,
    *,
    within_days: int | None = None,
    limit: int = DEFAULT_LIMIT,
    formats: Sequence[str] = ("json",),
) -> StaleReport:
    """Records overdue for review, then those due within ``within_days``, oldest first.

    ``within_days`` defaults to the policy's ``accuracy.due_soon_days``; ``limit`` caps how
    many are listed (the totals count all). ``formats`` names how the report is being
    shown, for the audit record.
    """
    policy = uow.policy.accuracy
    within = policy.due_soon_days if within_days is None else within_days
    _check(within, limit)
    newest = _newest_review()
    basis = func.coalesce(newest.c.at, Customer.created_at)
    today, overdue_edge, listed_edge = _edges(uow, within)
    counts = _counts(uow, basis, newest, (overdue_edge, listed_edge))
    rows = uow.session.execute(
        _open_records(
            Customer.id,
            Customer.reference,
            Customer.subject_id,
            basis.label("basis"),
            Subject.restricted_at,
            newest=newest,
        )
        .where(basis < listed_edge)
        .order_by(basis, Customer.reference)
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    outcomes = last_reviews(uow, ids)
    categories, last_order = _categories(uow, ids)
    report = StaleReport(
        generated_at=uow.clock.now(),
        today=today,
        review_after_days=policy.review_after_days,
        within_days=within,
        accounts=counts.accounts,
        overdue_total=counts.overdue,
        due_soon_total=counts.due_soon,
    )
    for row in rows:
        clock = review_clock(policy, row.basis, outcomes.get(row.id, "created"), today)
        item = StaleItem(
            customer_id=row.id,
            reference=row.reference,
            subject_id=row.subject_id,
            state="overdue" if clock.overdue else "due_soon",
            basis=clock.basis,
            last_confirmed_at=clock.last_confirmed_at,
            due_on=clock.due_on,
            days_left=clock.days_left,
            age_days=(today - uk_date(clock.last_confirmed_at)).days,
            categories=categories[row.id],
            last_order_on=last_order.get(row.id),
            restricted=row.restricted_at is not None,
        )
        (report.overdue if clock.overdue else report.due_soon).append(item)
    uow.audit(
        AccuracyAction.ACCURACY_REPORT,
        resource=REPORT_RESOURCE,
        purpose=PURPOSE.value,
        details={
            "formats": sorted(set(formats)),
            "within_days": within,
            "overdue": counts.overdue,
            "due_soon": counts.due_soon,
            "listed": report.listed,
        },
    )
    return report
