"""The one function that checks a staff password: :func:`authenticate` (IS-PW-LOCK3).

Every path that checks a password -- console login, API login, API token issue, the
re-authentication before sensitive actions, password change and MFA enrolment -- calls
:func:`authenticate`. It:

1. finds the account by its lower-cased username (an unknown name is verified against a
   dummy Argon2 hash, so it costs the same work as a wrong password);
2. refuses disabled, offboarded and expired accounts (a maintenance account past its
   window disables itself here), again after the same dummy work;
3. **claims a failure slot before verifying**, in one atomic statement::

       UPDATE staff_accounts SET failed_attempts = failed_attempts + 1
        WHERE id = :id AND failed_attempts < :threshold
          AND locked_at IS NULL AND status = 'active'
       RETURNING failed_attempts

   so however many requests race, across threads, processes or hosts, at most
   ``threshold`` passwords are ever evaluated between two successes; a request that
   gets no slot is refused without touching the real hash;
4. verifies the password, then the second factor and remote-access grant when needed;
5. on failure, the request that holds the last slot locks the account for the policy's
   ``lockout_minutes`` (and ends its sessions); on success, the counter goes back to 0 --
   unless a racing request locked the account meanwhile, in which case this login is
   refused too. A lock whose time ran out is lifted by the next attempt.

A name that is no active account is counted by :mod:`klaremont.staff.lockout` exactly like
a real account, so the retry time every failure carries (``AuthResult.retry_after``)
never tells an unknown name from a real one. Accounts whose roles need a second factor
(:mod:`klaremont.staff.second_factor`) sign in with their authenticator code; one not
enrolled yet gets a session limited to enrolment.

Every failure returns the same :class:`AuthResult` shape to the caller, which answers
with one fixed response; the reason goes only to the audit log. Failures never raise,
so the counter and the audit event commit with the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.staff import lockout, second_factor, service_mfa, service_remote
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.hashing import hashing_for
from klaremont.staff.lookup import find_account
from klaremont.staff.models import AccountStatus, StaffAccount, StaffRole
from klaremont.staff.permissions import Role
from klaremont.staff.service_lifecycle import disable_account
from klaremont.staff.service_passwords import password_expired
from klaremont.staff.service_sessions import end_all_sessions
from klaremont.staff.text import unknown_name_digest

if TYPE_CHECKING:
    from datetime import datetime

    from klaremont.platform import UnitOfWork


class Channel(StrEnum):
    """Where a password was presented."""

    CONSOLE = "console"
    API = "api"
    API_TOKEN = "api-token"  # noqa: S105 - a channel name
    REAUTH = "reauth"
    PASSWORD_CHANGE = "password-change"  # noqa: S105 - a channel name
    MFA_ENROL = "mfa-enrol"


#: Channels that open a session or issue a credential: these need the second factor
#: and the remote-access grant when the request comes from outside the office.
SIGN_IN_CHANNELS = frozenset({Channel.CONSOLE, Channel.API, Channel.API_TOKEN})


class FailureReason(StrEnum):
    """Why a login failed: recorded in the audit log, never shown to the caller."""

    UNKNOWN_USER = "unknown-user"
    BAD_PASSWORD = "bad-password"  # noqa: S105 - a reason code
    LOCKED = "locked"
    DISABLED = "disabled"
    OFFBOARDED = "offboarded"
    EXPIRED = "expired"
    SECOND_FACTOR_MISSING = "second-factor-missing"
    SECOND_FACTOR_INVALID = "second-factor-invalid"
    REMOTE_NOT_GRANTED = "remote-not-granted"
    INSECURE_TRANSPORT = "insecure-transport"


@dataclass(frozen=True)
class Credentials:
    """What was presented, and from where."""

    username: str
    password: str = ""
    second_factor: str | None = None
    remote: bool = False
    secure_transport: bool = True

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, remote={self.remote})"


@dataclass(frozen=True)
class AuthResult:
    """The outcome; ``account`` is set only on success, ``retry_after`` only on failure.

    ``retry_after`` is when the caller may try again if the name is locked: the lock's end
    for a locked name, now plus the lock period for any other (see
    :func:`klaremont.staff.lockout.retry_after`).
    """

    ok: bool
    account: StaffAccount | None = None
    reason: FailureReason | None = None
    mfa: bool = False
    must_change_password: bool = False
    enrolment_only: bool = False
    retry_after: datetime | None = None


def authenticate(uow: UnitOfWork, credentials: Credentials, channel: Channel) -> AuthResult:
    """Check a password (and second factor where needed); see the module docstring."""
    hashing = hashing_for(uow.platform)
    now = uow.clock.now()

    def dummy_work() -> None:  # the same Argon2 work as a real check, outside the lock
        uow.unlocked(lambda: hashing.dummy_verify(credentials.password))

    account = find_account(uow, credentials.username)
    if account is None:
        dummy_work()
        retry = lockout.count_name_failure(uow, credentials.username)
        return _failed(uow, None, credentials, channel, FailureReason.UNKNOWN_USER, retry=retry)
    _release_timed_lock(uow, account, now)
    refusal = _refusal(uow, account, credentials, now)
    if refusal is not None:
        dummy_work()
        retry = (
            lockout.account_retry_after(uow, account)
            if refusal is FailureReason.INSECURE_TRANSPORT
            else lockout.count_name_failure(uow, credentials.username)  # no active account
        )
        return _failed(uow, account, credentials, channel, refusal, retry=retry)
    attempt = _claim_slot(uow, account, now)
    if attempt is None:
        dummy_work()
        retry = lockout.account_retry_after(uow, account)
        return _failed(uow, account, credentials, channel, FailureReason.LOCKED, retry=retry)
    # The slot is claimed and committed before the hash is checked, so the check holds
    # no lock and the limit still holds (every racing claim sees this one counted).
    stored = account.password_hash
    if not uow.unlocked(lambda: hashing.verify(stored, credentials.password)):
        return _failed_after_claim(
            uow, account, credentials, channel, reason=FailureReason.BAD_PASSWORD, attempt=attempt
        )
    mfa_used = False
    enrolment_only = False
    if channel in SIGN_IN_CHANNELS:
        problem, mfa_used = _second_factor_and_grant(uow, account, credentials)
        if problem is None and not mfa_used:
            problem, enrolment_only = _privileged_second_factor(uow, account, channel)
        if problem is not None:
            return _failed_after_claim(
                uow, account, credentials, channel, reason=problem, attempt=attempt
            )
    return _succeeded(
        uow, account, credentials, channel, mfa=mfa_used, enrolment_only=enrolment_only
    )


def _privileged_second_factor(
    uow: UnitOfWork, account: StaffAccount, channel: Channel
) -> tuple[FailureReason | None, bool]:
    """PCI DSS 8.4.1: ``(refusal, enrolment_only)`` for a sign-in without a second factor."""
    roles = uow.session.scalars(
        select(StaffRole.role).where(StaffRole.account_id == account.id)
    ).all()
    known = Role.__members__.values()
    if not second_factor.required_for(uow.policy, (Role(r) for r in roles if r in known)):
        return None, False
    if service_mfa.has_confirmed_mfa(uow, account.id) or channel is Channel.API_TOKEN:
        return FailureReason.SECOND_FACTOR_MISSING, False
    return None, True  # not enrolled yet: a session that can only enrol


def _refusal(
    uow: UnitOfWork, account: StaffAccount, credentials: Credentials, now: datetime
) -> FailureReason | None:
    if account.status == AccountStatus.OFFBOARDED.value:
        return FailureReason.OFFBOARDED
    if account.status != AccountStatus.ACTIVE.value:
        return FailureReason.DISABLED
    if account.expires_at is not None and account.expires_at <= now:
        disable_account(uow, account, reason="expired")
        return FailureReason.EXPIRED
    if credentials.remote and not credentials.secure_transport:
        return FailureReason.INSECURE_TRANSPORT
    return None


def _release_timed_lock(uow: UnitOfWork, account: StaffAccount, now: datetime) -> None:
    """A lock whose time ran out (``lockout.lockout_minutes``) is lifted here."""
    if (
        account.locked_at is None
        or account.lock_expires_at is None
        or account.lock_expires_at > now
    ):
        return
    released = uow.session.execute(
        update(StaffAccount)
        .where(
            StaffAccount.id == account.id,
            StaffAccount.locked_at.is_not(None),
            StaffAccount.lock_expires_at <= now,
        )
        .values(locked_at=None, lock_expires_at=None, failed_attempts=0)
        .returning(StaffAccount.id)
        .execution_options(synchronize_session=False)
    ).first()
    uow.session.refresh(account)
    if released is not None:
        audit_staff(uow, StaffEvent.UNLOCKED, account, details={"by": "timer"})


def _claim_slot(uow: UnitOfWork, account: StaffAccount, now: datetime) -> int | None:
    """Take one failure slot atomically; ``None`` when the account is locked or full."""
    row = uow.session.execute(
        update(StaffAccount)
        .where(
            StaffAccount.id == account.id,
            StaffAccount.failed_attempts < uow.policy.lockout.threshold,
            StaffAccount.locked_at.is_(None),
            StaffAccount.status == AccountStatus.ACTIVE.value,
        )
        .values(failed_attempts=StaffAccount.failed_attempts + 1, last_failed_at=now)
        .returning(StaffAccount.failed_attempts)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else int(row[0])


def _second_factor_and_grant(
    uow: UnitOfWork, account: StaffAccount, credentials: Credentials
) -> tuple[FailureReason | None, bool]:
    mfa_used = False
    if credentials.second_factor:
        if not service_mfa.verify_second_factor(uow, account.id, credentials.second_factor):
            return FailureReason.SECOND_FACTOR_INVALID, False
        mfa_used = True
    if credentials.remote:
        if uow.policy.remote_access.mfa_required and not mfa_used:
            return FailureReason.SECOND_FACTOR_MISSING, False
        if service_remote.active_grant(uow, account.id) is None:
            return FailureReason.REMOTE_NOT_GRANTED, mfa_used
    return None, mfa_used


def _succeeded(
    uow: UnitOfWork,
    account: StaffAccount,
    credentials: Credentials,
    channel: Channel,
    *,
    mfa: bool,
    enrolment_only: bool = False,
) -> AuthResult:
    now = uow.clock.now()
    reset = uow.session.execute(
        update(StaffAccount)
        .where(
            StaffAccount.id == account.id,
            StaffAccount.locked_at.is_(None),
            StaffAccount.status == AccountStatus.ACTIVE.value,
        )
        .values(failed_attempts=0, last_login_at=now)
        .returning(StaffAccount.id)
        .execution_options(synchronize_session=False)
    ).first()
    if reset is None:  # a racing request locked the account after our slot was taken
        uow.session.refresh(account)
        retry = lockout.account_retry_after(uow, account)
        return _failed(uow, account, credentials, channel, FailureReason.LOCKED, retry=retry)
    set_committed_value(account, "failed_attempts", 0)
    set_committed_value(account, "last_login_at", now)
    hashing = hashing_for(uow.platform)
    rehashed = hashing.needs_rehash(account.password_hash)
    if rehashed:
        account.password_hash = hashing.hash(credentials.password)
        uow.session.flush()
    must_change = account.password_must_change or password_expired(uow, account)
    event = StaffEvent.LOGIN if channel in SIGN_IN_CHANNELS else StaffEvent.REAUTHENTICATED
    audit_staff(
        uow,
        event,
        account,
        actor=Actor(ActorType.STAFF, str(account.id), account.username),
        details={
            "channel": channel.value,
            "remote": credentials.remote,
            "mfa": mfa,
            "enrolment_only": enrolment_only,
            "must_change": must_change,
            "rehashed": rehashed,
        },
    )
    return AuthResult(
        ok=True,
        account=account,
        mfa=mfa,
        must_change_password=must_change,
        enrolment_only=enrolment_only,
    )


def _failed_after_claim(
    uow: UnitOfWork,
    account: StaffAccount,
    credentials: Credentials,
    channel: Channel,
    *,
    reason: FailureReason,
    attempt: int,
) -> AuthResult:
    threshold = uow.policy.lockout.threshold
    locked = False
    if attempt >= threshold:
        now = uow.clock.now()
        expires = now + lockout.lock_period(uow)
        row = uow.session.execute(
            update(StaffAccount)
            .where(
                StaffAccount.id == account.id,
                StaffAccount.locked_at.is_(None),
                StaffAccount.failed_attempts >= threshold,
            )
            .values(locked_at=now, lock_expires_at=expires)
            .returning(StaffAccount.id)
            .execution_options(synchronize_session=False)
        ).first()
        locked = row is not None
        if locked:
            set_committed_value(account, "locked_at", now)
            set_committed_value(account, "lock_expires_at", expires)
            end_all_sessions(uow, account.id, "locked")
    set_committed_value(account, "failed_attempts", attempt)
    result = _failed(
        uow,
        account,
        credentials,
        channel,
        reason,
        attempt=attempt,
        evaluated=True,
        retry=lockout.account_retry_after(uow, account),
    )
    if locked:
        audit_staff(
            uow,
            StaffEvent.LOCKED,
            account,
            outcome=Outcome.SUCCESS,
            details={
                "failures": attempt,
                "threshold": threshold,
                "lockout_minutes": uow.policy.lockout.lockout_minutes,
            },
        )
        lockout.record_lock(uow, account.id)
    return result


def _failed(
    uow: UnitOfWork,
    account: StaffAccount | None,
    credentials: Credentials,
    channel: Channel,
    reason: FailureReason,
    *,
    attempt: int | None = None,
    evaluated: bool = False,
    retry: datetime | None = None,
) -> AuthResult:
    details: dict[str, Any] = {
        "channel": channel.value,
        "reason": reason.value,
        "remote": credentials.remote,
        "evaluated": evaluated,
    }
    if attempt is not None:
        details["failures"] = attempt
    if account is None:  # never the name as typed (a password or card number typed by mistake)
        secret = uow.platform.settings.secret_key.get_secret_value()
        details["unknown_username_digest"] = unknown_name_digest(secret, credentials.username)
    audit_staff(uow, StaffEvent.LOGIN, account, outcome=Outcome.FAILURE, details=details)
    return AuthResult(ok=False, reason=reason, retry_after=retry)
