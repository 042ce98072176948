"""Marketing after an objection or a restriction (PP-OPTOUT, PP-R-OBJECT, PP-R-RESTRICT).

An objection to marketing (UK GDPR Art. 21(2)-(3)) is absolute: whatever consent records
say, no marketing is sent, and the consent state shows the objection rather than the
channels' old choices. Nobody but the person can undo it: staff recording a phone or
paper opt-in for an objector is refused (and the refusal audited), and only the person,
signed in to the privacy centre, can lift the objection. A restricted person (Art. 18)
cannot be opted in by anyone until the restriction is lifted through its own process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from klaremont.audit.events import ActorType, Outcome
from klaremont.consent.actions import ConsentAction
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.errors import FieldProblem, NotFound, PurposeRefused

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session

    from klaremont.platform import UnitOfWork
    from klaremont.policy.purposes import MarketingChannel

OBJECTION_RULE = (
    "the person objected to marketing: only they can lift the objection, in the privacy centre"
)
RESTRICTION_RULE = (
    "processing of the person's data is restricted: nobody can switch marketing on until "
    "the restriction is lifted"
)


class MarketingOptInRefused(PurposeRefused):
    """Marketing may not be switched on for this person (objection or restriction)."""

    code = "marketing-opt-in-refused"
    title = "Marketing cannot be switched on for this person"


@dataclass(frozen=True)
class MarketingStanding:
    """Why marketing is off whatever the consent records say, if it is."""

    objected_at: datetime | None
    restricted: bool
    erased: bool

    @property
    def blocked(self) -> bool:
        """True when no marketing may be sent at all."""
        return self.objected_at is not None or self.restricted or self.erased


def standing(session: Session, subject_id: uuid.UUID) -> MarketingStanding:
    """The person's objection, restriction and erasure, as they bear on marketing."""
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such data subject")
    return MarketingStanding(
        objected_at=subject.marketing_objection_at,
        restricted=subject.restricted_at is not None,
        erased=subject.erased_at is not None,
    )


def effective(
    state: Mapping[MarketingChannel, bool], person: MarketingStanding
) -> dict[MarketingChannel, bool]:
    """What marketing may actually use: every channel off while the person is blocked."""
    return {channel: granted and not person.blocked for channel, granted in state.items()}


def is_the_person(uow: UnitOfWork, subject_id: uuid.UUID) -> bool:
    """True when the unit of work acts for the person themselves (a signed-in customer)."""
    actor = uow.actor
    if actor.type is not ActorType.CUSTOMER:
        return False
    try:
        customer_id = uuid.UUID(actor.id)
    except ValueError:
        return False
    customer = uow.session.get(Customer, customer_id)
    return customer is not None and customer.subject_id == subject_id


def refuse_opt_in(
    uow: UnitOfWork, subject_id: uuid.UUID, choices: Mapping[MarketingChannel, bool]
) -> None:
    """Raise :class:`MarketingOptInRefused` (audited) when an opt-in is not allowed."""
    if not any(choices.values()):
        return  # switching off is always allowed
    person = standing(uow.session, subject_id)
    rule = None
    if person.restricted:
        rule = RESTRICTION_RULE
    elif person.objected_at is not None:
        rule = OBJECTION_RULE
    if rule is None:
        return
    asked = sorted(str(channel) for channel, granted in choices.items() if granted)

    def record() -> None:
        uow.audit(
            ConsentAction.CONSENT_CHANGE,
            Outcome.DENIED,
            resource=f"subject:{subject_id}",
            details={
                "kind": "marketing",
                "refused": asked,
                "reason": "restricted" if person.restricted else "objection",
            },
        )

    uow.keep_only_refusal(record)
    raise MarketingOptInRefused(
        f"Marketing cannot be switched on: {rule}.",
        problems=[FieldProblem("choices", rule)],
    )


def lift_objection(uow: UnitOfWork, subject_id: uuid.UUID) -> bool:
    """The person lifts their own objection to marketing; False if there was none.

    Refused (and audited) for anyone but the person. Channels stay off until the person
    switches them on again.
    """
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such data subject")
    if not is_the_person(uow, subject_id):

        def record() -> None:
            uow.audit(
                ConsentAction.CONSENT_CHANGE,
                Outcome.DENIED,
                resource=f"subject:{subject_id}",
                details={"kind": "marketing-objection", "refused": "lift"},
            )

        uow.keep_only_refusal(record)
        raise MarketingOptInRefused(
            f"The objection cannot be lifted: {OBJECTION_RULE}.",
            problems=[FieldProblem("objection", OBJECTION_RULE)],
        )
    if subject.marketing_objection_at is None:
        return False
    subject.marketing_objection_at = None
    uow.session.flush()
    uow.audit(
        ConsentAction.CONSENT_CHANGE,
        resource=f"subject:{subject_id}",
        details={"kind": "marketing-objection", "objection": "lifted", "by": "the person"},
    )
    return True
