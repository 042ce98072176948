"""What the privacy-centre pages show and ask for, over the rights and customer services.

No FastAPI here: the pages in :mod:`klaremont.privacy.web` call these functions. Each
read of a person's data is audited as theirs (``personal.read``, purpose
``legal_obligation``: the person exercising their own right of access).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont import display
from klaremont.clock import uk_date
from klaremont.customers.actions import CustomerAction
from klaremont.customers.models import Address, Customer
from klaremont.errors import NotFound, ValidationFailed
from klaremont.policy.purposes import Purpose
from klaremont.rights import access, delivery, intake, service
from klaremont.rights.changes import FIELD_WORDS, check_owned, described, parse_corrections
from klaremont.rights.fulfil import fulfil
from klaremont.rights.models import RightsRequest
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.reading import KIND_LABELS, REPLACED_STATE, SCOPE_LABELS, STATE_LABELS
from klaremont.rights.states import (
    OPEN,
    IdentityMethod,
    ObjectionScope,
    RequestKind,
    RequestState,
)

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.privacy.signin import CustomerPrincipal

#: The choices of the request form: value -> (kind, scope, label).
REQUEST_CHOICES: dict[str, tuple[RequestKind, ObjectionScope | None, str]] = {
    "erasure": (RequestKind.ERASURE, None, "Erase my data"),
    "rectification": (RequestKind.RECTIFICATION, None, "Correct my data"),
    "restriction": (RequestKind.RESTRICTION, None, "Restrict the use of my data"),
    "objection-marketing": (
        RequestKind.OBJECTION,
        ObjectionScope.MARKETING,
        "Object to marketing and profiling",
    ),
    "objection-processing": (
        RequestKind.OBJECTION,
        ObjectionScope.PROCESSING,
        "Object to your holding my data",
    ),
    "access": (RequestKind.ACCESS, None, "Send me a copy of my data"),
    "portability": (RequestKind.PORTABILITY, None, "A machine-readable copy to take elsewhere"),
}
MESSAGE_MAX = 2000
#: The longest text an address may name a request by (an id is 36 characters).
REFERENCE_MAX = 40


class SignInNeeded(NotFound):
    """The copy is there for its owner once signed in."""

    code = "sign-in-needed"
    status = 401
    title = "Sign in to continue"


@dataclass(frozen=True)
class RequestView:
    """One request as the person sees it."""

    id: uuid.UUID
    reference: str
    kind: str
    scope: str | None
    state: str
    open: bool
    received_on: date
    due_on: date
    overdue: bool
    refusal_reason: str | None
    formats: list[str]
    closed_on: date | None = None
    asked: tuple[str, ...] = ()  # a correction's detail and value, in words
    replaced_by: str | None = None  # closed unconfirmed: the person's own request's reference


@dataclass(frozen=True)
class Correctable:
    """One field of one of the person's records that a rectification may change."""

    value: str  # "record:id:field", the form value
    label: str
    current: str | None


def choice(value: str) -> tuple[RequestKind, ObjectionScope | None]:
    """The kind and scope of a request-form choice."""
    if not value:
        raise ValidationFailed.single("kind", "choose one of the requests in the list")
    if value not in REQUEST_CHOICES:
        raise ValidationFailed.single("kind", "choose one of the requests in the list")
    kind, scope, _label = REQUEST_CHOICES[value]
    return kind, scope


def view(uow: UnitOfWork, request: RightsRequest) -> RequestView:
    """The person's view of one request."""
    today = uow.clock.now().date()
    replaced_by = _replaced_by(request)
    return RequestView(
        id=request.id,
        reference=request.reference,
        kind=KIND_LABELS[request.kind],
        scope=SCOPE_LABELS[request.scope] if request.scope else None,
        state=REPLACED_STATE if replaced_by else STATE_LABELS[request.state],
        open=request.state in OPEN,
        received_on=request.received_on,
        due_on=request.due_on,
        overdue=request.state in OPEN and request.due_on < today,
        refusal_reason=request.refusal_reason,
        formats=delivery.formats(uow, request.id),
        closed_on=uk_date(request.closed_at) if request.closed_at else None,
        replaced_by=replaced_by,
    )


