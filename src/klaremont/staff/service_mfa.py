"""TOTP second factor and recovery codes (IS-RA-2FA).

Enrolment makes a random secret (sealed at rest under the staff member's data key) and
shows it once as a manual key and an ``otpauth://`` URI; it becomes active when a first
code is confirmed, which also issues ten single-use recovery codes (stored as SHA-256).
A TOTP code is accepted once: the time-step it matched is stored, and a code for the
same or an earlier step is refused, with an atomic update so two racing requests cannot
both use it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp
from sqlalchemy import delete, or_, select, update

from klaremont.errors import Conflict, ValidationFailed
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.models import RecoveryCode, StaffAccount, StaffMfa, StaffSession
from klaremont.staff.service_sessions import digest

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork

ISSUER = "Klaremont"
STEP_SECONDS = 30
DIGITS = 6
ALLOWED_DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUP = 5


@dataclass(frozen=True)
class Enrolment:
    """What the staff member types into an authenticator app (shown once)."""

    secret: str
    otpauth_uri: str


def _recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP))
        for _ in range(4)
    )
    return "-".join(groups)


def normalise_recovery_code(text: str) -> str:
    """Lower case without spaces; the dashes are optional when typed."""
    compact = "".join(ch for ch in text.lower() if ch.isalnum())
    return "-".join(
        compact[i : i + _RECOVERY_GROUP] for i in range(0, len(compact), _RECOVERY_GROUP)
    )


def enrolment_of(uow: UnitOfWork, account_id: uuid.UUID) -> StaffMfa | None:
    """The account's TOTP enrolment, confirmed or not."""
    return uow.session.scalars(
        select(StaffMfa).where(StaffMfa.account_id == account_id)
    ).one_or_none()


def has_confirmed_mfa(uow: UnitOfWork, account_id: uuid.UUID) -> bool:
    """True once the account confirmed a TOTP enrolment."""
    row = enrolment_of(uow, account_id)
    return row is not None and row.confirmed_at is not None


def begin_enrolment(uow: UnitOfWork, account: StaffAccount) -> Enrolment:
    """Start (or restart) an unconfirmed enrolment; refused when one is already confirmed."""
    row = enrolment_of(uow, account.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict(
            "An authenticator is already enrolled; ask the ISO to reset it before enrolling again."
        )
    secret = pyotp.random_base32(32)
    if row is None:
        row = StaffMfa(
            account_id=account.id, subject_id=account.subject_id, created_at=uow.clock.now()
        )
        uow.session.add(row)
    row.totp_secret = secret
    row.created_at = uow.clock.now()
    row.last_step = None
    uow.session.flush()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account.username, issuer_name=ISSUER
    )
    return Enrolment(secret=secret, otpauth_uri=uri)


def confirm_enrolment(
    uow: UnitOfWork, account: StaffAccount, code: str, *, session: StaffSession | None = None
) -> list[str]:
    """Activate the enrolment with a first code; returns the recovery codes (shown once).

    The code just proved the second factor, so the ``session`` that confirmed it (if any)
    counts as signed in with it from now on.
    """
    row = enrolment_of(uow, account.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict("There is no enrolment waiting for confirmation; start one first.")
    if not _consume_totp(uow, row, code):
        raise ValidationFailed.single("code", "is not the current code of the authenticator")
    row.confirmed_at = uow.clock.now()
    if session is not None:
        session.mfa = True
    codes = _replace_recovery_codes(uow, account.id)
    audit_staff(uow, StaffEvent.MFA_ENROLLED, account, details={"recovery_codes": len(codes)})
    return codes


def enrol_known_key(uow: UnitOfWork, account: StaffAccount, secret: str) -> None:
    """Enrol ``secret`` as a confirmed authenticator (demo seeding only, never in production).

    The demo prints its keys beside its passwords; a real enrolment always goes through
    :func:`begin_enrolment` and :func:`confirm_enrolment`.
    """
    if uow.platform.settings.is_production:
        raise Conflict("Known authenticator keys are for demo data only.")
    now = uow.clock.now()
    row = StaffMfa(
        account_id=account.id, subject_id=account.subject_id, created_at=now, confirmed_at=now
    )
    row.totp_secret = secret
    uow.session.add(row)
    uow.session.flush()
    audit_staff(uow, StaffEvent.MFA_ENROLLED, account, details={"demo": True})


def verify_second_factor(uow: UnitOfWork, account_id: uuid.UUID, code: str | None) -> bool:
    """True when ``code`` is an unused current TOTP code or an unused recovery code."""
    if not code:
        return False
    row = enrolment_of(uow, account_id)
    if row is None or row.confirmed_at is None:
        return False
    text = code.strip()
    if text.isdigit():
        return _consume_totp(uow, row, text)
    return _consume_recovery_code(uow, account_id, text)


def reset_mfa(uow: UnitOfWork, account_id: uuid.UUID) -> bool:
    """Remove the enrolment and every recovery code; True when there was one."""
    removed = uow.session.execute(
        delete(StaffMfa)
        .where(StaffMfa.account_id == account_id)
        .execution_options(synchronize_session="fetch")
    )
    uow.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.account_id == account_id)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(removed, "rowcount", 0))


def remaining_recovery_codes(uow: UnitOfWork, account_id: uuid.UUID) -> int:
    """How many recovery codes are still unused."""
    return len(
        uow.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def current_code(secret: str, step: int) -> str:
    """The code of ``secret`` for one time-step (used by tests and the demo)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def _consume_totp(uow: UnitOfWork, row: StaffMfa, code: str) -> bool:
    text = code.strip()
    if len(text) != DIGITS or not text.isdigit():
        return False
    secret = row.totp_secret
    if secret is None:
        return False
    now_step = int(uow.clock.now().timestamp()) // STEP_SECONDS
    matched: int | None = None
    for step in range(now_step - ALLOWED_DRIFT_STEPS, now_step + ALLOWED_DRIFT_STEPS + 1):
        if hmac.compare_digest(current_code(secret, step), text):
            matched = step
    if matched is None:
        return False
    claimed = uow.session.execute(
        update(StaffMfa)
        .where(
            StaffMfa.id == row.id,
            or_(StaffMfa.last_step.is_(None), StaffMfa.last_step < matched),
        )
        .values(last_step=matched)
        .returning(StaffMfa.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return False  # replayed: this step (or a later one) was already used
    uow.session.refresh(row, ["last_step"])
    return True


def _consume_recovery_code(uow: UnitOfWork, account_id: uuid.UUID, code: str) -> bool:
    used = uow.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == digest(normalise_recovery_code(code)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=uow.clock.now())
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).first()
    if used is None:
        return False
    account = uow.session.get(StaffAccount, account_id)
    if account is not None:
        audit_staff(
            uow,
            StaffEvent.MFA_RECOVERY_USED,
            account,
            details={"remaining": remaining_recovery_codes(uow, account_id)},
        )
    return True


def _replace_recovery_codes(uow: UnitOfWork, account_id: uuid.UUID) -> list[str]:
    uow.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.account_id == account_id)
        .execution_options(synchronize_session="fetch")
    )
    now = uow.clock.now()
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        uow.session.add(RecoveryCode(account_id=account_id, code_hash=digest(code), created_at=now))
    uow.session.flush()
    return codes
