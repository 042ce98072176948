"""How requests come in: the signed-in privacy centre, the privacy centre by e-mail, and staff
on the customer's behalf (phone, letter). The privacy-centre pages call these functions.

* Signed in: the customer is who they say they are; the request is verified at once.
* By e-mail, not signed in: the account is found by the address given (blind index); a code
  goes to that address on the account and the request waits, clock paused, until the code
  comes back. The answer is the same whether or not an account matched, so the form cannot
  be used to learn who is a customer.
* Staff (phone, letter): the account is found by its customer reference; the code goes to
  the address on the account -- never to one the caller dictates -- and is read back.

An objection to marketing takes effect as soon as the person is known: it is absolute
(UK GDPR Art. 21(3)) and switching marketing off cannot harm anyone.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from klaremont.customers.models import Customer
from klaremont.errors import NotFound, ValidationFailed
from klaremont.rights import service
from klaremont.rights.fulfil import fulfil
from klaremont.rights.identity import account_address, check_code
from klaremont.rights.models import RightsRequest, VerificationChallenge
from klaremont.rights.objection import object_to_marketing
from klaremont.rights.ports import outbox_for, received_mail
from klaremont.rights.states import (
    IdentityMethod,
    IntakeChannel,
    ObjectionScope,
    RequestKind,
    RequestState,
    check_transition,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.platform import UnitOfWork
    from klaremont.rights.ports import CustomerIdentity

STAFF_CHANNELS = frozenset({IntakeChannel.PHONE, IntakeChannel.LETTER})
#: states of a request whose requester has not yet been confirmed as the person
UNCONFIRMED = frozenset({RequestState.RECEIVED, RequestState.IDENTITY_PENDING})
#: a request made without signing in whose code is never used is closed this long after the
#: last code was sent (the clock is stopped meanwhile; the person may ask again at any time)
LAPSE_AFTER = timedelta(days=30)
LAPSED = (
    "Closed without action: the code we e-mailed to confirm it was not used within "
    f"{LAPSE_AFTER.days} days. You can ask again at any time."
)
#: the detail naming the request that replaced an unconfirmed one (its reference)
REPLACED_BY = "replaced_by"
#: why an unconfirmed request is closed when the person asks the same signed in (they read it)
SUPERSEDED = (
    "Closed without action: it was never confirmed as coming from you, and you have since "
    "made the same request while signed in, which replaces it."
)


@dataclass(frozen=True, slots=True)
class EmailReceipt:
    """What the e-mail form learns: nothing about whether an account matched.

    ``request_id`` is for the page to carry to the code form; without a match it is a
    random id that no code will ever confirm.
    """

    request_id: uuid.UUID


def _own_customer(uow: UnitOfWork, who: CustomerIdentity) -> Customer:
    customer = uow.session.get(Customer, who.customer_id)
    if customer is None or customer.subject_id != who.subject_id:
        raise NotFound("no such account")
    return customer


def _acknowledge(uow: UnitOfWork, request: RightsRequest) -> None:
    try:
        address = account_address(uow, request)
    except NotFound:
        return
    outbox_for(uow).send(
        uow,
        subject_id=request.subject_id,
        to_address=address,
        mail=received_mail(request.reference),
    )


def submit_signed_in(
    uow: UnitOfWork,
    who: CustomerIdentity,
    kind: RequestKind,
    *,
    scope: ObjectionScope | None = None,
    details: Mapping[str, Any] | None = None,
) -> RightsRequest:
    """A signed-in customer's request: verified at once; a marketing objection applies now.

    An open request of the same kind whose requester was never confirmed (asked by e-mail,
    phone or letter, its code never given back) does not stand in the way: anyone who knows
    the person's address could have made it, and the signed-in person is who they say.
    It is closed, the requester told why, and theirs recorded. An access request is the
    exception (the privacy centre answers the waiting one: it asks for nothing but a copy).
    """
    customer = _own_customer(uow, who)

    def made() -> RightsRequest:
        return service.create(
            uow,
            subject_id=who.subject_id,
            customer_id=customer.id,
            kind=kind,
            channel=IntakeChannel.PRIVACY_CENTRE,
            scope=scope,
            details=details,
        )

    try:
        request = made()
    except service.DuplicateRequest as duplicate:
        existing = service.get(uow, duplicate.existing_id)
        if kind is RequestKind.ACCESS or existing.state not in UNCONFIRMED:
            raise
        service.refuse(uow, existing, SUPERSEDED)
        request = made()
        replaced = {**service.details_of(existing), REPLACED_BY: request.reference}
        existing.details = json.dumps(replaced, sort_keys=True)
    service.mark_verified(uow, request, IdentityMethod.SIGNED_IN)
    _acknowledge(uow, request)
    if kind is RequestKind.OBJECTION and scope is ObjectionScope.MARKETING:
        fulfil(uow, request.id)
    return request


def submit_by_email(
    uow: UnitOfWork,
    email: str,
    kind: RequestKind,
    *,
    scope: ObjectionScope | None = None,
    details: Mapping[str, Any] | None = None,
) -> EmailReceipt:
    """A request from the privacy centre without signing in; a code goes to the account."""
    try:
        match = Customer.email.matches(email, uow.session)
    except ValidationFailed:
        raise ValidationFailed.single("email", "must be an e-mail address") from None
    customer = uow.session.scalars(
        select(Customer).where(match, Customer.closed_at.is_(None)).limit(1)
    ).first()
    if customer is None:
        return EmailReceipt(uuid.uuid4())
    if kind is RequestKind.OBJECTION and scope is ObjectionScope.MARKETING:
        object_to_marketing(uow, customer.subject_id)
    try:
        request = service.create(
            uow,
            subject_id=customer.subject_id,
            customer_id=customer.id,
            kind=kind,
            channel=IntakeChannel.EMAIL,
            scope=scope,
            details=details,
        )
    except service.DuplicateRequest as duplicate:
        existing = service.get(uow, duplicate.existing_id)
        service.record_duplicate(uow, duplicate)
        if existing.state is RequestState.IDENTITY_PENDING:
            service.resend_code(uow, existing)
        return EmailReceipt(existing.id)
    service.begin_identity_check(uow, request)
    return EmailReceipt(request.id)


def confirm_email_code(uow: UnitOfWork, request_id: uuid.UUID, code: str) -> RightsRequest | None:
    """The code from the e-mail; the request verified, or None (the caller commits, then says no).

    An unknown id, another request's code, a used or expired code: all the same ``None``.
    """
    request = uow.session.get(RightsRequest, request_id)
    if request is None or request.state is not RequestState.IDENTITY_PENDING:
        return None
    if not check_code(uow, request, code):
        service.record_failed_code(uow, request)
        return None
    service.mark_verified(uow, request, IdentityMethod.EMAIL_CODE)
    _acknowledge(uow, request)
    return request


def submit_for_customer(
    uow: UnitOfWork,
    customer_reference: str,
    kind: RequestKind,
    channel: IntakeChannel,
    *,
    scope: ObjectionScope | None = None,
    details: Mapping[str, Any] | None = None,
) -> RightsRequest:
    """Staff record a request made by phone or letter; a code goes to the account's address."""
    if channel not in STAFF_CHANNELS:
        raise ValidationFailed.single("channel", "staff record requests made by phone or letter")
    customer = uow.session.scalars(
        select(Customer).where(Customer.reference == customer_reference.strip())
    ).first()
    if customer is None:
        raise NotFound("no customer has that reference")
    if kind is RequestKind.OBJECTION and scope is ObjectionScope.MARKETING:
        object_to_marketing(uow, customer.subject_id)
    request = service.create(
        uow,
        subject_id=customer.subject_id,
        customer_id=customer.id,
        kind=kind,
        channel=channel,
        scope=scope,
        details=details,
    )
    service.begin_identity_check(uow, request)
    return request


