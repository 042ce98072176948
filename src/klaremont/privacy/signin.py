"""Customer sign-in for the privacy centre: e-mail and password, server-side sessions.

* The password is checked against ``Customer.password_hash`` (Argon2id). An unknown
  address, a closed or erased account and a wrong password give the same answer after
  the same Argon2 work (a dummy verification), so the form reveals nobody.
* The browser gets a random key only (PP-COOKIE); the server keeps its SHA-256, the
  account, the subject and the times. Sessions end after :data:`IDLE_TIMEOUT` without
  use, :data:`LIFETIME` after sign-in, at sign-out, or when the account closes.
* Every attempt is audited (``auth.login``), with no e-mail address in the record.
* Guessing is throttled (:mod:`klaremont.privacy.throttle`, policy ``[customer_signin]``):
  each attempt claims a slot of its e-mail address first; while the address or the client
  is paused the password is not checked at all (a right one does not sign in either), the
  same dummy work is done and the same failure returned, and the audit reason is
  ``throttled``. Known and unknown addresses are counted alike, so a pause reveals nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.crypto.fields import blind_match
from klaremont.customers.models import Customer
from klaremont.db.subjects import Subject
from klaremont.errors import ValidationFailed
from klaremont.privacy import throttle
from klaremont.privacy.models import CustomerSession
from klaremont.privacy.tokens import digest, new_key, session_csrf
from klaremont.staff.actions import StaffAction
from klaremont.staff.hashing import hashing_for

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.platform import UnitOfWork

IDLE_TIMEOUT = timedelta(minutes=30)
LIFETIME = timedelta(hours=8)
TOUCH_RESOLUTION = timedelta(seconds=30)
MAX_PASSWORD_CHARS = 1024
_ANONYMOUS = Actor(ActorType.ANONYMOUS, "privacy-centre")


def customer_actor(customer_id: uuid.UUID) -> Actor:
    """The audit actor for a signed-in customer (by account id, never by name)."""
    return Actor(ActorType.CUSTOMER, str(customer_id))


@dataclass(frozen=True)
class CustomerPrincipal:
    """The signed-in customer of one request."""

    session_id: uuid.UUID
    customer_id: uuid.UUID
    subject_id: uuid.UUID
    key: str = field(repr=False)
    csrf_token: str = field(repr=False)

    @property
    def actor(self) -> Actor:
        """The audit actor."""
        return customer_actor(self.customer_id)


def find_customer(uow: UnitOfWork, email: str) -> Customer | None:
    """The open, not erased account with this e-mail address, if there is exactly one."""
    try:
        condition = blind_match(Customer.email, email, uow.session)
    except ValidationFailed:
        return None
    rows = uow.session.scalars(
        select(Customer)
        .join(Subject, Subject.id == Customer.subject_id)
        .where(condition, Customer.closed_at.is_(None), Subject.erased_at.is_(None))
        .limit(2)
    ).all()
    return rows[0] if len(rows) == 1 else None


def sign_in(uow: UnitOfWork, email: str, password: str) -> CustomerPrincipal | None:
    """Check the credentials; on success open a session. ``None`` for every failure."""
    hashing = hashing_for(uow.platform)
    password = password[:MAX_PASSWORD_CHARS]
    customer = find_customer(uow, email)
    actor = customer_actor(customer.id) if customer is not None else _ANONYMOUS
    held = throttle.claim(uow, email)
    # Argon2 runs with no database lock held (the claim is committed first, and counted):
    # on the embedded default a lock held for it would queue every other request.
    if held is None:
        uow.unlocked(lambda: hashing.dummy_verify(password))
        _refused(uow, "throttled", actor)
        return None
    if customer is None or not customer.password_hash:
        uow.unlocked(lambda: hashing.dummy_verify(password))
        throttle.record_failure(uow, held, actor)
        _refused(uow, "unknown", _ANONYMOUS)
        return None
    stored = customer.password_hash
    if not uow.unlocked(lambda: hashing.verify(stored, password)):
        throttle.record_failure(uow, held, actor)
        _refused(uow, "password", actor)
        return None
    if not throttle.record_success(uow, held):  # paused by a racing request meanwhile
        _refused(uow, "throttled", actor)
        return None
    now = uow.clock.now()
    key = new_key()
    row = CustomerSession(
        key_hash=digest(key),
        customer_id=customer.id,
        subject_id=customer.subject_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.actor = actor
    uow.audit(StaffAction.AUTH_LOGIN, resource="privacy-centre", details={"via": "password"})
    return _principal(uow, row, key)


def _refused(uow: UnitOfWork, reason: str, actor: Actor) -> None:
    """Audit one failed sign-in (the reason stays in the log; the caller gets ``None``)."""
    uow.audit(
        StaffAction.AUTH_LOGIN,
        Outcome.FAILURE,
        resource="privacy-centre",
        details={"reason": reason},
        actor=actor,
    )


def resolve(uow: UnitOfWork, key: str | None) -> CustomerPrincipal | None:
    """The live session behind a cookie key (ending it if it has timed out)."""
    if not key or len(key) > 128:  # noqa: PLR2004 - keys are 43 characters
        return None
    row = uow.session.scalars(
        select(CustomerSession).where(
            CustomerSession.key_hash == digest(key), CustomerSession.ended_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    now = uow.clock.now()
    reason = None
    if now >= row.expires_at:
        reason = "lifetime"
    elif now - row.last_seen_at >= IDLE_TIMEOUT:
        reason = "idle"
    else:
        customer = uow.session.get(Customer, row.customer_id)
        subject = uow.session.get(Subject, row.subject_id)
        if customer is None or customer.closed_at is not None or subject is None:
            reason = "closed"
        elif subject.erased_at is not None:
            reason = "erased"
    if reason is not None:
        _end(row, now, reason)
        return None
    if now - row.last_seen_at >= TOUCH_RESOLUTION:
        row.last_seen_at = now
    return _principal(uow, row, key)


def sign_out(uow: UnitOfWork, principal: CustomerPrincipal) -> None:
    """End the session now."""
    row = uow.session.get(CustomerSession, principal.session_id)
    if row is not None and row.ended_at is None:
        _end(row, uow.clock.now(), "sign_out")
        uow.audit(StaffAction.AUTH_LOGOUT, resource="privacy-centre")


def end_sessions_of(uow: UnitOfWork, subject_id: uuid.UUID, reason: str) -> int:
    """End every open session of a person (erasure, closed account); returns how many."""
    rows = uow.session.scalars(
        select(CustomerSession).where(
            CustomerSession.subject_id == subject_id, CustomerSession.ended_at.is_(None)
        )
    ).all()
    now = uow.clock.now()
    for row in rows:
        _end(row, now, reason)
    return len(rows)


def _end(row: CustomerSession, now: datetime, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason[:32]


def _principal(uow: UnitOfWork, row: CustomerSession, key: str) -> CustomerPrincipal:
    secret = uow.platform.settings.secret_key.get_secret_value()
    return CustomerPrincipal(
        session_id=row.id,
        customer_id=row.customer_id,
        subject_id=row.subject_id,
        key=key,
        csrf_token=session_csrf(secret, key),
    )
