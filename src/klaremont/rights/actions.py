"""Data subject request audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class RightsAction(StrEnum):
    """Data subject request audit tags."""

    DSR_CREATE = "dsr.create"
    DSR_VERIFY = "dsr.verify"
    DSR_FULFIL = "dsr.fulfil"
    DSR_REFUSE = "dsr.refuse"
    DSR_EXTEND = "dsr.extend"
    DSR_PAUSE = "dsr.pause"
    DSR_RESUME = "dsr.resume"
