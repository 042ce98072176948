"""The Data Protection Officer's litigation holds (UK GDPR Art. 17(3)(e)).

The DPO names a customer (account reference or e-mail address, through the customers
capability's ``customer_lookup`` point) and says why; from then until the hold is lifted
nothing of that person's is purged, erased or crypto-shredded: the hold answers the
foundation's ``subject_hold`` point, which retention, erasure and the shred job all ask.
Placing and lifting are audited; the reason is checked plain text (no card numbers).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from klaremont import capabilities
from klaremont.detectors.free_text import plain
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.holds import Hold
from klaremont.retention.actions import RetentionAction
from klaremont.retention.models import REASON_MAX, LitigationHold
from klaremont.retention.runs import numbered

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from klaremont.platform import UnitOfWork

LOOKUP_POINT = "customer_lookup"
REASON_MIN = 10


def _name(uow: UnitOfWork) -> str:
    return (uow.actor.label or uow.actor.id)[:128]


def _person(uow: UnitOfWork, customer: str) -> tuple[uuid.UUID, str]:
    text = customer.strip()
    if not text:
        raise ValidationFailed.single(
            "customer", "name the customer by account reference or e-mail address"
        )
    found: dict[uuid.UUID, str] = {}
    for provider in capabilities.extensions(LOOKUP_POINT):
        for ref in cast("Callable[[UnitOfWork, str], Iterable[Any]]", provider)(uow, text):
            found.setdefault(uuid.UUID(str(ref.subject_id)), str(ref.reference))
    if not found:
        raise ValidationFailed.single(
            "customer", "no customer has that account reference or e-mail address"
        )
    if len(found) > 1:
        raise ValidationFailed.single(
            "customer", "names more than one person; use the account reference"
        )
    [(subject, reference)] = found.items()
    return subject, reference


def place(uow: UnitOfWork, customer: str, reason: str) -> LitigationHold:
    """Place a hold on the person ``customer`` names, for ``reason``."""
    why = plain("reason", reason, max_length=REASON_MAX, min_length=REASON_MIN)
    subject, account = _person(uow, customer)
    if active_for(uow, subject):
        raise Conflict(f"customer {account} is already under a litigation hold")
    hold = LitigationHold(
        reference=numbered(uow, LitigationHold.reference, "LH"),
        subject_id=subject,
        customer_reference=account,
        reason=why,
        placed_by=_name(uow),
        placed_at=uow.clock.now(),
    )
    uow.session.add(hold)
    uow.session.flush()
    uow.audit(
        RetentionAction.HOLD_PLACED,
        resource=f"retention-hold:{hold.reference}",
        details={"reference": hold.reference, "customer": account},
    )
    return hold


def lift(uow: UnitOfWork, reference: str, reason: str) -> LitigationHold:
    """Lift the hold ``reference``, saying why."""
    why = plain("reason", reason, max_length=REASON_MAX, min_length=REASON_MIN)
    hold = uow.session.scalars(
        select(LitigationHold).where(LitigationHold.reference == reference.strip().upper())
    ).first()
    if hold is None:
        raise NotFound(f"no litigation hold {reference.strip()[:20]}")
    if hold.lifted_at is not None:
        raise Conflict(f"litigation hold {hold.reference} was already lifted")
    hold.lifted_at = uow.clock.now()
    hold.lifted_by = _name(uow)
    hold.lift_reason = why
    uow.audit(
        RetentionAction.HOLD_LIFTED,
        resource=f"retention-hold:{hold.reference}",
        details={"reference": hold.reference, "customer": hold.customer_reference},
    )
    return hold


def active_for(uow: UnitOfWork, subject: uuid.UUID) -> bool:
    """Whether the person is under a hold now."""
    query = select(LitigationHold.id).where(
        LitigationHold.subject_id == subject, LitigationHold.lifted_at.is_(None)
    )
    return uow.session.scalars(query.limit(1)).first() is not None


def listing(uow: UnitOfWork, *, include_lifted: bool = False) -> Sequence[LitigationHold]:
    """The holds, newest first."""
    query = select(LitigationHold)
    if not include_lifted:
        query = query.where(LitigationHold.lifted_at.is_(None))
    return uow.session.scalars(query.order_by(LitigationHold.placed_at.desc())).all()


def holds_on(uow: UnitOfWork, subject_ids: frozenset[uuid.UUID] | None) -> list[Hold]:
    """The ``subject_hold`` provider: the litigation holds in force."""
    query = select(LitigationHold).where(LitigationHold.lifted_at.is_(None))
    if subject_ids is not None:
        query = query.where(LitigationHold.subject_id.in_(subject_ids))
    return [
        Hold(
            subject_id=hold.subject_id,
            holder=f"litigation hold {hold.reference}",
            reason="placed by the Data Protection Officer for a legal claim",
            since=hold.placed_at,
        )
        for hold in uow.session.scalars(query)
    ]
