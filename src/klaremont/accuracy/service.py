"""Confirming a customer's details, and each record's review clock (DP-ACCURATE).

A record's details were last confirmed at its newest review (:class:`AccuracyReview`), or
when the account was created if it has none. They fall due for review
``accuracy.review_after_days`` UK calendar days later: on that day the record is overdue
(listed by :mod:`klaremont.accuracy.report`). A review is recorded when

* the customer confirms their details in the privacy centre (:func:`confirm_accurate`),
* staff confirm them with the customer by phone, e-mail, letter or in person (the same),
* the details are corrected, through the customer store or a rectification request
  (:func:`record_rectification`, called by both rectification paths).

Every confirmation and every read of a record's review history is audited. Nothing here
decrypts a personal value: the review is about when, not what. A restricted person's record
may still be confirmed (verifying accuracy is what a restriction often waits for, UK GDPR
Art. 18(1)(a)); an erased person's or a closed account's may not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.accuracy.actions import AccuracyAction
from klaremont.accuracy.models import (
    RECTIFICATION_CHANNELS,
    STAFF_CHANNELS,
    AccuracyReview,
    ReviewChannel,
    ReviewOutcome,
)
from klaremont.audit.events import Actor, ActorType
from klaremont.clock import uk_date
from klaremont.customers.announcements import CustomerRectified
from klaremont.customers.models import Customer
from klaremont.customers.service_read import find_customer
from klaremont.errors import NotFound, PermissionDenied, ValidationFailed
from klaremont.policy.purposes import Purpose

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import AccuracyPolicy

#: The purpose every accuracy record is processed for: UK GDPR Art. 5(1)(d) is a legal duty.
PURPOSE = Purpose.LEGAL_OBLIGATION
HISTORY_MAX = 50


@dataclass(frozen=True)
class ReviewClock:
    """When a record was last confirmed and when it falls due for review."""

    last_confirmed_at: datetime
    basis: str  # "created", or the outcome of the newest review
    due_on: date
    days_left: int  # 0 or less: overdue (minus the days it is late)

    @property
    def overdue(self) -> bool:
        """True from the due date on."""
        return self.days_left <= 0

    def due_within(self, days: int) -> bool:
        """True when not yet overdue but due within ``days`` days."""
        return 0 < self.days_left <= days

    def state(self, due_soon_days: int) -> str:
        """``overdue``, ``due_soon`` or ``current``."""
        if self.overdue:
            return "overdue"
        return "due_soon" if self.due_within(due_soon_days) else "current"


def review_clock(
    policy: AccuracyPolicy, last_confirmed_at: datetime, basis: str, today: date
) -> ReviewClock:
    """The review clock of a record last confirmed at ``last_confirmed_at``, seen ``today``."""
    due_on = uk_date(last_confirmed_at) + timedelta(days=policy.review_after_days)
    return ReviewClock(last_confirmed_at, basis, due_on, (due_on - today).days)


@dataclass(frozen=True)
class ReviewEntry:
    """One review of a record, as the history shows it (no personal value)."""

    reviewed_at: datetime
    outcome: str
    channel: str
    actor_type: str


@dataclass(frozen=True)
class ReviewStatus:
    """One record's review clock and its recent history."""

    customer_id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    clock: ReviewClock
    state: str
    history: list[ReviewEntry]


@dataclass(frozen=True)
class Confirmation:
    """What :func:`confirm_accurate` recorded."""

    review_id: uuid.UUID
    customer_id: uuid.UUID
    reference: str
    reviewed_at: datetime
    channel: str
    next_due_on: date


def customer_resource(customer_id: object) -> str:
    """The audit ``resource`` naming one account."""
    return f"customer:{customer_id}"


def _reviewable(customer: Customer) -> None:
    if customer.subject.erased_at is not None:
        raise ValidationFailed.single("customer", "an erased person's records are not reviewed")
    if customer.closed_at is not None:
        raise ValidationFailed.single(
            "customer", "a closed account is not reviewed (its data follows the retention rules)"
        )


