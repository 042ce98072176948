"""Data subject requests: creation with duplicate detection, identity, the clock, and every
change of state (DP-PROMPT, DP-DPO). Fulfilment lives in :mod:`klaremont.rights.fulfil`.

Every change goes through :func:`move`, which checks the state table
(:mod:`klaremont.rights.states`) and writes the audit event in the same transaction. The
clock is :mod:`klaremont.rights.deadlines`; ``due_on`` is stored for the DPO's lists and
recomputed whenever a pause ends or the deadline is extended (:mod:`klaremont.rights.timing`
counts the identity pause and the DPO's stops, :mod:`klaremont.rights.pauses`). Services add
and flush; the caller's unit of work commits.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from klaremont.audit.events import Outcome
from klaremont.clock import uk_date
from klaremont.db.subjects import Subject
from klaremont.detectors.cards import contains_card_data
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.rights import deadlines
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.identity import account_address, send_challenge
from klaremont.rights.models import REASON_MAX, RightsRequest
from klaremont.rights.ports import outbox_for, updated_mail
from klaremont.rights.queries import (
    details_of,
    find,
    get,
    get_owned,
    list_requests,
    open_requests_of,
)
from klaremont.rights.states import (
    TERMINAL,
    IdentityMethod,
    IntakeChannel,
    ObjectionScope,
    RequestKind,
    RequestState,
    TransitionRefused,
    check_transition,
    open_key,
)
from klaremont.rights.timing import days_since, deadline_of, end_stop, store_deadline

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.mail.templates import Mail
    from klaremont.platform import UnitOfWork

__all__ = [
    "Conflict",
    "DuplicateRequest",
    "IntakeChannel",
    "RightsRequest",
    "TransitionRefused",
    "begin_identity_check",
    "check_transition",
    "clean_reason",
    "complete",
    "create",
    "deadline_of",
    "details_of",
    "extend",
    "find",
    "get",
    "get_owned",
    "list_requests",
    "mark_verified",
    "move",
    "notify",
    "open_requests_of",
    "record_duplicate",
    "record_failed_code",
    "refuse",
    "require_workable",
    "resend_code",
    "start",
]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_EVENT_OF = {
    RequestState.IDENTITY_PENDING: RightsEvent.CHALLENGE_SENT,
    RequestState.VERIFIED: RightsEvent.VERIFIED,
    RequestState.IN_PROGRESS: RightsEvent.STARTED,
    RequestState.EXTENDED: RightsEvent.EXTENDED,
    RequestState.FULFILLED: RightsEvent.FULFILLED,
    RequestState.REFUSED: RightsEvent.REFUSED,
}
DETAILS_MAX = 4000


class DuplicateRequest(Conflict):
    """The person already has an open request of this kind."""

    code = "dsr-duplicate"
    title = "A request of this kind is already open"

    def __init__(self, existing: RightsRequest) -> None:
        super().__init__(
            f"request {existing.reference} of the same kind is still open "
            f"({existing.state.value}); it is answered by {existing.due_on.isoformat()}"
        )
        self.existing_id = existing.id
        self.existing_reference = existing.reference
        self.existing_due_on = existing.due_on


def clean_reason(reason: str, field: str = "reason") -> str:
    """A reason recorded with a decision: 3 to 500 printable characters, no card data.

    Card data is checked in the form stored (whitespace collapsed) with the one detector,
    whatever surface the reason came from (API, page or command line).
    """
    text = " ".join(reason.split())
    if not 3 <= len(text) <= REASON_MAX or not text.isprintable():  # noqa: PLR2004 - a short word
        raise ValidationFailed.single(field, f"3 to {REASON_MAX} printable characters")
    if contains_card_data(text):
        raise ValidationFailed.single(field, "must not contain a card number or card data")
    return text


def _reference() -> str:
    return "DSR-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _check_scope(kind: RequestKind, scope: ObjectionScope | None) -> None:
    if kind is RequestKind.OBJECTION and scope is None:
        raise ValidationFailed.single("scope", "an objection is to 'marketing' or 'processing'")
    if kind is not RequestKind.OBJECTION and scope is not None:
        raise ValidationFailed.single("scope", "only an objection has a scope")


# ---------------------------------------------------------------------- changes
def move(
    uow: UnitOfWork,
    request: RightsRequest,
    target: RequestState,
    *,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Change state through the table, and audit it."""
    check_transition(request.state, target)
    previous = request.state
    now = uow.clock.now()
    request.state = target
    request.updated_at = now
    ended = end_stop(uow, request) if target in TERMINAL else None  # its days count
    if target in TERMINAL:
        request.closed_at = now
        request.open_key = None
    uow.session.flush()
    audit_rights(
        uow,
        _EVENT_OF[target],
        resource=request_resource(request.id),
        details={
            "reference": request.reference,
            "kind": request.kind.value,
            "from": previous.value,
            "to": target.value,
            **({"clock_stop_ended_days": ended.days} if ended is not None else {}),
            **(details or {}),
        },
    )


