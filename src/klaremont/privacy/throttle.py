"""Password guessing at the privacy centre's sign-in: counted, and paused for a while.

The policy's ``[customer_signin]`` section (DP-SECURE, IS-SENS-SAFE) sets the numbers.
Two counters, rows of ``customer_signin_throttle``:

* **per e-mail address**, keyed by the address's blind index, normalised exactly like the
  account lookup (``Ada@Example.com`` and ``ada@example.com`` share one counter). An
  unknown address is counted exactly like a known one, so a pause reveals nobody; the
  table holds neither the address nor an account id;
* **per client address** (``uow.origin``), keyed by an HMAC under the platform secret: a
  coarser net for one client trying many addresses.

The address counter **claims a slot before the password is verified**, in one atomic
statement -- the technique of the staff lockout (:mod:`klaremont.staff.service_authn`),
written as an upsert because the row may not exist yet::

    INSERT INTO customer_signin_throttle (scope, key_hash, failures, window_started_at)
         VALUES ('address', :key, 1, :now)
    ON CONFLICT (scope, key_hash) DO UPDATE
           SET failures = CASE WHEN <ran out> THEN 1 ELSE failures + 1 END, ...
         WHERE <ran out> OR (failures < :max_failures AND locked_until IS NULL)
    RETURNING failures

``<ran out>`` means the window or the pause is over. PostgreSQL waits for a racing insert
or update of the row and re-checks the condition on its latest version; SQLite runs every
transaction ``BEGIN IMMEDIATE``. However many requests race, at most ``max_failures``
passwords are evaluated per window, and a request that gets no slot is refused without
touching the real hash. The claim is committed before the password is checked (the
Argon2 work holds no database lock, see ``UnitOfWork.unlocked``): it already counts as a
failure, so a claim judged meanwhile sees it, and the outcome (cleared on success, paused
at the last failure) follows in a second short transaction (during a pause a plain read
refuses first). A pause always ends by itself after ``cooldown_minutes``.

The client counter is only read before an attempt and counted after a failure, so
sign-ins from one busy client address (a mobile network's NAT) are not queued behind each
other's Argon2 work; under a burst it may overshoot by the requests already in flight,
which is fine for a coarse limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, case, delete, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from klaremont.audit.events import Actor, ActorType
from klaremont.crypto.keyed import keyed_digest
from klaremont.db.base import UTCDateTime
from klaremont.errors import ValidationFailed
from klaremont.privacy.models import SignInThrottle
from klaremont.staff.actions import StaffAction

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement, Table

    from klaremont.platform import Platform, UnitOfWork
    from klaremont.policy.model import CustomerSignInPolicy

ADDRESS = "address"
ORIGIN = "origin"
_ORIGIN_LABEL = "klaremont customer sign-in origin"
_ANONYMOUS = Actor(ActorType.ANONYMOUS, "privacy-centre")
_T = cast("Table", SignInThrottle.__table__)


@dataclass(frozen=True)
class Claim:
    """The slot one attempt holds; end it with :func:`record_failure` or :func:`record_success`."""

    address: str | None  # the address key; None for text that is no e-mail address at all
    origin: str | None  # the client key; None when the client is unknown (CLI, jobs)
    attempt: int  # this attempt's number in the address's window (0 without an address)


def rules(uow: UnitOfWork) -> CustomerSignInPolicy:
    """The policy's ``[customer_signin]`` numbers."""
    return uow.policy.customer_signin


def pause_notice(policy: CustomerSignInPolicy) -> str:
    """What the sign-in page tells everyone (it names no account and confirms none)."""
    return (
        f"After {policy.max_failures} failed attempts in {policy.window_minutes} minutes, "
        f"signing in with that e-mail address pauses for {policy.cooldown_minutes} minutes: "
        "wait and try again, or make a request with a code sent to your e-mail address."
    )


def address_key(uow: UnitOfWork, email: str) -> str | None:
    """The counter key of an e-mail address (its blind index); None when it is no address."""
    try:
        return uow.crypto.blind_index("email", email)
    except ValidationFailed:
        return None


def origin_key(uow: UnitOfWork) -> str | None:
    """The counter key of the client address, if the request has one."""
    if not uow.origin:
        return None
    secret = uow.platform.settings.secret_key.get_secret_value()
    return keyed_digest(secret, _ORIGIN_LABEL, uow.origin)


def claim(uow: UnitOfWork, email: str) -> Claim | None:
    """Take a slot for one attempt; ``None`` while the client or the address is paused."""
    now = uow.clock.now()
    origin = origin_key(uow)
    if origin is not None and _paused(uow, ORIGIN, origin, now):
        return None
    address = address_key(uow, email)
    attempt = 0
    if address is not None:
        if _paused(uow, ADDRESS, address, now):  # a plain read: waits for no row lock
            return None
        row = _upsert(uow, ADDRESS, address, now, limit=rules(uow).max_failures)
        if row is None:
            return None
        attempt = int(row[0])
    return Claim(address=address, origin=origin, attempt=attempt)


