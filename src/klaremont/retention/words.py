"""The schedule and the reports as people read them."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from klaremont.policy.categories import CATEGORY_LABELS
from klaremont.policy.model import ACTION_WORDS, DataCategory

if TYPE_CHECKING:
    from collections.abc import Mapping

C = DataCategory

#: the categories in words (one wording for the whole platform)
CATEGORY_WORDS: Final[Mapping[str, str]] = CATEGORY_LABELS

EVENT_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "account_closed": "the account closed",
        "last_activity": "the customer's last activity",
        "last_order": "the customer's last order",
        "order_placed": "the order was placed",
        "invoice_issued": "the invoice was issued",
        "consent_withdrawn": "consent was withdrawn",
        "request_closed": "the request was closed",
        "contact_resolved": "the query or complaint was resolved",
        "session_ended": "the session ended",
        "incident_closed": "the incident was closed",
        "staff_left": "the member of staff left",
        "code_expired": "the code expired",
        "recorded": "it was recorded",
    }
)


def period_words(text: str) -> str:
    """``"6y"`` -> ``"6 years"``, ``"1y6m"`` -> ``"1 year 6 months"``."""
    units = {"y": "year", "m": "month", "d": "day"}
    parts: list[str] = []
    number = ""
    for char in text:
        if char.isdigit():
            number += char
            continue
        unit = units[char]
        parts.append(f"{number} {unit}" + ("" if number == "1" else "s"))
        number = ""
    return " ".join(parts)


def action_words(action: str) -> str:
    """What happens, in words."""
    return ACTION_WORDS.get(action, action)
