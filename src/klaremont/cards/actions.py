"""Cardholder data audit tags.

Tags are stored in the hash-chained log: never rename one once released. The capability
declares this catalogue (``audit_actions``), so the log accepts these tags.
"""

from __future__ import annotations

from enum import StrEnum


class CardAction(StrEnum):
    """Cardholder data audit tags."""

    CARD_READ = "card.read"
    CARD_CREATE = "card.create"
    CARD_REFUSED = "card.refused"
