"""Card numbers: validation for the tokenise endpoint, masking, and finding card data in text.

Finding card data is :mod:`klaremont.detectors.cards` (one detector for the guard, the audit
log, the logs and the CLI); its names are re-exported here for the code that imports them
from this module. Nothing here stores, logs or returns a full card number: validation
returns the brand and last four digits, finders answer yes or no, and :func:`mask` shows
``•••• 1234`` at most (IS-SENS-MASK).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from klaremont.detectors.cards import (
    BRAND_NAMES,
    BRANDS,
    MASK_PREFIX,
    PAN_MAX_DIGITS,
    PAN_MIN_DIGITS,
    TRACK_MIN_DIGITS,
    Brand,
    brand_of,
    card_data_in,
    digit_count,
    find,
    luhn_valid,
    mask,
)
from klaremont.detectors.cards import normalise as normalised
from klaremont.errors import ValidationFailed

__all__ = [
    "BRANDS",
    "BRAND_NAMES",
    "MASK_PREFIX",
    "TRACK_MIN_DIGITS",
    "Brand",
    "CheckedPan",
    "brand_of",
    "card_data_in",
    "check_pan",
    "digit_count",
    "has_pan",
    "has_track_data",
    "luhn_complete",
    "mask",
    "mask_pan",
    "normalised",
]

_SEPARATORS = re.compile(r"[ -]")
_PAN_INPUT = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, slots=True)
class CheckedPan:
    """A card number that passed validation: its digits (kept in memory only), brand, last four."""

    digits: str
    brand: str

    @property
    def last4(self) -> str:
        """The last four digits: all that may be stored or shown."""
        return self.digits[-4:]

    def __repr__(self) -> str:
        return f"CheckedPan({self.brand}, {mask(self.last4)})"


def check_pan(text: str, field: str = "pan") -> CheckedPan:
    """Validate a card number typed with optional spaces or dashes; a 422 names the rule only."""
    value = unicodedata.normalize("NFKC", text).strip()
    if not _PAN_INPUT.fullmatch(value):
        raise ValidationFailed.single(field, "must be a card number: digits, spaces or dashes")
    digits = _SEPARATORS.sub("", value)
    if not PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS:
        raise ValidationFailed.single(
            field, f"must have {PAN_MIN_DIGITS} to {PAN_MAX_DIGITS} digits"
        )
    if not luhn_valid(digits):
        raise ValidationFailed.single(field, "is not a valid card number (Luhn check failed)")
    brand = brand_of(digits)
    if brand is None:
        raise ValidationFailed.single(field, "is not a card brand we accept")
    return CheckedPan(digits, brand)


def luhn_complete(partial: str) -> str:
    """``partial`` with the check digit that makes it Luhn-valid appended (test and demo cards)."""
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return partial + digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def mask_pan(text: str) -> str:
    """Mask any typed card number down to its last four digits."""
    digits = "".join(_DIGIT.findall(normalised(text)))
    if len(digits) < 4:  # noqa: PLR2004 - four digits
        return MASK_PREFIX.strip()
    return mask(digits[-4:])


def has_pan(text: str) -> bool:
    """True when ``text`` holds a card number in any spelling (alone or inside track data)."""
    return bool(find(text)[1])


def has_track_data(text: str) -> bool:
    """True when ``text`` holds magnetic-stripe track 1 or track 2 data."""
    return card_data_in(text) == "track"
