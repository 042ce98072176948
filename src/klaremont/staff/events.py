"""Staff audit events: each staff event maps to one catalogued :class:`AuditAction`.

The precise event is also in ``details["event"]`` (approval and grant share a tag). Details
never carry a password, code, key or token (the audit log refuses such keys anyway), and
the username typed at a failed login is recorded: it is a staff identifier, not customer
personal data, and the ISO needs it to see guessing (IS-AC-LOGIN-LOG).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from klaremont.audit.events import Actor, AuditAction, Outcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount

PURPOSE = "security"


class StaffEvent(StrEnum):
    """What happened to a staff account or credential."""

    LOGIN = "login"
    LOGOUT = "logout"
    REAUTHENTICATED = "reauthenticated"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    LOCKOUT_BURST = "lockout-burst"
    PASSWORD_CHANGED = "password-changed"  # noqa: S105 - an event name
    PASSWORD_RESET = "password-reset"  # noqa: S105 - an event name
    MFA_ENROLLED = "mfa-enrolled"
    MFA_RESET = "mfa-reset"
    MFA_RECOVERY_USED = "mfa-recovery-code-used"
    CREATED = "created"
    MAINTENANCE_CREATED = "maintenance-account-created"
    UPDATED = "updated"
    DISABLED = "disabled"
    ENABLED = "enabled"
    OFFBOARDED = "offboarded"
    ROLE_GRANTED = "role-granted"
    ROLE_REVOKED = "role-revoked"
    REMOTE_REQUESTED = "remote-access-requested"
    REMOTE_APPROVED = "remote-access-approved"
    REMOTE_REVOKED = "remote-access-revoked"
    API_CREDENTIAL_CREATED = "api-credential-created"
    API_CREDENTIAL_REVOKED = "api-credential-revoked"
    REVIEW_EXPORTED = "access-review-exported"
    REVIEW_SIGNED = "access-review-signed"
    PERMISSION_DENIED = "permission-denied"


#: The catalogue tag of each event.
ACTION_OF: dict[StaffEvent, AuditAction] = {
    StaffEvent.LOGIN: AuditAction.AUTH_LOGIN,
    StaffEvent.LOGOUT: AuditAction.AUTH_LOGOUT,
    StaffEvent.REAUTHENTICATED: AuditAction.AUTH_REAUTH,
    StaffEvent.LOCKED: AuditAction.AUTH_LOCKOUT,
    StaffEvent.UNLOCKED: AuditAction.AUTH_UNLOCK,
    StaffEvent.LOCKOUT_BURST: AuditAction.AUTH_LOCKOUT,
    StaffEvent.PASSWORD_CHANGED: AuditAction.PASSWORD_CHANGE,
    StaffEvent.PASSWORD_RESET: AuditAction.PASSWORD_RESET,
    StaffEvent.MFA_ENROLLED: AuditAction.MFA_ENROL,
    StaffEvent.MFA_RESET: AuditAction.MFA_RESET,
    StaffEvent.MFA_RECOVERY_USED: AuditAction.MFA_RECOVERY_USE,
    StaffEvent.CREATED: AuditAction.STAFF_CREATE,
    StaffEvent.MAINTENANCE_CREATED: AuditAction.MAINTENANCE_CREATE,
    StaffEvent.UPDATED: AuditAction.STAFF_UPDATE,
    StaffEvent.DISABLED: AuditAction.STAFF_DISABLE,
    StaffEvent.ENABLED: AuditAction.STAFF_ENABLE,
    StaffEvent.OFFBOARDED: AuditAction.STAFF_OFFBOARD,
    StaffEvent.ROLE_GRANTED: AuditAction.ROLE_GRANT,
    StaffEvent.ROLE_REVOKED: AuditAction.ROLE_REVOKE,
    StaffEvent.REMOTE_REQUESTED: AuditAction.REMOTE_REQUEST,
    StaffEvent.REMOTE_APPROVED: AuditAction.REMOTE_GRANT,
    StaffEvent.REMOTE_REVOKED: AuditAction.REMOTE_REVOKE,
    StaffEvent.API_CREDENTIAL_CREATED: AuditAction.API_TOKEN_CREATE,
    StaffEvent.API_CREDENTIAL_REVOKED: AuditAction.API_TOKEN_REVOKE,
    StaffEvent.REVIEW_EXPORTED: AuditAction.ACCESS_REVIEW_EXPORT,
    StaffEvent.REVIEW_SIGNED: AuditAction.ACCESS_REVIEW_SIGNOFF,
    StaffEvent.PERMISSION_DENIED: AuditAction.PERMISSION_DENIED,
}


def staff_resource(account_id: object) -> str:
    """The audit ``resource`` naming one staff account."""
    return f"staff:{account_id}"


def audit_staff(
    uow: UnitOfWork,
    event: StaffEvent,
    account: StaffAccount | None,
    *,
    outcome: Outcome = Outcome.SUCCESS,
    details: Mapping[str, Any] | None = None,
    resource: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Record one staff event in the unit of work's transaction.

    Call it after the rows of the change are written: the audit chain head is locked
    last, so two transactions never wait on each other in opposite orders.
    """
    payload: dict[str, Any] = {"event": event.value}
    if account is not None:
        payload["username"] = account.username
    if details:
        payload.update(details)
    uow.audit(
        ACTION_OF[event],
        outcome,
        resource=resource or (staff_resource(account.id) if account is not None else None),
        purpose=PURPOSE,
        details=payload,
        actor=actor,
    )
