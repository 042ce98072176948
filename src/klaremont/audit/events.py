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


#: Any capability's catalogued action tag (a member of a declared ``audit_actions`` enum).
ActionTag = StrEnum


def action_tag(value: str) -> StrEnum:
    """The catalogued tag whose stored value is ``value``.

    Raises ``ValueError`` ("not a valid audit action") for a tag no capability declares.
    """
    from klaremont.capabilities import action_catalogue  # noqa: PLC0415 - loads every capability

    found = action_catalogue().get(str(value))
    if found is None:
        msg = f"{str(value)[:60]!r} is not a valid audit action"
        raise ValueError(msg)
    return found


class AuditAction(StrEnum):
    """The foundation's own tags: the audit log, authorisation refusals and operations.

    Each capability declares its own catalogue (``klaremont/<capability>/actions.py``, named
    in its declaration); the log accepts the union
    (:func:`klaremont.capabilities.action_catalogue`).
    """

    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_ARCHIVE = "audit.archive"
    PURPOSE_REFUSED = "purpose.refused"
    PERMISSION_DENIED = "authz.denied"
    DEMO_SEED = "demo.seed"
    SYSTEM_START = "system.start"
    DB_UPGRADE = "system.db.upgrade"
    POLICY_CHECK = "policy.check"
    TRANSFER_REFUSED = "transfer.refused"