def _replaced_by(request: RightsRequest) -> str | None:
    """The reference of the person's own request that replaced this unconfirmed one."""
    if request.state is not RequestState.REFUSED or request.details is None:
        return None
    found = service.details_of(request).get(intake.REPLACED_BY)
    return found if isinstance(found, str) else None


def _asked(uow: UnitOfWork, request: RightsRequest) -> list[str]:
    if request.kind is not RequestKind.RECTIFICATION:
        return []
    corrections = service.details_of(request).get("corrections")
    return described(uow, corrections) if corrections else []


def my_requests(uow: UnitOfWork, who: CustomerPrincipal) -> list[RequestView]:
    """The person's requests, open ones first, soonest deadline first."""
    rows = service.list_requests(uow, subject_id=who.subject_id)
    views = [view(uow, r) for r in rows]
    return sorted(views, key=lambda v: (not v.open, v.due_on))


def request_named(uow: UnitOfWork, text: str) -> uuid.UUID:
    """The request a privacy-centre address names: by its reference (``DSR-...``), as links
    read now, or by id, as links mailed before did. Whose it is is checked by the caller's
    next step (another person's request is "not found" there, like one that does not exist).
    """
    if len(text) > REFERENCE_MAX:
        raise NotFound("no such request")
    return service.find(uow, text).id


def my_request(uow: UnitOfWork, who: CustomerPrincipal, request_id: uuid.UUID) -> RequestView:
    """One of the person's own requests, with what a correction asked for; anyone else's is
    "not found"."""
    request = service.get_owned(uow, who.subject_id, request_id)
    return replace(view(uow, request), asked=tuple(_asked(uow, request)))


def my_data(uow: UnitOfWork, who: CustomerPrincipal) -> access.AccessCopy:
    """Everything held about the person, decrypted, for the "my data" page (audited)."""
    copy = access.collect(uow, who.subject_id)
    uow.audit(
        CustomerAction.PERSONAL_DATA_READ,
        resource=f"subject:{who.subject_id}",
        purpose=Purpose.LEGAL_OBLIGATION,
        details={"what": "privacy_centre_view", "rows": copy.row_count()},
    )
    return copy


def correctable_fields(uow: UnitOfWork, who: CustomerPrincipal) -> list[Correctable]:
    """The fields of the person's own accounts and addresses a rectification may change."""
    fields: list[Correctable] = []
    customers = uow.session.scalars(
        select(Customer).where(Customer.subject_id == who.subject_id).order_by(Customer.created_at)
    )
    for customer in customers:
        for name in ("name", "email", "mobile", "phone", "date_of_birth"):
            label = FIELD_WORDS[name]
            current = getattr(customer, name)
            if name == "date_of_birth" and current:
                current = display.uk_date(date.fromisoformat(current))  # as people write it
            fields.append(Correctable(f"customers:{customer.id}:{name}", label, current))
    addresses = uow.session.scalars(select(Address).where(Address.subject_id == who.subject_id))
    for address in addresses:
        for name in ("line1", "line2", "town", "postcode"):
            title = f"{FIELD_WORDS[name]} ({address.kind})"
            fields.append(
                Correctable(f"addresses:{address.id}:{name}", title, getattr(address, name))
            )
    return fields


