"""Free text typed by staff (reasons, notes, names of tokens): checked before it is stored.

Such text ends up in tables and audit events, so it may carry neither control characters
(log injection) nor anything shaped like a card number (IS-SENS-MASK: no PAN where it
does not belong); either is refused with the field named, never echoed.
"""

from __future__ import annotations

import re

from klaremont.audit.redaction import contains_pan
from klaremont.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    """``value`` trimmed, or :class:`ValidationFailed` naming the broken rule."""
    text = value.strip()
    if not min_length <= len(text) <= max_length:
        raise ValidationFailed.single(field, f"must be {min_length} to {max_length} characters")
    if _CONTROL.search(text):
        raise ValidationFailed.single(field, "must not contain control characters")
    if contains_pan(text):
        raise ValidationFailed.single(field, "must not contain a card number")
    return text


def safe_for_audit(value: str, *, max_length: int = 64) -> str:
    """Text typed by an unknown caller (a username at a failed login), made safe to record."""
    text = _CONTROL.sub("?", value.strip())[:max_length]
    return "[withheld: looks like a card number]" if contains_pan(text) else text
