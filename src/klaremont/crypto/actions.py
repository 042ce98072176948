"""Key management and crypto-shredding audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class KeyAction(StrEnum):
    """Key management and crypto-shredding audit tags."""

    KEYS_ROTATE = "keys.rotate"
    KEYS_RETIRE = "keys.retire"
    SUBJECT_SHRED = "crypto.shred"
