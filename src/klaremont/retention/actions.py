"""Retention audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class RetentionAction(StrEnum):
    """Retention audit tags."""

    RUN_STARTED = "retention.run_started"
    PURGED = "retention.purged"
    RUN_FINISHED = "retention.run_finished"
    RUN_FAILED = "retention.run_failed"
    RUN_INTERRUPTED = "retention.run_interrupted"
    RUN_REFUSED = "retention.run_refused"
    DRY_RUN = "retention.dry_run"
    KEYS_DESTROYED = "retention.keys_destroyed"
    REAPPLIED = "retention.reapplied"
    HOLD_PLACED = "retention.hold_placed"
    HOLD_LIFTED = "retention.hold_lifted"
    HOLD_REFUSED = "retention.hold_refused"
