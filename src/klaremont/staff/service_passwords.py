"""Setting, changing, expiring and resetting staff passwords (IS-PW-HASH, -60, -STRONG).

A new password must pass the strength rules and differ from the current one and the
last ``passwords.history_depth`` ones (checked against their stored Argon2 hashes). A
password older than ``passwords.expiry_days`` -- or a one-time password set by an
administrator -- must be changed at the next login before anything else. Any password
change or reset ends every session of the account.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from klaremont.errors import FieldProblem, PermissionDenied, ValidationFailed
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.hashing import hashing_for
from klaremont.staff.models import PasswordHistory, StaffAccount
from klaremont.staff.service_sessions import end_all_sessions
from klaremont.staff.strength import check_strength, context_words

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from klaremont.platform import UnitOfWork

ONE_TIME_PASSWORD_BYTES = 15  # 20 URL-safe characters, 120 bits


def password_expires_at(uow: UnitOfWork, account: StaffAccount) -> datetime:
    """When the current password stops being accepted without a change."""
    return account.password_changed_at + timedelta(days=uow.policy.passwords.expiry_days)


def password_expired(uow: UnitOfWork, account: StaffAccount) -> bool:
    """True once the password is ``passwords.expiry_days`` old (IS-PW-60)."""
    return uow.clock.now() >= password_expires_at(uow, account)


def generate_one_time_password() -> str:
    """A random one-time password for a reset or a new account (changed at first use)."""
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


def words_for(account: StaffAccount) -> list[str]:
    """Context words a password must not contain: username, name parts, company name."""
    return context_words(account.username, account.full_name)


def check_new_password(uow: UnitOfWork, account: StaffAccount, new_password: str) -> None:
    """Strength rules, then reuse of the current or a recent password."""
    check_strength(uow.policy.passwords, new_password, words_for(account))
    if _reused(uow, account, new_password):
        depth = uow.policy.passwords.history_depth
        raise ValidationFailed(
            "new_password: must differ from your current and last passwords",
            problems=[
                FieldProblem(
                    "new_password", f"must differ from your current and last {depth} passwords"
                )
            ],
        )


def _reused(uow: UnitOfWork, account: StaffAccount, new_password: str) -> bool:
    hashing = hashing_for(uow.platform)
    depth = uow.policy.passwords.history_depth
    hashes = [] if account.password_hash.startswith("!") else [account.password_hash]
    if depth:
        hashes.extend(
            uow.session.scalars(
                select(PasswordHistory.password_hash)
                .where(PasswordHistory.account_id == account.id)
                .order_by(PasswordHistory.generation.desc())
                .limit(depth)
            ).all()
        )
    return any(hashing.verify(stored, new_password) for stored in hashes)


def hash_password(uow: UnitOfWork, password: str) -> str:
    """The Argon2id hash of a new password, computed holding no database lock.

    Call it before the unit of work changes anything (``UnitOfWork.unlocked``): hashing
    inside the write transaction would queue every other request behind it.
    """
    hashing = hashing_for(uow.platform)
    return uow.unlocked(lambda: hashing.hash(password))


def store_password(
    uow: UnitOfWork,
    account: StaffAccount,
    new_password: str,
    *,
    one_time: bool,
    hashed: str | None = None,
) -> None:
    """Store a password (no checks), keeping the old hash in the history.

    ``hashed`` is its hash from :func:`hash_password`, made before the change began;
    without it the password is hashed here, inside the transaction.
    """
    now = uow.clock.now()
    if account.password_hash and not account.password_hash.startswith("!"):
        latest = uow.session.scalar(
            select(func.max(PasswordHistory.generation)).where(
                PasswordHistory.account_id == account.id
            )
        )
        uow.session.add(
            PasswordHistory(
                account_id=account.id,
                generation=(latest or 0) + 1,
                password_hash=account.password_hash,
                retired_at=now,
            )
        )
    account.password_hash = hashed or hashing_for(uow.platform).hash(new_password)
    account.password_changed_at = now
    account.password_must_change = one_time
    uow.session.flush()
    _trim_history(uow, account.id)


def _trim_history(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    depth = uow.policy.passwords.history_depth
    keep = uow.session.scalars(
        select(PasswordHistory.id)
        .where(PasswordHistory.account_id == account_id)
        .order_by(PasswordHistory.generation.desc())
        .limit(depth)
    ).all()
    uow.session.execute(
        delete(PasswordHistory)
        .where(PasswordHistory.account_id == account_id, PasswordHistory.id.not_in(keep))
        .execution_options(synchronize_session="fetch")
    )


def change_password(
    uow: UnitOfWork, account: StaffAccount, new_password: str, *, keep_session: uuid.UUID | None
) -> None:
    """Set a new password chosen by its owner (the caller verified the current one).

    Every other session ends; ``keep_session`` (the one making the change) is kept only
    when the caller replaces its key right after.
    """
    hashed = hash_password(uow, new_password)
    check_new_password(uow, account, new_password)
    store_password(uow, account, new_password, one_time=False, hashed=hashed)
    ended = end_all_sessions(uow, account.id, "password-changed", keep=keep_session)
    audit_staff(uow, StaffEvent.PASSWORD_CHANGED, account, details={"sessions_ended": ended})


def admin_reset(
    uow: UnitOfWork, account: StaffAccount, *, by: str, resetter_id: uuid.UUID | None = None
) -> str:
    """Set a one-time password, unlock, and end every session; returns the one-time password.

    It is shown once to the administrator, who hands it over out of band; it must be
    changed at first use. Nobody resets their own password this way.
    """
    if resetter_id is not None and resetter_id == account.id:
        raise PermissionDenied("Change your own password with your current one instead.")
    one_time = generate_one_time_password()
    store_password(uow, account, one_time, one_time=True, hashed=hash_password(uow, one_time))
    account.failed_attempts = 0
    account.locked_at = None
    account.lock_expires_at = None
    uow.session.flush()
    ended = end_all_sessions(uow, account.id, "password-reset")
    audit_staff(
        uow, StaffEvent.PASSWORD_RESET, account, details={"by": by, "sessions_ended": ended}
    )
    return one_time
