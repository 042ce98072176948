"""Processor register audit tags. Stored in the hash-chained log: never rename one."""

from __future__ import annotations

from enum import StrEnum


class ProcessorAction(StrEnum):
    """Processor register audit tags."""

    ADDED = "processor.added"
    DATES_RECORDED = "processor.dates_recorded"
    SYSTEM_ADDED = "processor.system_added"
    SHARED = "processor.shared"
    SHARE_REFUSED = "processor.share_refused"
    RECORD_EXPORTED = "processor.record_exported"
    CONTACT_RECORDED = "processor.contact_recorded"
    SUPPORT_SHARE_OPENED = "processor.support_share_opened"
    SUPPORT_SHARE_EXPORTED = "processor.support_share_exported"
    SUPPORT_SHARE_RESOLVED = "processor.support_share_resolved"
    SUPPORT_SHARE_CONFIRMED = "processor.support_share_confirmed"
    SUPPORT_SHARE_LINK_REFUSED = "processor.support_share_link_refused"
    SUPPORT_SHARE_DELETION_ASKED = "processor.support_share_deletion_asked"
