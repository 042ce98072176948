"""Identity checks for requests not made by a signed-in customer.

A single-use code is sent to the e-mail address *already on the account* -- never to an
address the requester gives -- and the requester enters it (or reads it back to staff on
the phone). Only a keyed digest of the code is stored, bound to its request, so a code
cannot be replayed on another request and a copy of the database does not reveal it.
Codes expire, work once, and burn after a few wrong guesses. Download tokens follow the
same rule: a random token, only its keyed digest stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from klaremont.customers.models import Customer
from klaremont.errors import FieldProblem, NotFound, ValidationFailed
from klaremont.rights.models import VerificationChallenge
from klaremont.rights.ports import outbox_for, verification_mail

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

CODE_DIGITS = 8
CODE_VALID = timedelta(minutes=60)
MAX_ATTEMPTS = 5
TOKEN_BYTES = 32


class VerificationFailed(ValidationFailed):
    """The code is wrong, used, expired or burnt (the reason is not told to the requester)."""

    code = "verification-failed"
    title = "The code is not valid"


def _key(uow: UnitOfWork, purpose: str) -> bytes:
    secret = uow.platform.settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, f"klaremont/rights/{purpose}/v1".encode(), hashlib.sha256).digest()


def code_digest(uow: UnitOfWork, request_id: uuid.UUID, code: str) -> str:
    """The keyed digest of ``code`` for one request."""
    message = f"{request_id}\x00{code}".encode()
    return hmac.new(_key(uow, "code"), message, hashlib.sha256).hexdigest()


def token_digest(uow: UnitOfWork, token: str) -> str:
    """The keyed digest of a download token."""
    return hmac.new(_key(uow, "download"), token.encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    """A fresh random URL-safe token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def account_address(uow: UnitOfWork, request: RightsRequest) -> str:
    """The e-mail address already on the requester's account (the verified channel)."""
    query = select(Customer).where(Customer.subject_id == request.subject_id)
    if request.customer_id is not None:
        query = query.where(Customer.id == request.customer_id)
    for customer in uow.session.scalars(query.order_by(Customer.created_at)):
        if customer.email:
            return customer.email
    raise NotFound("the account has no e-mail address on file to confirm the request with")


def send_challenge(uow: UnitOfWork, request: RightsRequest) -> VerificationChallenge:
    """Issue a new code (earlier unused ones stop working) and mail it to the account address."""
    now = uow.clock.now()
    uow.session.execute(
        update(VerificationChallenge)
        .where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = VerificationChallenge(
        request_id=request.id,
        subject_id=request.subject_id,
        code_digest=code_digest(uow, request.id, code),
        created_at=now,
        expires_at=now + CODE_VALID,
        attempts=0,
    )
    uow.session.add(challenge)
    outbox_for(uow).send(
        uow,
        subject_id=request.subject_id,
        to_address=account_address(uow, request),
        mail=verification_mail(code, int(CODE_VALID.total_seconds() // 60)),
    )
    uow.session.flush()
    return challenge


def check_code(uow: UnitOfWork, request: RightsRequest, code: str) -> bool:
    """True (and the code is used up) when ``code`` is the request's live code.

    A wrong code counts an attempt and returns False; the caller must still commit, so
    the count survives (the failure is not raised from here for that reason).
    """
    now = uow.clock.now()
    challenge = uow.session.scalars(
        select(VerificationChallenge)
        .where(
            VerificationChallenge.request_id == request.id,
            VerificationChallenge.used_at.is_(None),
        )
        .order_by(VerificationChallenge.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if challenge is None or challenge.expires_at <= now or challenge.attempts >= MAX_ATTEMPTS:
        return False
    cleaned = code.strip().replace(" ", "").replace("-", "")
    if not hmac.compare_digest(code_digest(uow, request.id, cleaned), challenge.code_digest):
        challenge.attempts += 1
        if challenge.attempts >= MAX_ATTEMPTS:
            challenge.used_at = now  # burnt: a new code must be asked for
        uow.session.flush()
        return False
    challenge.used_at = now
    uow.session.flush()
    return True


def verification_failed() -> VerificationFailed:
    """The one error every failed code gets (it does not say why), naming the ``code`` field
    as every 422 names its field."""
    rule = "is not valid: it may be mistyped, used already or expired; ask for a new one"
    return VerificationFailed(f"that code {rule}", problems=[FieldProblem("code", rule)])