def record_failure(uow: UnitOfWork, held: Claim, actor: Actor | None = None) -> None:
    """Count a wrong password; pause the address (and the client) that reached its limit."""
    policy = rules(uow)
    now = uow.clock.now()
    if held.address is not None and held.attempt >= policy.max_failures:
        _pause(
            uow, ADDRESS, held.address, now, limit=policy.max_failures, actor=actor or _ANONYMOUS
        )
    if held.origin is not None:
        row = _upsert(uow, ORIGIN, held.origin, now, limit=None)
        if row is not None and int(row[0]) >= policy.origin_max_failures:
            _pause(
                uow, ORIGIN, held.origin, now, limit=policy.origin_max_failures, actor=_ANONYMOUS
            )


def record_success(uow: UnitOfWork, held: Claim) -> bool:
    """Clear the address's failures; False when it was paused meanwhile (then refuse)."""
    if held.address is None:
        return True
    now = uow.clock.now()
    cleared = uow.session.execute(
        update(_T)
        .where(
            _T.c.scope == ADDRESS,
            _T.c.key_hash == held.address,
            _T.c.locked_until.is_(None),
        )
        .values(failures=0, window_started_at=now)
        .returning(_T.c.key_hash)
    ).first()
    return cleared is not None


def prune(uow: UnitOfWork) -> int:
    """Delete the rows whose window and pause are over (they would start afresh anyway)."""
    now = uow.clock.now()
    result = uow.session.execute(delete(_T).where(_ran_out(uow, now)))
    return int(getattr(result, "rowcount", 0) or 0)


def _ran_out(uow: UnitOfWork, now: datetime) -> ColumnElement[bool]:
    """The row's pause is over, or (never paused) its window is."""
    window_start = now - timedelta(minutes=rules(uow).window_minutes)
    return or_(
        _T.c.locked_until <= now,
        and_(_T.c.locked_until.is_(None), _T.c.window_started_at <= window_start),
    )


def _paused(uow: UnitOfWork, scope: str, key: str, now: datetime) -> bool:
    until = uow.session.scalar(
        select(_T.c.locked_until).where(_T.c.scope == scope, _T.c.key_hash == key)
    )
    return until is not None and until > now


def _upsert(
    uow: UnitOfWork, scope: str, key: str, now: datetime, *, limit: int | None
) -> Any | None:
    """Count one attempt atomically, starting afresh when the window or pause ran out.

    With ``limit``, the count is only taken below the limit and outside a pause (the
    row comes back ``None`` otherwise); without, it always counts. Returns ``(failures,)``.
    """
    ran_out = _ran_out(uow, now)
    stamp = literal(now, UTCDateTime())
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    condition = None
    if limit is not None:
        condition = or_(ran_out, and_(_T.c.failures < limit, _T.c.locked_until.is_(None)))
    statement = (
        insert(_T)
        .values(scope=scope, key_hash=key, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[_T.c.scope, _T.c.key_hash],
            set_={
                "failures": case((ran_out, 1), else_=_T.c.failures + 1),
                "window_started_at": case((ran_out, stamp), else_=_T.c.window_started_at),
                "locked_until": case((ran_out, null()), else_=_T.c.locked_until),
            },
            where=condition,
        )
        .returning(_T.c.failures)
    )
    return uow.session.execute(statement).first()


def _pause(
    uow: UnitOfWork, scope: str, key: str, now: datetime, *, limit: int, actor: Actor
) -> None:
    """Start the pause once (the request holding the last slot does it), and audit it."""
    minutes = rules(uow).cooldown_minutes
    paused = uow.session.execute(
        update(_T)
        .where(
            _T.c.scope == scope,
            _T.c.key_hash == key,
            _T.c.locked_until.is_(None),
            _T.c.failures >= limit,
        )
        .values(locked_until=now + timedelta(minutes=minutes))
        .returning(_T.c.failures)
    ).first()
    if paused is not None:
        uow.audit(
            StaffAction.AUTH_LOCKOUT,
            resource="privacy-centre",
            details={"scope": scope, "failures": int(paused[0]), "cooldown_minutes": minutes},
            actor=actor,
        )


def prune_job(platform: Platform) -> str:
    """The scheduled form of :func:`prune` (daily)."""
    with platform.unit_of_work() as uow:
        removed = prune(uow)
    return f"{removed} expired sign-in throttle rows removed"