def _check_channel(actor: Actor, customer: Customer, channel: ReviewChannel) -> None:
    """Customers confirm their own record in the privacy centre; staff through a staff channel."""
    if actor.type is ActorType.CUSTOMER:
        if actor.id != str(customer.id):
            raise NotFound("No such customer.")  # another person's record: not revealed
        if channel is not ReviewChannel.PRIVACY_CENTRE:
            raise ValidationFailed.single("channel", "a customer confirms in the privacy centre")
        return
    if actor.type not in {ActorType.STAFF, ActorType.SYSTEM}:
        raise PermissionDenied("Only the customer or staff may confirm a customer's details.")
    if channel not in STAFF_CHANNELS:
        allowed = ", ".join(sorted(c.value for c in STAFF_CHANNELS))
        raise ValidationFailed.single("channel", f"one of {allowed}")


def confirm_accurate(
    uow: UnitOfWork,
    customer: Customer | str | uuid.UUID,
    *,
    channel: ReviewChannel,
    by: Actor | None = None,
) -> Confirmation:
    """Record that ``customer``'s details were confirmed accurate (by the acting party)."""
    actor = by or uow.actor
    row = customer if isinstance(customer, Customer) else find_customer(uow, customer)
    _check_channel(actor, row, channel)
    _reviewable(row)
    now = uow.clock.now()
    review = AccuracyReview(
        subject_id=row.subject_id,
        customer_id=row.id,
        reviewed_at=now,
        outcome=ReviewOutcome.CONFIRMED,
        channel=channel,
        actor_type=actor.type.value,
        actor_id=actor.id,
    )
    uow.session.add(review)
    uow.session.flush()
    clock = review_clock(uow.policy.accuracy, now, ReviewOutcome.CONFIRMED.value, uk_date(now))
    uow.audit(
        AccuracyAction.ACCURACY_CONFIRM,
        resource=customer_resource(row.id),
        purpose=PURPOSE.value,
        details={
            "outcome": ReviewOutcome.CONFIRMED.value,
            "channel": channel.value,
            "next_due_on": clock.due_on.isoformat(),
        },
        actor=actor,
    )
    return Confirmation(review.id, row.id, row.reference, now, channel.value, clock.due_on)


def record_rectification(
    uow: UnitOfWork,
    customer_ids: Iterable[uuid.UUID],
    *,
    channel: ReviewChannel,
    fields: Sequence[str] = (),
) -> int:
    """Count a correction as a review of each account it touched; returns how many."""
    if channel not in RECTIFICATION_CHANNELS:
        raise ValueError(f"{channel.value} is not a rectification channel")
    wanted = set(customer_ids)
    if not wanted:
        return 0
    now = uow.clock.now()
    actor = uow.actor
    rows = uow.session.execute(
        select(Customer.id, Customer.subject_id).where(Customer.id.in_(wanted))
    ).all()
    for customer_id, subject_id in sorted(rows):
        uow.session.add(
            AccuracyReview(
                subject_id=subject_id,
                customer_id=customer_id,
                reviewed_at=now,
                outcome=ReviewOutcome.RECTIFIED,
                channel=channel,
                actor_type=actor.type.value,
                actor_id=actor.id,
            )
        )
        uow.audit(
            AccuracyAction.ACCURACY_CONFIRM,
            resource=customer_resource(customer_id),
            purpose=PURPOSE.value,
            details={
                "outcome": ReviewOutcome.RECTIFIED.value,
                "channel": channel.value,
                "fields": sorted(set(fields)),
            },
        )
    uow.session.flush()
    return len(rows)


