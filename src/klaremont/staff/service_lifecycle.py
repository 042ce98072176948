"""Account lifecycle: disable, enable, unlock, offboard leavers, maintenance accounts.

Offboarding (IS-AC-LEAVER) revokes everything at once, in one transaction: every session
and API token, the password (replaced by an unusable marker), every remote-access grant,
the TOTP enrolment and recovery codes, every role, and whatever other capabilities hold
(through :mod:`klaremont.staff.hooks`). Disabling or locking an account ends its
sessions too. Maintenance accounts (IS-AC-MAINT) are created for a bounded window and
disable themselves when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from klaremont.errors import Conflict, PermissionDenied, ValidationFailed
from klaremont.events import publish
from klaremont.staff import service_mfa, service_remote
from klaremont.staff.announcements import StaffDisabled, StaffLeft
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.hashing import UNUSABLE
from klaremont.staff.models import AccountKind, AccountStatus, StaffAccount, StaffRole
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import (
    CreatedAccount,
    NewAccount,
    create_account,
    get_account,
    roles_of,
)
from klaremont.staff.service_sessions import end_all_sessions, revoke_all_api_tokens
from klaremont.staff.text import plain_text

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork


@dataclass(frozen=True)
class OffboardReport:
    """What offboarding revoked."""

    sessions: int
    api_tokens: int
    remote_grants: int
    mfa: bool
    roles: list[str]
    hooks: dict[str, str]


def disable_account(
    uow: UnitOfWork, account: StaffAccount, *, reason: str, by: str = "system"
) -> bool:
    """Disable an active account and end its sessions and tokens' use; True when it changed."""
    if account.status != AccountStatus.ACTIVE.value:
        return False
    reason = plain_text("reason", reason, max_length=64)
    account.status = AccountStatus.DISABLED.value
    account.status_reason = reason[:64]
    account.status_changed_at = uow.clock.now()
    uow.session.flush()
    ended = end_all_sessions(uow, account.id, f"disabled:{reason}"[:32])
    hooks = publish(
        uow, StaffDisabled(account_id=account.id, username=account.username, reason=reason)
    )
    details: dict[str, object] = {"reason": reason, "by": by, "sessions_ended": ended}
    if hooks:
        details["follow_up"] = hooks
    audit_staff(uow, StaffEvent.DISABLED, account, details=details)
    return True


def enable_account(uow: UnitOfWork, account_id: uuid.UUID, *, by: str) -> StaffAccount:
    """Re-enable a disabled (not offboarded, not expired) account; its inactivity clock restarts."""
    account = get_account(uow, account_id)
    if account.status == AccountStatus.OFFBOARDED.value:
        raise Conflict("An offboarded account cannot be enabled again; create a new one.")
    now = uow.clock.now()
    if account.expires_at is not None and account.expires_at <= now:
        raise Conflict("This account's window has ended; create a new maintenance account.")
    if account.status == AccountStatus.DISABLED.value:
        account.status = AccountStatus.ACTIVE.value
        account.status_reason = None
        account.status_changed_at = now  # restarts the inactivity clock (see jobs.last_activity)
        uow.session.flush()
        audit_staff(uow, StaffEvent.ENABLED, account, details={"by": by})
    return account


def unlock_account(
    uow: UnitOfWork, account_id: uuid.UUID, *, by: str, unlocker_id: uuid.UUID | None = None
) -> bool:
    """Lift a lockout (ISO or administrator); True when the account was locked."""
    account = get_account(uow, account_id)
    if unlocker_id is not None and unlocker_id == account_id:
        raise PermissionDenied("Nobody may unlock their own account.")
    was_locked = account.locked_at is not None
    account.locked_at = None
    account.lock_expires_at = None
    account.failed_attempts = 0
    uow.session.flush()
    if was_locked:
        audit_staff(uow, StaffEvent.UNLOCKED, account, details={"by": by})
    return was_locked


def offboard(
    uow: UnitOfWork, account_id: uuid.UUID, *, by: str, offboarder_id: uuid.UUID | None = None
) -> OffboardReport:
    """Revoke everything a leaver holds, at once (IS-AC-LEAVER)."""
    account = get_account(uow, account_id)
    if offboarder_id is not None and offboarder_id == account_id:
        raise PermissionDenied("Nobody may offboard their own account.")
    if account.status == AccountStatus.OFFBOARDED.value:
        raise Conflict("This account was already offboarded.")
    now = uow.clock.now()
    account.status = AccountStatus.OFFBOARDED.value
    account.status_reason = "leaver"
    account.status_changed_at = now
    account.password_hash = UNUSABLE
    account.password_must_change = False
    uow.session.flush()
    sessions = end_all_sessions(uow, account.id, "offboarded")
    tokens = revoke_all_api_tokens(uow, account.id)
    grants = service_remote.revoke_all_grants(uow, account.id, reason="offboarded")
    mfa = service_mfa.reset_mfa(uow, account.id)
    roles = sorted(r.value for r in roles_of(uow, account.id))
    uow.session.execute(
        delete(StaffRole)
        .where(StaffRole.account_id == account.id)
        .execution_options(synchronize_session="fetch")
    )
    hooks = publish(uow, StaffLeft(account_id=account.id, username=account.username))
    report = OffboardReport(sessions, tokens, grants, mfa, roles, hooks)
    audit_staff(
        uow,
        StaffEvent.OFFBOARDED,
        account,
        details={
            "by": by,
            "sessions_ended": sessions,
            "api_credentials_revoked": tokens,
            "remote_grants_revoked": grants,
            "mfa_removed": mfa,
            "roles_removed": roles,
            "hooks": hooks,
        },
    )
    return report


def reset_mfa(uow: UnitOfWork, account_id: uuid.UUID, *, by: str) -> bool:
    """Remove an account's authenticator (lost phone); it enrols again from the office."""
    account = get_account(uow, account_id)
    removed = service_mfa.reset_mfa(uow, account.id)
    ended = end_all_sessions(uow, account.id, "mfa-reset")
    audit_staff(
        uow,
        StaffEvent.MFA_RESET,
        account,
        details={"by": by, "sessions_ended": ended, "removed": removed},
    )
    return removed


def create_maintenance_account(
    uow: UnitOfWork,
    *,
    username: str,
    full_name: str,
    work_email: str,
    hours: int,
    sponsor_id: uuid.UUID,
    created_by: str,
) -> CreatedAccount:
    """A remote maintenance account, enabled now for ``hours`` (at most the policy's maximum).

    The sponsor (who asked for it) becomes its line manager; the password is one-time.
    """
    limit = uow.policy.accounts.maintenance_max_hours
    if not 1 <= hours <= limit:
        raise ValidationFailed.single(
            "hours", f"must be from 1 to {limit} (accounts.maintenance_max_hours)"
        )
    return create_account(
        uow,
        NewAccount(
            username=username,
            full_name=full_name,
            work_email=work_email,
            job_role=Role.MAINTENANCE,
            line_manager_id=sponsor_id,
            kind=AccountKind.MAINTENANCE,
            expires_at=uow.clock.now() + timedelta(hours=hours),
        ),
        created_by=created_by,
    )