def confirm_staff_code(uow: UnitOfWork, request: RightsRequest, code: str) -> bool:
    """The code the caller read back to staff; False (audited) when it does not match."""
    if request.state is not RequestState.IDENTITY_PENDING:
        check_transition(request.state, RequestState.VERIFIED)
    if not check_code(uow, request, code):
        service.record_failed_code(uow, request)
        return False
    service.mark_verified(uow, request, IdentityMethod.STAFF_CODE)
    return True


def verify_by_document(uow: UnitOfWork, request: RightsRequest, reason: str) -> None:
    """The DPO confirmed identity from documents (a person without access to the address)."""
    note = service.clean_reason(reason)
    if request.state is RequestState.RECEIVED:
        service.move(uow, request, RequestState.IDENTITY_PENDING)
        request.pause_started_at = uow.clock.now()
    # The note may name the documents seen: it is sealed with the request, not audited.
    request.details = json.dumps({**service.details_of(request), "identity_note": note})
    service.mark_verified(uow, request, IdentityMethod.DOCUMENT)


def close_lapsed(uow: UnitOfWork) -> list[str]:
    """Close the requests made without signing in whose e-mail code was never used, once the
    last code sent is :data:`LAPSE_AFTER` old (the requester is told, at the account's
    address); returns their references. Anyone who knows an address can ask this way, so
    such a request must not wait in the DPO's list for ever."""
    cutoff = uow.clock.now() - LAPSE_AFTER
    last_sent = (
        select(
            VerificationChallenge.request_id.label("request_id"),
            func.max(VerificationChallenge.created_at).label("at"),
        )
        .group_by(VerificationChallenge.request_id)
        .subquery()
    )
    lapsed = uow.session.scalars(
        select(RightsRequest)
        .outerjoin(last_sent, last_sent.c.request_id == RightsRequest.id)
        .where(
            RightsRequest.channel == IntakeChannel.EMAIL,
            RightsRequest.state.in_(UNCONFIRMED),
            func.coalesce(last_sent.c.at, RightsRequest.received_at) < cutoff,
        )
        .order_by(RightsRequest.received_at)
    ).all()
    for request in lapsed:
        service.refuse(uow, request, LAPSED)
    return [request.reference for request in lapsed]
