"""Staff identity and access audit tags (authentication, accounts, roles, remote access).

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class StaffAction(StrEnum):
    """Staff identity and access audit tags."""

    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOCKOUT = "auth.lockout"
    AUTH_UNLOCK = "auth.unlock"
    PASSWORD_CHANGE = "auth.password.change"  # noqa: S105 - an action tag, not a password
    PASSWORD_RESET = "auth.password.reset"  # noqa: S105 - an action tag, not a password
    MFA_ENROL = "auth.mfa.enrol"
    ROLE_GRANT = "staff.role.grant"
    ROLE_REVOKE = "staff.role.revoke"
    STAFF_CREATE = "staff.create"
    STAFF_DISABLE = "staff.disable"
    STAFF_OFFBOARD = "staff.offboard"
    REMOTE_GRANT = "staff.remote.grant"
    ACCESS_REVIEW_SIGNOFF = "staff.review.signoff"
    ACCESS_REVIEW_EXPORT = "staff.review.export"
    STAFF_ENABLE = "staff.enable"
    STAFF_UPDATE = "staff.update"
    MAINTENANCE_CREATE = "staff.maintenance.create"
    MFA_RESET = "auth.mfa.reset"
    MFA_RECOVERY_USE = "auth.mfa.recovery"
    AUTH_REAUTH = "auth.reauth"
    REMOTE_REQUEST = "staff.remote.request"
    REMOTE_REVOKE = "staff.remote.revoke"
    API_TOKEN_CREATE = "auth.token.create"  # noqa: S105 - an action tag, not a secret
    API_TOKEN_REVOKE = "auth.token.revoke"  # noqa: S105 - an action tag, not a secret
