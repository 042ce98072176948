"""Console sessions and API tokens (IS-USE-LOCK, IS-USE-CRED, IS-AC-LEAVER).

A session key is ``secrets.token_urlsafe(32)`` handed to the browser once, in a cookie;
the server keeps only its SHA-256. Every request re-checks the idle timeout and lifetime
from the policy file and that the account may still sign in. The anti-forgery token of a
session is its key's signature under the platform secret (itsdangerous), so it needs no
storage and dies with the session. API tokens are the same idea for scripts, with an
expiry and revocation.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from klaremont.crypto import form_tokens
from klaremont.errors import NotFound
from klaremont.staff import token_scopes
from klaremont.staff.errors import SessionEnded
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.models import AccountStatus, ApiToken, StaffAccount, StaffRole, StaffSession
from klaremont.staff.permissions import Role, permissions_of
from klaremont.staff.text import plain_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy import Select

    from klaremont.platform import UnitOfWork

TOKEN_PREFIX = "kst_"  # noqa: S105 - the visible prefix of API tokens, not a secret
LAST_SEEN_RESOLUTION = timedelta(seconds=30)
CSRF_SALT = "klaremont.staff.session-form"


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (session key, API token, recovery code)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(uow: UnitOfWork, session_key: str) -> str:
    """The anti-forgery token bound to one session key (its signature, itsdangerous)."""
    secret = uow.platform.settings.secret_key.get_secret_value()
    return form_tokens.bound_token(secret, CSRF_SALT, session_key)


def csrf_matches(uow: UnitOfWork, session_key: str, presented: str | None) -> bool:
    """Constant-time check of a presented anti-forgery token."""
    secret = uow.platform.settings.secret_key.get_secret_value()
    return form_tokens.bound_token_valid(secret, CSRF_SALT, session_key, presented)


@dataclass(frozen=True)
class IssuedSession:
    """A new session: the key goes to the cookie, never to storage or a log."""

    key: str
    csrf_token: str
    session: StaffSession


def start_session(
    uow: UnitOfWork,
    account: StaffAccount,
    *,
    mfa: bool,
    remote: bool,
    must_change_password: bool,
) -> IssuedSession:
    """Open a new session with a fresh random key (a new key at every login)."""
    now = uow.clock.now()
    key = secrets.token_urlsafe(32)
    row = StaffSession(
        account_id=account.id,
        key_hash=digest(key),
        created_at=now,
        authenticated_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=uow.policy.sessions.absolute_timeout_hours),
        must_change_password=must_change_password,
        mfa=mfa,
        remote=remote,
        origin=(uow.origin or "")[:64] or None,
    )
    uow.session.add(row)
    uow.session.flush()
    return IssuedSession(key=key, csrf_token=csrf_token_for(uow, key), session=row)


class Standing(Protocol):
    """What decides whether an account may sign in (a :class:`StaffAccount` has it all)."""

    @property
    def status(self) -> str:
        """The account status."""

    @property
    def locked_at(self) -> datetime | None:
        """When the account was locked."""

    @property
    def lock_expires_at(self) -> datetime | None:
        """When a timed lock ends."""

    @property
    def expires_at(self) -> datetime | None:
        """When the account expires."""


def account_may_sign_in(account: Standing, now: datetime) -> bool:
    """Active, not locked (or its timed lock ran out) and not past its expiry."""
    if account.status != AccountStatus.ACTIVE.value:
        return False
    if account.locked_at is not None and (
        account.lock_expires_at is None or account.lock_expires_at > now
    ):
        return False
    return account.expires_at is None or account.expires_at > now


@cache
def _session_with_account_and_roles() -> Select[Any]:
    """The session with this key digest, its account and the account's roles (comma-joined).

    Every request of the staff console runs this, so it is one round trip, not three, and
    the statement is built once (bind ``digest`` at execution).
    """
    roles = (
        select(func.aggregate_strings(StaffRole.role, ","))
        .where(StaffRole.account_id == StaffAccount.id)
        .scalar_subquery()
    )
    return (
        select(StaffSession, StaffAccount, roles)
        .join(StaffAccount, StaffAccount.id == StaffSession.account_id)
        .where(StaffSession.key_hash == bindparam("digest"))
    )


def _roles(joined: str | None) -> frozenset[Role]:
    known = Role.__members__.values()
    return frozenset(Role(r) for r in (joined or "").split(",") if r in known)


def resolve_session(
    uow: UnitOfWork, key: str
) -> tuple[StaffSession, StaffAccount, frozenset[Role]]:
    """The live session for ``key``, its account and roles; raises :class:`SessionEnded`."""
    now = uow.clock.now()
    found = uow.session.execute(
        _session_with_account_and_roles(), {"digest": digest(key)}
    ).one_or_none()
    if found is None or found[0].ended_at is not None:
        raise SessionEnded("Your session has ended; sign in again.")
    row, account, roles = found
    idle = timedelta(minutes=uow.policy.sessions.idle_timeout_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        raise SessionEnded("Your session timed out; sign in again.")
    if not account_may_sign_in(account, now):
        raise SessionEnded("Your session has ended; sign in again.")
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        # one statement, not an ORM change: reads run as read-only units of work
        uow.session.execute(
            update(StaffSession)
            .where(StaffSession.id == row.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(row, "last_seen_at", now)
    return row, account, _roles(roles)


def end_session(uow: UnitOfWork, session: StaffSession, reason: str) -> None:
    """End one session now."""
    if session.ended_at is None:
        session.ended_at = uow.clock.now()
        session.end_reason = reason
        uow.session.flush()


def logout(uow: UnitOfWork, session: StaffSession, account: StaffAccount) -> None:
    """End a session at its owner's request."""
    end_session(uow, session, "logout")
    audit_staff(uow, StaffEvent.LOGOUT, account)


