"""Free text typed by staff into a record (an incident, a media item, a disposal): trimmed
plain text with limits, no control character and no card number (the platform's one
detector), each refusal naming the field. One checker for every capability that keeps
what people type."""

from __future__ import annotations

import re

from klaremont.detectors.cards import card_code_in, contains_card_data
from klaremont.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF, CR kept


def has_control_character(text: str) -> bool:
    """A control character other than tab and line breaks, or a lone surrogate."""
    return _CONTROL.search(text) is not None


def plain(field: str, value: str | None, *, max_length: int, min_length: int = 1) -> str:
    """``value`` trimmed, or :class:`ValidationFailed` naming ``field`` and the rule."""
    text = (value or "").strip().replace("\r\n", "\n")
    if len(text) < min_length:
        rule = (
            "must be filled in" if min_length == 1 else f"must be at least {min_length} characters"
        )
        raise ValidationFailed.single(field, rule)
    if len(text) > max_length:
        raise ValidationFailed.single(field, f"must be at most {max_length} characters")
    if has_control_character(text):
        raise ValidationFailed.single(field, "must not contain control characters")
    if contains_card_data(text):
        raise ValidationFailed.single(field, "must not contain a card number")
    if card_code_in(text):
        raise ValidationFailed.single(field, "must not contain a card security code")
    return text


def optional(field: str, value: str | None, *, max_length: int) -> str | None:
    """Like :func:`plain`, but nothing typed is ``None``."""
    if value is None or not value.strip():
        return None
    return plain(field, value, max_length=max_length)