def create(
    uow: UnitOfWork,
    *,
    subject_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    kind: RequestKind,
    channel: IntakeChannel,
    scope: ObjectionScope | None = None,
    details: Mapping[str, Any] | None = None,
) -> RightsRequest:
    """Record a new request in ``received``; refuses a duplicate of an open one."""
    _check_scope(kind, scope)
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("no such person")
    if subject.erased_at is not None:
        raise Conflict("this person's data has been erased; nothing is held to act on")
    key = open_key(kind, scope)
    existing = uow.session.scalars(
        select(RightsRequest).where(
            RightsRequest.subject_id == subject_id, RightsRequest.open_key == key
        )
    ).first()
    if existing is not None:
        raise DuplicateRequest(existing)
    text = json.dumps(dict(details or {}), sort_keys=True)
    if len(text) > DETAILS_MAX:
        raise ValidationFailed.single("details", f"at most {DETAILS_MAX} characters in all")
    now = uow.clock.now()
    received_on = uk_date(now)
    deadline = deadlines.for_policy(uow.policy.dsr, received_on)
    request = RightsRequest(
        subject_id=subject_id,
        customer_id=customer_id,
        reference=_reference(),
        kind=kind,
        scope=scope,
        state=RequestState.RECEIVED,
        open_key=key,
        channel=channel,
        received_at=now,
        received_on=received_on,
        paused_days=0,
        original_due_on=deadline.original_due,
        due_on=deadline.due,
        extension_months=0,
        routed_to="dpo",
        created_by=str(uow.actor),
        updated_at=now,
    )
    if details:
        request.details = text
    try:
        with uow.session.begin_nested():
            uow.session.add(request)
    except IntegrityError:
        # A concurrent request of the same kind won the unique (subject, open_key) index.
        raced = uow.session.scalars(
            select(RightsRequest).where(
                RightsRequest.subject_id == subject_id, RightsRequest.open_key == key
            )
        ).first()
        if raced is None:
            raise
        raise DuplicateRequest(raced) from None
    audit_rights(
        uow,
        RightsEvent.CREATED,
        resource=request_resource(request.id),
        details={
            "reference": request.reference,
            "kind": kind.value,
            "scope": scope.value if scope else None,
            "channel": channel.value,
            "due_on": request.due_on.isoformat(),
            "routed_to": request.routed_to,
        },
    )
    return request


def record_duplicate(uow: UnitOfWork, error: DuplicateRequest) -> None:
    """Audit a refused duplicate (the adapter commits before answering with the conflict)."""
    audit_rights(
        uow,
        RightsEvent.DUPLICATE_REFUSED,
        outcome=Outcome.DENIED,
        resource=request_resource(error.existing_id),
        details={"existing": error.existing_reference},
    )


def begin_identity_check(uow: UnitOfWork, request: RightsRequest) -> None:
    """Pause the clock and send a code to the address already on the account."""
    move(uow, request, RequestState.IDENTITY_PENDING)
    request.pause_started_at = uow.clock.now()
    send_challenge(uow, request)


def resend_code(uow: UnitOfWork, request: RightsRequest) -> None:
    """Send a fresh code (the earlier one stops working); only while identity is pending."""
    if request.state is not RequestState.IDENTITY_PENDING:
        raise TransitionRefused("a code is only sent while the identity check is pending")
    send_challenge(uow, request)
    audit_rights(
        uow,
        RightsEvent.CHALLENGE_SENT,
        resource=request_resource(request.id),
        details={"reference": request.reference, "resent": True},
    )