def last_reviews(uow: UnitOfWork, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The outcome of each account's newest review (accounts never reviewed are left out)."""
    found: dict[uuid.UUID, str] = {}
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start : start + 500])
        newest = (
            select(AccuracyReview.customer_id, func.max(AccuracyReview.reviewed_at).label("at"))
            .where(AccuracyReview.customer_id.in_(chunk))
            .group_by(AccuracyReview.customer_id)
            .subquery()
        )
        rows = uow.session.execute(
            select(AccuracyReview.customer_id, AccuracyReview.outcome)
            .join(
                newest,
                (newest.c.customer_id == AccuracyReview.customer_id)
                & (newest.c.at == AccuracyReview.reviewed_at),
            )
            .order_by(AccuracyReview.reviewed_at)
        ).all()
        for customer_id, outcome in rows:
            found[customer_id] = ReviewOutcome(outcome).value
    return found


@dataclass(frozen=True)
class AccountClock:
    """One open account's review clock."""

    customer_id: uuid.UUID
    reference: str
    clock: ReviewClock
    state: str  # overdue | due_soon | current


def subject_clocks(uow: UnitOfWork, subject_id: uuid.UUID) -> list[AccountClock]:
    """The review clock of each open account of one person, oldest account first.

    Not audited here: the caller records the read with its own purpose (the single
    customer view records it as ``accuracy.read`` beside the view's ``personal.read``).
    """
    newest = func.max(AccuracyReview.reviewed_at)
    rows = uow.session.execute(
        select(Customer.id, Customer.reference, Customer.created_at, newest.label("at"))
        .outerjoin(AccuracyReview, AccuracyReview.customer_id == Customer.id)
        .where(Customer.subject_id == subject_id, Customer.closed_at.is_(None))
        .group_by(Customer.id, Customer.reference, Customer.created_at)
        .order_by(Customer.created_at, Customer.reference)
    ).all()
    outcomes = last_reviews(uow, [row.id for row in rows])
    policy = uow.policy.accuracy
    today = uk_date(uow.clock.now())
    found = []
    for row in rows:
        basis = outcomes.get(row.id, "created") if row.at is not None else "created"
        clock = review_clock(policy, row.at or row.created_at, basis, today)
        found.append(AccountClock(row.id, row.reference, clock, clock.state(policy.due_soon_days)))
    return found


def review_status(uow: UnitOfWork, key: str | uuid.UUID) -> ReviewStatus:
    """One account's review clock and recent history (audited as ``accuracy.read``)."""
    customer = find_customer(uow, key)
    reviews = uow.session.scalars(
        select(AccuracyReview)
        .where(AccuracyReview.customer_id == customer.id)
        .order_by(AccuracyReview.reviewed_at.desc(), AccuracyReview.id)
        .limit(HISTORY_MAX)
    ).all()
    if reviews:
        clock_from, basis = reviews[0].reviewed_at, ReviewOutcome(reviews[0].outcome).value
    else:
        clock_from, basis = customer.created_at, "created"
    policy = uow.policy.accuracy
    clock = review_clock(policy, clock_from, basis, uk_date(uow.clock.now()))
    state = clock.state(policy.due_soon_days)
    uow.audit(
        AccuracyAction.ACCURACY_READ,
        resource=customer_resource(customer.id),
        purpose=PURPOSE.value,
        details={"state": state, "reviews": len(reviews)},
    )
    history = [
        ReviewEntry(
            r.reviewed_at,
            ReviewOutcome(r.outcome).value,
            ReviewChannel(r.channel).value,
            r.actor_type,
        )
        for r in reviews
    ]
    return ReviewStatus(customer.id, customer.reference, customer.subject_id, clock, state, history)


def on_customer_rectified(uow: UnitOfWork, event: CustomerRectified) -> str:
    """Subscriber: a correction (by staff or through a request) counts as a review."""
    counted = record_rectification(
        uow, event.customer_ids, channel=ReviewChannel(event.channel), fields=event.fields
    )
    return f"{counted} review(s) recorded"
