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