def _details(message: str, correction: tuple[str, str] | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    text = message.strip()
    if len(text) > MESSAGE_MAX:
        raise ValidationFailed.single("message", f"at most {MESSAGE_MAX} characters")
    if text:
        details["message"] = text
    if correction is not None:
        target, value = correction
        record, _, rest = target.partition(":")
        row_id, _, field = rest.partition(":")
        try:
            uuid.UUID(row_id)
        except ValueError:
            raise ValidationFailed.single("field", "choose a field to correct") from None
        details["corrections"] = [
            {"record": record, "id": row_id, "field": field, "value": value.strip() or None}
        ]
    return details


def submit(
    uow: UnitOfWork,
    who: CustomerPrincipal,
    form_choice: str,
    *,
    message: str = "",
    correction: tuple[str, str] | None = None,
) -> RightsRequest:
    """A signed-in request; an access copy is prepared at once for download.

    A duplicate of an open request raises :class:`klaremont.rights.service.DuplicateRequest`
    (after recording it), so the page can point at the open one.
    """
    kind, scope = choice(form_choice)
    if kind is RequestKind.RECTIFICATION:
        if correction is None:
            raise ValidationFailed.single("field", "choose the field to correct and its new value")
        if correction[0] not in {c.value for c in correctable_fields(uow, who)}:
            # only the choices the form offered: the person's own records and their fields
            raise ValidationFailed.single("field", "choose one of your details to correct")
    identity = CustomerIdentity(subject_id=who.subject_id, customer_id=who.customer_id)
    details = _details(message, correction if kind is RequestKind.RECTIFICATION else None)
    if kind is RequestKind.RECTIFICATION:
        check_owned(uow, who.subject_id, parse_corrections(details["corrections"]))
    try:
        request = intake.submit_signed_in(uow, identity, kind, scope=scope, details=details)
    except service.DuplicateRequest as duplicate:
        waiting = _waiting_access(uow, duplicate) if kind is RequestKind.ACCESS else None
        if waiting is None:
            service.record_duplicate(uow, duplicate)
            raise
        request = waiting
    if kind is RequestKind.ACCESS:
        fulfil(uow, request.id)
    return request


def _waiting_access(uow: UnitOfWork, duplicate: service.DuplicateRequest) -> RightsRequest | None:
    """The person's open access request that only waited for them (PP-R-ACCESS).

    Asked by phone or e-mail, it waits for the e-mail code or for staff to begin; signed in,
    the person is who they say, so it is verified now and answered with this download
    (one request, not a refusal pointing at one that cannot yet give them anything).
    Returns ``None`` for one staff are already working on.
    """
    existing = service.get(uow, duplicate.existing_id)
    if existing.state in {RequestState.RECEIVED, RequestState.IDENTITY_PENDING}:
        service.mark_verified(uow, existing, IdentityMethod.SIGNED_IN)
    return existing if existing.state is RequestState.VERIFIED else None


def download(
    uow: UnitOfWork,
    who: CustomerPrincipal | None,
    request_id: uuid.UUID,
    fmt: str,
    token: str | None,
) -> delivery.Artifact:
    """A prepared copy: the signed-in owner's, or by a mailed link.

    A mailed link works on its own only for an account that cannot sign in (no password);
    for every other account the link needs the owner signed in as well, so the mail is a
    link to a signed-in download (IS-SENS-EMAIL). Anything else is "not found".
    """
    if who is not None:
        if token:
            return delivery.by_token(uow, request_id, token, fmt, subject_id=who.subject_id)
        return delivery.for_owner(uow, who.subject_id, request_id, fmt)
    if not token:
        raise SignInNeeded("sign in to download your copy")
    request = uow.session.get(RightsRequest, request_id)
    if request is not None and _can_sign_in(uow, request):
        raise SignInNeeded("sign in to download your copy")
    return delivery.by_token(uow, request_id, token, fmt)


def _can_sign_in(uow: UnitOfWork, request: RightsRequest) -> bool:
    query = select(Customer.password_hash).where(Customer.subject_id == request.subject_id)
    if request.customer_id is not None:
        query = query.where(Customer.id == request.customer_id)
    return any(h and not h.startswith("!") for h in uow.session.scalars(query))


def request_by_email(
    uow: UnitOfWork, email: str, form_choice: str, *, message: str = ""
) -> uuid.UUID:
    """A request without signing in: a code goes to the address on file (if there is one).

    Returns the id the code form carries; it is random when no account matched, so the
    answer never tells whether the address is a customer's.
    """
    kind, scope = choice(form_choice)
    details = _details(message, None)
    receipt = intake.submit_by_email(uow, email, kind, scope=scope, details=details)
    return receipt.request_id


def confirm_code(uow: UnitOfWork, request_id: uuid.UUID, code: str) -> RequestView | None:
    """The code from the e-mail: the verified request, or ``None`` (caller still commits)."""
    request = intake.confirm_email_code(uow, request_id, code[:32])
    if request is None:
        return None
    if request.kind is RequestKind.ACCESS:
        fulfil(uow, request.id)
    return view(uow, request)
