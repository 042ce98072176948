"""Card numbers: Luhn, brand ranges, masking, and finding card data inside any text.

Nothing here stores, logs or returns a full card number: validation returns the brand and
last four digits, finders answer yes or no, and :func:`mask` shows ``•••• 1234`` at most
(IS-SENS-MASK).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from klaremont.audit.redaction import PAN_MAX_DIGITS, PAN_MIN_DIGITS, contains_pan, luhn_valid
from klaremont.errors import ValidationFailed

MASK_PREFIX: Final = "•••• "
TRACK_MIN_DIGITS: Final = 12


@dataclass(frozen=True, slots=True)
class Brand:
    """A card scheme: its issuer-number ranges and allowed lengths."""

    name: str
    ranges: tuple[tuple[int, int], ...]  # inclusive prefix ranges; both ends have equal width
    lengths: frozenset[int]

    def matches(self, digits: str) -> bool:
        """True when ``digits`` has one of this brand's prefixes and lengths."""
        if len(digits) not in self.lengths:
            return False
        for low, high in self.ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return True
        return False


_16_19 = frozenset(range(16, 20))
#: Checked in order: the narrower ranges before the wider ones that contain them.
BRANDS: Final[tuple[Brand, ...]] = (
    Brand("amex", ((34, 34), (37, 37)), frozenset({15})),
    Brand("visa", ((4, 4),), frozenset({13, 16, 19})),
    Brand("mastercard", ((51, 55), (2221, 2720)), frozenset({16})),
    Brand("discover", ((6011, 6011), (644, 649), (65, 65), (622126, 622925)), _16_19),
    Brand("jcb", ((3528, 3589),), _16_19),
    Brand("diners", ((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),
    Brand(
        "maestro",
        (
            (5018, 5018),
            (5020, 5020),
            (5038, 5038),
            (5893, 5893),
            (6304, 6304),
            (6759, 6759),
            (6761, 6763),
        ),
        frozenset(range(13, 20)),
    ),
    Brand("unionpay", ((62, 62),), _16_19),
)
BRAND_NAMES: Final = frozenset(b.name for b in BRANDS)

_SEPARATORS = re.compile(r"[ -]")
_PAN_INPUT = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
# A maximal run of digit groups: not glued to letters or digits, not starting mid-run.
_RUN = re.compile(r"(?<![0-9A-Za-z])(?<![0-9][ -])(?>[0-9]+(?:[ -][0-9]+)*)(?![0-9A-Za-z])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGIT = re.compile(r"[0-9]")
# Magnetic-stripe track 1 (%B<PAN>^NAME^YYMM...) and track 2 (;<PAN>=YYMM...), with or
# without their sentinels; "D" is the separator of the chip's track-2 equivalent data.
# The PAN group of each form must pass the Luhn check: a random hex token (an anti-forgery
# token, a digest) can hold "<12+ digits>d<7 digits>" by chance and must not be refused.
_TRACK = re.compile(
    r"%[Bb](?P<t1>[0-9]{12,19})\^"
    r"|(?<![0-9A-Za-z])[Bb](?P<t1b>[0-9]{12,19})\^[^^]{2,26}\^[0-9]{4}"
    r"|;(?P<t2>[0-9]{12,19})="
    r"|(?<![0-9])(?P<t2b>[0-9]{12,19})[=Dd][0-9]{7}"
)


def _track_in(value: str) -> bool:
    """True when ``value`` holds track data whose card number passes the Luhn check."""
    for match in _TRACK.finditer(value):
        pan = next(group for group in match.groups() if group is not None)
        if luhn_valid(pan):
            return True
    return False


def brand_of(digits: str) -> str | None:
    """The brand whose ranges and lengths fit ``digits`` (ASCII digits), if any."""
    for brand in BRANDS:
        if brand.matches(digits):
            return brand.name
    return None


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


def mask(last4: str) -> str:
    """``•••• 1234``: the most of a card number any display or response shows."""
    if not (len(last4) == 4 and last4.isascii() and last4.isdigit()):  # noqa: PLR2004 - four digits
        msg = "mask() takes exactly the last four digits"
        raise ValueError(msg)
    return MASK_PREFIX + last4


def mask_pan(text: str) -> str:
    """Mask any typed card number down to its last four digits."""
    digits = "".join(_DIGIT.findall(unicodedata.normalize("NFKC", text)))
    if len(digits) < 4:  # noqa: PLR2004 - four digits
        return MASK_PREFIX.strip()
    return mask(digits[-4:])


def normalised(text: str) -> str:
    """``text`` in NFKC form (full-width and other digits become ASCII); ASCII passes as is."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def digit_count(text: str) -> int:
    """How many ASCII digits ``text`` holds (fast: one C-level scan per digit)."""
    return sum(map(text.count, "0123456789"))


def has_pan(text: str) -> bool:
    """True when ``text`` holds a Luhn-valid 13-19 digit card number, plain, spaced or dashed.

    UUIDs are skipped, and a digit run glued to letters or digits is not a card number (so
    hex digests, base64 tokens and identifiers are not mistaken for one).
    """
    return card_data_in(text) is not None and _pan_in(normalised(text))


def has_track_data(text: str) -> bool:
    """True when ``text`` holds magnetic-stripe track 1 or track 2 data."""
    return card_data_in(text) == "track"


def card_data_in(text: str) -> str | None:
    """``"track"`` for track data, ``"pan"`` for a card number, ``None`` for neither."""
    value = normalised(text)
    count = digit_count(value)
    if count < TRACK_MIN_DIGITS:
        return None
    if _track_in(value):
        return "track"
    if count >= PAN_MIN_DIGITS and _pan_in(value):
        return "pan"
    return None


def _pan_in(value: str) -> bool:
    value = _UUID.sub(" ", value)
    return any(contains_pan(run.group()) for run in _RUN.finditer(value))
