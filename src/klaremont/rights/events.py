"""Audit events of data subject requests: each maps to one catalogued :class:`AuditAction`.

Several events share a catalogue tag until the catalogue grows one of their own; the
precise event is always in ``details["event"]``. Details carry ids, kinds, states, table
and field names and counts -- never a personal value, a code or a token.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from klaremont.audit.events import ActionTag, AuditAction, Outcome
from klaremont.consent.actions import ConsentAction
from klaremont.crypto.actions import KeyAction
from klaremont.customers.actions import CustomerAction
from klaremont.rights.actions import RightsAction

if TYPE_CHECKING:
    from collections.abc import Mapping

    from klaremont.platform import UnitOfWork

PURPOSE = "legal_obligation"


class RightsEvent(StrEnum):
    """What happened to a request, or to a subject's data because of one."""

    CREATED = "created"
    DUPLICATE_REFUSED = "duplicate-refused"
    CHALLENGE_SENT = "identity-challenge-sent"
    VERIFIED = "identity-verified"
    VERIFY_FAILED = "identity-verification-failed"
    STARTED = "started"
    FULFILLED = "fulfilled"
    REFUSED = "refused"
    EXTENDED = "extended"
    CLOCK_PAUSED = "clock-paused"
    CLOCK_RESUMED = "clock-resumed"
    EXPORT_READ = "export-read"
    TRANSMITTED = "transmitted"
    RECTIFIED = "rectified"
    RESTRICTED = "restricted"
    RESTRICTION_LIFTED = "restriction-lifted"
    MARKETING_OBJECTION = "marketing-objection"
    ERASED = "erased"
    ERASURE_REFUSED = "erasure-refused"
    KEY_SHREDDED = "key-shredded"
    LEDGER_REAPPLIED = "ledger-reapplied"
    DUE_ALERT = "due-alert"


#: The catalogue tag of each event (closest existing member where none is dedicated).
ACTION_OF: dict[RightsEvent, ActionTag] = {
    RightsEvent.CREATED: RightsAction.DSR_CREATE,
    RightsEvent.DUPLICATE_REFUSED: RightsAction.DSR_REFUSE,
    RightsEvent.CHALLENGE_SENT: RightsAction.DSR_VERIFY,
    RightsEvent.VERIFIED: RightsAction.DSR_VERIFY,
    RightsEvent.VERIFY_FAILED: RightsAction.DSR_VERIFY,
    RightsEvent.STARTED: RightsAction.DSR_FULFIL,
    RightsEvent.FULFILLED: RightsAction.DSR_FULFIL,
    RightsEvent.REFUSED: RightsAction.DSR_REFUSE,
    RightsEvent.EXTENDED: RightsAction.DSR_EXTEND,
    RightsEvent.CLOCK_PAUSED: RightsAction.DSR_PAUSE,
    RightsEvent.CLOCK_RESUMED: RightsAction.DSR_RESUME,
    RightsEvent.EXPORT_READ: CustomerAction.PERSONAL_DATA_READ,
    RightsEvent.TRANSMITTED: RightsAction.DSR_FULFIL,
    RightsEvent.RECTIFIED: CustomerAction.PERSONAL_DATA_UPDATE,
    RightsEvent.RESTRICTED: CustomerAction.PERSONAL_DATA_UPDATE,
    RightsEvent.RESTRICTION_LIFTED: CustomerAction.PERSONAL_DATA_UPDATE,
    RightsEvent.MARKETING_OBJECTION: ConsentAction.CONSENT_CHANGE,
    RightsEvent.ERASED: CustomerAction.PERSONAL_DATA_DELETE,
    RightsEvent.ERASURE_REFUSED: RightsAction.DSR_REFUSE,
    RightsEvent.KEY_SHREDDED: KeyAction.SUBJECT_SHRED,
    RightsEvent.LEDGER_REAPPLIED: CustomerAction.PERSONAL_DATA_DELETE,
    RightsEvent.DUE_ALERT: AuditAction.POLICY_CHECK,
}


def request_resource(request_id: object) -> str:
    """The audit ``resource`` naming one request."""
    return f"dsr:{request_id}"


def subject_resource(subject_id: object) -> str:
    """The audit ``resource`` naming one data subject (a pseudonymous id)."""
    return f"subject:{subject_id}"


def audit_rights(
    uow: UnitOfWork,
    event: RightsEvent,
    *,
    resource: str,
    outcome: Outcome = Outcome.SUCCESS,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record one rights event in the unit of work's transaction (after the change's rows)."""
    payload: dict[str, Any] = {"event": event.value}
    if details:
        payload.update(details)
    uow.audit(ACTION_OF[event], outcome, resource=resource, purpose=PURPOSE, details=payload)
