"""Disclosure audit tags. Stored in the hash-chained log: never rename one."""

from __future__ import annotations

from enum import StrEnum


class DisclosureAction(StrEnum):
    """Disclosure audit tags."""

    REQUESTED = "disclosure.requested"
    APPROVED = "disclosure.approved"
    REFUSED = "disclosure.refused"
    DECISION_DENIED = "disclosure.decision_denied"
    EXPORTED = "disclosure.exported"
    EXPORT_DENIED = "disclosure.export_denied"
    RECIPIENT_TOLD = "disclosure.recipient_told"