def mark_verified(uow: UnitOfWork, request: RightsRequest, method: IdentityMethod) -> None:
    """Identity confirmed: end the pause, move the deadline by the paused days, and verify."""
    now = uow.clock.now()
    request.paused_days += days_since(request.pause_started_at, uk_date(now))
    request.pause_started_at = None
    request.verified_at = now
    request.identity_method = method
    store_deadline(uow, request)
    move(
        uow,
        request,
        RequestState.VERIFIED,
        details={"method": method.value, "paused_days": request.paused_days},
    )


def record_failed_code(uow: UnitOfWork, request: RightsRequest) -> None:
    """Audit a wrong, used or expired code."""
    audit_rights(
        uow,
        RightsEvent.VERIFY_FAILED,
        outcome=Outcome.FAILURE,
        resource=request_resource(request.id),
        details={"reference": request.reference},
    )


def start(uow: UnitOfWork, request: RightsRequest) -> None:
    """Begin the work (verified -> in progress); a request already being worked is left alone."""
    require_workable(request)
    if request.state is RequestState.VERIFIED:
        move(uow, request, RequestState.IN_PROGRESS)


def complete(
    uow: UnitOfWork, request: RightsRequest, outcome: Mapping[str, Any], *, tell: bool = True
) -> None:
    """Close the request as fulfilled, keeping a summary (names and counts only)."""
    start(uow, request)
    summary = json.loads(json.dumps(dict(outcome), sort_keys=True, default=str))
    request.outcome = json.dumps(summary, sort_keys=True)
    move(uow, request, RequestState.FULFILLED, details={"outcome": summary})
    if tell:
        notify(uow, request)


def refuse(uow: UnitOfWork, request: RightsRequest, reason: str) -> None:
    """Close the request as refused, with the reason the requester will be given."""
    request.refusal_reason = clean_reason(reason)
    move(uow, request, RequestState.REFUSED, details={"reason_recorded": True})
    notify(uow, request)


def extend(uow: UnitOfWork, request: RightsRequest, months: int, reason: str) -> None:
    """Extend by up to the policy's maximum, with a reason, telling the requester in time."""
    limit = uow.policy.dsr.max_extension_months
    if not 1 <= months <= limit:
        raise ValidationFailed.single("months", f"an extension is 1 to {limit} months")
    if request.state not in {RequestState.VERIFIED, RequestState.IN_PROGRESS}:
        check_transition(request.state, RequestState.EXTENDED)
    today = uk_date(uow.clock.now())
    deadline = deadline_of(uow, request, today)
    if today > deadline.extension_notice_by:
        raise Conflict(
            "too late to extend: the requester must be told within the first month "
            f"(by {deadline.extension_notice_by.isoformat()})"
        )
    request.extension_months = months
    request.extension_reason = clean_reason(reason)
    store_deadline(uow, request)
    notify(uow, request)
    request.extension_notified_at = uow.clock.now()
    move(
        uow,
        request,
        RequestState.EXTENDED,
        details={"months": months, "due_on": request.due_on.isoformat()},
    )


def notify(uow: UnitOfWork, request: RightsRequest, mail: Mail | None = None) -> uuid.UUID | None:
    """Tell the requester, at the address on the account, that there is news (no details;
    ``mail`` a template of its own, or "an update on your request").

    An account without an e-mail address gets no mail; the privacy centre shows the news.
    """
    try:
        address = account_address(uow, request)
    except NotFound:
        return None
    return outbox_for(uow).send(
        uow,
        subject_id=request.subject_id,
        to_address=address,
        mail=mail or updated_mail(request.reference),
    )


def require_workable(request: RightsRequest) -> None:
    """Refuse work on a request whose identity is not confirmed, or that is closed."""
    if request.state in TERMINAL:
        raise TransitionRefused(f"request {request.reference} is already {request.state.value}")
    if request.state in {RequestState.RECEIVED, RequestState.IDENTITY_PENDING}:
        raise TransitionRefused(
            f"request {request.reference} cannot be fulfilled before the identity is confirmed"
        )
