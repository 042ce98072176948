"""Staff audit events: each staff event maps to one catalogued :class:`AuditAction`.

The precise event is also in ``details["event"]`` (approval and grant share a tag). Details
never carry a password, code, key or token (the audit log refuses such keys anyway), and
the username typed at a failed login is recorded: it is a staff identifier, not customer
personal data, and the ISO needs it to see guessing (IS-AC-LOGIN-LOG).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from klaremont.audit.events import ActionTag, Actor, AuditAction, Outcome
from klaremont.staff.actions import StaffAction

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
ACTION_OF: dict[StaffEvent, ActionTag] = {
    StaffEvent.LOGIN: StaffAction.AUTH_LOGIN,
    StaffEvent.LOGOUT: StaffAction.AUTH_LOGOUT,
    StaffEvent.REAUTHENTICATED: StaffAction.AUTH_REAUTH,
    StaffEvent.LOCKED: StaffAction.AUTH_LOCKOUT,
    StaffEvent.LOCKOUT_BURST: StaffAction.AUTH_LOCKOUT,
    StaffEvent.UNLOCKED: StaffAction.AUTH_UNLOCK,
    StaffEvent.PASSWORD_CHANGED: StaffAction.PASSWORD_CHANGE,
    StaffEvent.PASSWORD_RESET: StaffAction.PASSWORD_RESET,
    StaffEvent.MFA_ENROLLED: StaffAction.MFA_ENROL,
    StaffEvent.MFA_RESET: StaffAction.MFA_RESET,
    StaffEvent.MFA_RECOVERY_USED: StaffAction.MFA_RECOVERY_USE,
    StaffEvent.CREATED: StaffAction.STAFF_CREATE,
    StaffEvent.MAINTENANCE_CREATED: StaffAction.MAINTENANCE_CREATE,
    StaffEvent.UPDATED: StaffAction.STAFF_UPDATE,
    StaffEvent.DISABLED: StaffAction.STAFF_DISABLE,
    StaffEvent.ENABLED: StaffAction.STAFF_ENABLE,
    StaffEvent.OFFBOARDED: StaffAction.STAFF_OFFBOARD,
    StaffEvent.ROLE_GRANTED: StaffAction.ROLE_GRANT,
    StaffEvent.ROLE_REVOKED: StaffAction.ROLE_REVOKE,
    StaffEvent.REMOTE_REQUESTED: StaffAction.REMOTE_REQUEST,
    StaffEvent.REMOTE_APPROVED: StaffAction.REMOTE_GRANT,
    StaffEvent.REMOTE_REVOKED: StaffAction.REMOTE_REVOKE,
    StaffEvent.API_CREDENTIAL_CREATED: StaffAction.API_TOKEN_CREATE,
    StaffEvent.API_CREDENTIAL_REVOKED: StaffAction.API_TOKEN_REVOKE,
    StaffEvent.REVIEW_EXPORTED: StaffAction.ACCESS_REVIEW_EXPORT,
    StaffEvent.REVIEW_SIGNED: StaffAction.ACCESS_REVIEW_SIGNOFF,
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