def end_all_sessions(
    uow: UnitOfWork, account_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    """End every live session of an account (optionally keeping one); returns how many."""
    statement = (
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.ended_at.is_(None))
        .values(ended_at=uow.clock.now(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        statement = statement.where(StaffSession.id != keep)
    result = uow.session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def mark_reauthenticated(uow: UnitOfWork, session: StaffSession) -> None:
    """Record a fresh password entry on the session (for sensitive actions)."""
    session.authenticated_at = uow.clock.now()
    uow.session.flush()


def is_fresh(uow: UnitOfWork, session: StaffSession) -> bool:
    """True when the password was entered within ``sessions.reauth_for_sensitive_minutes``."""
    window = timedelta(minutes=uow.policy.sessions.reauth_for_sensitive_minutes)
    return uow.clock.now() - session.authenticated_at < window


def live_sessions(uow: UnitOfWork, account_id: uuid.UUID) -> Sequence[StaffSession]:
    """The account's sessions that have not ended (expiry is checked on use)."""
    return uow.session.scalars(
        select(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.ended_at.is_(None))
        .order_by(StaffSession.created_at)
    ).all()


# ---------------------------------------------------------------- API tokens
@dataclass(frozen=True)
class IssuedToken:
    """A new API token: shown once to its owner, stored only as a digest."""

    token: str
    row: ApiToken


def create_api_token(
    uow: UnitOfWork,
    account: StaffAccount,
    *,
    name: str,
    scopes: Iterable[token_scopes.Scope],
    days: int | None = None,
    mfa: bool,
) -> IssuedToken:
    """Issue a token for scripts with the stated scopes, as far as the roles allow them
    (lifetimes and rules: :mod:`klaremont.staff.token_scopes`)."""
    wanted = frozenset(token_scopes.Scope(s) for s in scopes)
    roles = uow.session.scalars(select(StaffRole.role).where(StaffRole.account_id == account.id))
    token_scopes.check_allowed(wanted, permissions_of(_roles(",".join(roles))))
    lasts = token_scopes.lifetime(uow.policy.sessions, wanted, days)
    name = plain_text("name", name, max_length=64)
    now = uow.clock.now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        account_id=account.id,
        name=name,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + lasts,
        mfa=mfa,
        scopes=token_scopes.encode(wanted),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_staff(
        uow,
        StaffEvent.API_CREDENTIAL_CREATED,
        account,
        resource=f"api-credential:{row.id}",
        details={"minutes": int(lasts.total_seconds() // 60), "scopes": sorted(wanted)},
    )
    return IssuedToken(token=token, row=row)


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A live API token as a request uses it: which one, whose, and how it was issued."""

    id: uuid.UUID
    mfa: bool
    account_id: uuid.UUID
    username: str
    scopes: frozenset[token_scopes.Scope]
    issued_at: datetime  # the password entry that made the token


@cache
def _token_query() -> Select[Any]:
    """The token with this digest (bind ``digest``), its account's standing and roles.

    Every request with a bearer token runs this: plain columns in one Core statement (no
    ORM objects); the account itself is loaded only by a route that needs it.
    """
    t, a, r = ApiToken.__table__, StaffAccount.__table__, StaffRole.__table__
    roles = select(func.aggregate_strings(r.c.role, ",")).where(r.c.account_id == a.c.id)
    return (
        select(
            t.c.id,
            t.c.mfa,
            t.c.scopes,
            t.c.created_at,
            t.c.expires_at,
            t.c.revoked_at,
            t.c.last_used_at,
            a.c.id.label("account_id"),
            a.c.username,
            a.c.status,
            a.c.locked_at,
            a.c.lock_expires_at,
            a.c.expires_at.label("account_expires_at"),
            roles.scalar_subquery().label("roles"),
        )
        .join(a, a.c.id == t.c.account_id)
        .where(t.c.token_hash == bindparam("digest"))
    )


@dataclass(frozen=True, slots=True)
class _Standing:
    status: str
    locked_at: datetime | None
    lock_expires_at: datetime | None
    expires_at: datetime | None


def resolve_api_token(uow: UnitOfWork, token: str) -> tuple[TokenUse, frozenset[Role]]:
    """The live token and its account's roles; raises :class:`SessionEnded` otherwise."""
    now = uow.clock.now()
    found = (
        uow.session.connection().execute(_token_query(), {"digest": digest(token)}).one_or_none()
    )
    if found is None or found.revoked_at is not None or now >= found.expires_at:
        raise SessionEnded("The API token is not valid.")
    standing = _Standing(
        found.status, found.locked_at, found.lock_expires_at, found.account_expires_at
    )
    if not account_may_sign_in(standing, now):
        raise SessionEnded("The API token is not valid.")
    if found.last_used_at is None or now - found.last_used_at >= LAST_SEEN_RESOLUTION:
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.id == found.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    use = TokenUse(
        id=found.id,
        mfa=found.mfa,
        account_id=found.account_id,
        username=found.username,
        scopes=token_scopes.decode(found.scopes),
        issued_at=found.created_at,
    )
    return use, _roles(found.roles)


def revoke_api_token(uow: UnitOfWork, account_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken:
    """Revoke one of the account's tokens."""
    row = uow.session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound("No such API token.")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        uow.session.flush()
        audit_staff(
            uow,
            StaffEvent.API_CREDENTIAL_REVOKED,
            uow.session.get(StaffAccount, account_id),
            resource=f"api-credential:{token_id}",
        )
    return row


def revoke_all_api_tokens(uow: UnitOfWork, account_id: uuid.UUID) -> int:
    """Revoke every live token of an account; returns how many."""
    result = uow.session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def api_tokens(uow: UnitOfWork, account_id: uuid.UUID) -> Sequence[ApiToken]:
    """Every token of an account, newest first."""
    return uow.session.scalars(
        select(ApiToken)
        .where(ApiToken.account_id == account_id)
        .order_by(ApiToken.created_at.desc())
    ).all()
