"""Who did what, and how it ended: the vocabulary of every audit event (PCI DSS 10.2.2).

:class:`AuditAction` is the one catalogue of action tags for the whole system. Tags are
dotted, lower case and stable: they are stored in the hash-chained log, so a tag is never
renamed once released. A new capability adds members here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ActorType(StrEnum):
    """The kind of party that acted."""

    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"
    PROCESSOR = "processor"


@dataclass(frozen=True, slots=True)
class Actor:
    """The party that acted: its kind and a stable identifier.

    ``label`` is a display name for people reading the log; it is neither stored nor
    hashed, so changing how a person is named never changes the chain.
    """

    type: ActorType
    id: str
    label: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        """Render as ``type:id``."""
        return f"{self.type.value}:{self.id}"


SYSTEM_ACTOR = Actor(ActorType.SYSTEM, "klaremont")


class Outcome(StrEnum):
    """How the action ended."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditAction(StrEnum):
    """Every action tag the system records, one catalogue for all capabilities."""

    # the audit log itself
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_CHECKPOINT = "audit.checkpoint"

    # keys and crypto-shredding
    KEYS_ROTATE = "keys.rotate"
    KEYS_RETIRE = "keys.retire"
    SUBJECT_SHRED = "crypto.shred"

    # authentication
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOCKOUT = "auth.lockout"
    AUTH_UNLOCK = "auth.unlock"
    PASSWORD_CHANGE = "auth.password.change"  # noqa: S105 - an action tag, not a password
    PASSWORD_RESET = "auth.password.reset"  # noqa: S105 - an action tag, not a password
    MFA_ENROL = "auth.mfa.enrol"

    # staff accounts and access
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

    # personal data and cardholder data
    PERSONAL_DATA_READ = "personal.read"
    PERSONAL_DATA_CREATE = "personal.create"
    PERSONAL_DATA_UPDATE = "personal.update"
    PERSONAL_DATA_DELETE = "personal.delete"
    CARD_READ = "card.read"
    CARD_CREATE = "card.create"
    CARD_REFUSED = "card.refused"

    # authorisation
    PURPOSE_REFUSED = "purpose.refused"
    PERMISSION_DENIED = "authz.denied"

    # data subject requests and consent
    DSR_CREATE = "dsr.create"
    DSR_VERIFY = "dsr.verify"
    DSR_FULFIL = "dsr.fulfil"
    DSR_REFUSE = "dsr.refuse"
    DSR_EXTEND = "dsr.extend"
    CONSENT_CHANGE = "consent.change"

    # accuracy of customer records (DP-ACCURATE)
    ACCURACY_REPORT = "accuracy.report"
    ACCURACY_READ = "accuracy.read"
    ACCURACY_CONFIRM = "accuracy.confirm"

    # operations
    DEMO_SEED = "demo.seed"
    SYSTEM_START = "system.start"
    DB_UPGRADE = "system.db.upgrade"
    BACKUP_CREATE = "backup.create"
    BACKUP_RESTORE = "backup.restore"
    POLICY_CHECK = "policy.check"
