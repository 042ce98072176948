"""Media audit tags. Stored in the hash-chained log: never rename one once released."""

from __future__ import annotations

from enum import StrEnum


class MediaAction(StrEnum):
    """Media audit tags."""

    REGISTERED = "media.registered"
    MOVED = "media.moved"
    MOVE_REFUSED = "media.move_refused"
    STOCKTAKE_STARTED = "media.stocktake_started"
    SEEN = "media.seen"
    STOCKTAKE_FINISHED = "media.stocktake_finished"
    MISSING = "media.missing"
    DISPOSAL_REQUESTED = "media.disposal_requested"
    DISPOSAL_APPROVED = "media.disposal_approved"
    DISPOSAL_REFUSED = "media.disposal_refused"
    DISPOSED = "media.disposed"
    REGISTER_EXPORTED = "media.register_exported"
