"""Card numbers (PANs) and magnetic-stripe track data in any text: the one detector.

The input guard, the audit-details check, log redaction and the CLI all use this module,
so every layer agrees on what card data looks like (IS-SENS-MASK, IS-SENS-TRACK).

How text is read
    The text is normalised first, as a store or a reader would see it: NFKC (full-width
    and other compatibility digits become ASCII), any other script's decimal digits become
    ASCII, and invisible format characters (zero-width spaces and joiners, soft hyphens,
    direction marks, word joiners, BOMs) are removed. Between digit groups, any run of up
    to three characters that are neither ASCII letters nor digits is a separator: spaces,
    double spaces, tabs, newlines, dots, slashes, underscores, commas, colons, unicode
    dashes (whitespace runs count as one space, as a schema collapsing whitespace would
    store them). A digit group glued to letters (``ref4111…``, ``…1111x``) still counts.

What counts
    A *card number* is any 13-19 digit window of such a digit run that has a card
    scheme's issuer prefix and length (:data:`BRANDS`) and passes the Luhn check; windows
    inside longer runs are tried too, so a number hidden in a longer digit string, or
    followed by an expiry date, is found. *Track data* is a Luhn-valid 12-19 digit number
    followed by a track-2 separator (``=`` or ``D``) and seven digits, or by a track-1
    ``^NAME^YYMM`` (with or without sentinels, format code or a prefix).

What does not count (values with a structure of their own, checked first)
    Canonical UUIDs, hex digests and tokens (32 or more hex characters, at least one a
    letter, standing alone), ISO 8601 dates and timestamps, IBANs whose country length and
    mod-97 check digits are right, UK phone numbers written with ``+44``/``0044`` (and an
    optional ``(0)``), USPS tracking numbers whose check digit is right, DHL Parcel UK
    numbers (``JD`` and 18 digits), marketplace order ids (``123-1234567-1234567``) and a
    dashed sort code followed by an account number. Each such span is set aside before
    the digit runs are read. A deliberately crafted value of one of these shapes could
    carry a card number; the guard is for card data sent by mistake, and these shapes are
    where legitimate long digit runs come from (``bench/bench_guard_false_refusals.py``
    measures the false refusals that remain: 0.045 % over 42,000 values).

Speed
    Text with fewer than 12 digits is answered by one counting pass, text without a run of
    12 digits by one compiled pattern; otherwise the values set aside are blanked, one
    compiled pattern finds the candidate runs, and only windows starting with an issuer
    digit (2-6) are checked against the brands (cached per six-digit prefix) and Luhn.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final, Literal

PAN_MIN_DIGITS: Final = 13
PAN_MAX_DIGITS: Final = 19
TRACK_MIN_DIGITS: Final = 12
MASK_PREFIX: Final = "•••• "
TRACK_MASK: Final = "[track data withheld]"

Kind = Literal["pan", "track"]


@dataclass(frozen=True, slots=True)
class Brand:
    """A card scheme: its issuer-number ranges and allowed lengths."""

    name: str
    ranges: tuple[tuple[int, int], ...]  # inclusive prefix ranges; both ends have equal width
    lengths: frozenset[int]

    def matches(self, digits: str) -> bool:
        """True when ``digits`` has one of this brand's prefixes and lengths."""
        return len(digits) in self.lengths and self.has_prefix(digits)

    def has_prefix(self, digits: str) -> bool:
        """True when ``digits`` starts with one of this brand's issuer prefixes."""
        for low, high in self.ranges:
            width = len(str(low))
            if len(digits) >= width and low <= int(digits[:width]) <= high:
                return True
        return False


def _load_brands() -> tuple[tuple[Brand, ...], frozenset[str]]:
    """The issuer-range table and the published test numbers, kept as data beside this module."""
    data = tomllib.loads(resources.files(__package__).joinpath("card_brands.toml").read_text())
    brands = tuple(
        Brand(
            str(item["name"]),
            tuple((int(low), int(high)) for low, high in item["ranges"]),
            frozenset(int(n) for n in item["lengths"]),
        )
        for item in data["brand"]
    )
    return brands, frozenset(str(n) for n in data["test_numbers"]["numbers"])


_TABLE: Final = _load_brands()
#: Checked in order: the narrower ranges before the wider ones that contain them.
BRANDS: Final[tuple[Brand, ...]] = _TABLE[0]
#: Card numbers published for testing (reported as test cards, not live card data).
TEST_NUMBERS: Final[frozenset[str]] = _TABLE[1]
BRAND_NAMES: Final = frozenset(b.name for b in BRANDS)
_ISSUER_DIGITS: Final = frozenset("23456")


def card_brand(digits: str) -> str | None:
    """The brand of ``digits`` (ASCII digits, 13-19 of them) when it is a card number:
    a scheme's prefix and length, and the Luhn check. ``None`` when it is not."""
    brand = brand_of(digits)
    return brand if brand is not None and luhn_valid(digits) else None


def is_test_number(digits: str) -> bool:
    """True when ``digits`` is a card number published for testing."""
    return digits in TEST_NUMBERS


def brand_of(digits: str) -> str | None:
    """The brand whose ranges and lengths fit ``digits`` (ASCII digits), if any."""
    for brand in BRANDS:
        if brand.matches(digits):
            return brand.name
    return None


@lru_cache(maxsize=8192)
def _lengths_for(prefix: str) -> tuple[int, ...]:
    """The card lengths some brand allows after this (up to six-digit) issuer prefix."""
    lengths: set[int] = set()
    for brand in BRANDS:
        if brand.has_prefix(prefix):
            lengths |= brand.lengths
    return tuple(sorted(lengths))


_DOUBLED: Final = {str(d): (2 * d - 9 if d > 4 else 2 * d) for d in range(10)}  # noqa: PLR2004 - Luhn


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only) passes the Luhn check."""
    odd = sum(map(int, digits[-1::-2]))
    even = sum(map(_DOUBLED.__getitem__, digits[-2::-2]))
    return (odd + even) % 10 == 0


def mask(last4: str) -> str:
    """``•••• 1234``: the most of a card number any display, log or response shows."""
    if not (len(last4) == 4 and last4.isascii() and last4.isdigit()):  # noqa: PLR2004 - four digits
        msg = "mask() takes exactly the last four digits"
        raise ValueError(msg)
    return MASK_PREFIX + last4


# --- normalisation -------------------------------------------------------------------------

# Invisible format characters a reader does not see between digits.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def normalise(text: str) -> str:
    """``text`` as the detector reads it (ASCII text passes as is; see the module docstring)."""
    if text.isascii():
        return text
    value = unicodedata.normalize("NFKC", text)
    value = _INVISIBLE.sub("", value)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), value)


def digit_count(text: str) -> int:
    """How many ASCII digits ``text`` holds (one C-level pass per digit)."""
    return sum(map(text.count, "0123456789"))


# --- values with a structure of their own -------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Hex digests and tokens: 32+ hex characters holding at least one letter, standing alone.
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]{0,31}[a-fA-F])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
_ISO_TIME = re.compile(
    r"(?<![0-9])(?:1[89]|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?(?![0-9])"
)
_UK_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+|00)44[ .-]{0,2}(?:\(0\)[ .-]{0,2})?"
    r"\(?[1-9](?:[0-9][ .)-]{0,2}){8}[0-9](?![ .-]{0,3}[0-9])"
)
_IBAN_START = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{2})[0-9]{2}")
_IBAN_TABLE: Final = (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 "
    "EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IS26 "
    "IT27 JO30 KW30 KZ20 LB28 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 "
    "NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SE24 SI19 SK24 SM27 TN24 TR26 UA29 VG24 XK20"
)
#: Each IBAN country's length (ISO 13616 registry).
IBAN_LENGTHS: Final[dict[str, int]] = {item[:2]: int(item[2:]) for item in _IBAN_TABLE.split()}


@lru_cache(maxsize=64)
def _iban_rest(count: int) -> re.Pattern[str]:
    """``count`` letters or digits, optionally grouped by single spaces, then a boundary."""
    return re.compile(rf" ?(?:[0-9A-Za-z] ?){{{count - 1}}}[0-9A-Za-z](?![0-9A-Za-z])")


def iban_valid(text: str) -> bool:
    """True when ``text`` (spaces allowed) is an IBAN of its country's length whose check
    digits are right (mod 97)."""
    value = text.replace(" ", "").upper()
    if IBAN_LENGTHS.get(value[:2]) != len(value) or not value.isalnum() or not value.isascii():
        return False
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# Parcel, order and bank numbers with a fixed shape (see bench/bench_guard_false_refusals.py).
_USPS = re.compile(r"(?<![0-9A-Za-z])9[2-5](?:[0-9] ?){17,31}[0-9](?![0-9A-Za-z])")
_USPS_LENGTHS: Final = frozenset({20, 22, 26, 30, 34})
_SHAPES = re.compile(
    r"(?<![0-9A-Za-z])J{1,2}D[0-9]{18,19}(?![0-9A-Za-z])"  # DHL Parcel UK
    r"|(?<![0-9A-Za-z-])[0-9]{3}-[0-9]{7}-[0-9]{7}(?![0-9A-Za-z-])"  # marketplace order ids
    r"|(?<![0-9A-Za-z-])[0-9]{2}-[0-9]{2}-[0-9]{2}[ /]{1,3}[0-9]{8}(?![0-9A-Za-z])",  # sort code
    re.IGNORECASE,
)


def usps_valid(text: str) -> bool:
    """True when ``text`` (spaces allowed) is a USPS tracking number with a right check digit."""
    value = text.replace(" ", "")
    if len(value) not in _USPS_LENGTHS or not value.isdigit():
        return False
    body = value[:-1]
    total = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    return (10 - total % 10) % 10 == int(value[-1])


# The fixed shapes in one pass (one compiled alternation, leftmost match wins).
_ASIDE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_UUID, _HEX_TOKEN, _ISO_TIME, _UK_PHONE, _SHAPES)),
    re.IGNORECASE,
)


def _set_aside(text: str) -> str:
    """``text`` with the values of a structure of their own blanked out (same length)."""
    spans = [m.span() for m in _ASIDE.finditer(text)]
    if "9" in text:
        spans += (m.span() for m in _USPS.finditer(text) if usps_valid(m.group()))
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group(1).upper())
        if length is None:
            continue
        rest = _iban_rest(length - 4).match(text, match.end())
        if rest is not None and iban_valid(text[match.start() : rest.end()]):
            spans.append((match.start(), rest.end()))
    if not spans:
        return text
    parts: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        start = max(start, cursor)  # noqa: PLW2901 - clipped to what is not blanked yet
        if end <= start:
            continue
        parts += (text[cursor:start], "x" * (end - start))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def inside_structured_value(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` lies in a value with a structure of its own (a UUID, hex
    token, ISO timestamp, +44 phone number, IBAN, parcel, order or bank number): the values
    the guard sets aside, for a scanner that found a candidate inside ``text``."""
    blanked = _set_aside(text)
    return blanked[start:end] == "x" * (end - start) != text[start:end]


# --- finding --------------------------------------------------------------------------------

_SEP = r"[^0-9A-Za-z]{0,3}+"
# A digit run: at least 13 digits, consecutive digits at most three separator characters apart.
_RUN = re.compile(rf"[0-9](?:{_SEP}[0-9]){{{PAN_MIN_DIGITS - 1},}}")
# The cheap test first: is there a run of at least 12 digits (the shortest track-data number)?
_CANDIDATE = re.compile(rf"[0-9](?:{_SEP}[0-9]){{{TRACK_MIN_DIGITS - 1}}}")
_DIGIT = re.compile(r"[0-9]")
_NON_DIGIT = re.compile(r"[^0-9]+")
# Track data: a 12-19 digit number (separators allowed) and a track-1 or track-2 tail.
_TRACK = re.compile(
    r"(?P<pan>[0-9](?:[^0-9A-Za-z^=]{0,3}[0-9]){11,18})"
    r"(?:[^0-9A-Za-z^=]{0,3}\^[^^\r\n]{1,26}\^[0-9]{4}|[^0-9A-Za-z=]{0,3}[=Dd][0-9]{7})"
    r"[^?\s]{0,80}\??"  # the discretionary data up to the end sentinel
)


@dataclass(frozen=True, slots=True)
class CardHit:
    """One card number or piece of track data: its span in the normalised text, last four."""

    kind: Kind
    start: int
    end: int
    last4: str

    def __repr__(self) -> str:
        return f"CardHit({self.kind}, {self.start}:{self.end}, {mask(self.last4)})"


def pan_windows(digits: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` window of a digit string that is a card number (brand + Luhn)."""
    found = []
    size = len(digits)
    for start in range(size - PAN_MIN_DIGITS + 1):
        if digits[start] not in _ISSUER_DIGITS:
            continue
        for length in _lengths_for(digits[start : start + 6]):
            end = start + length
            if end <= size and luhn_valid(digits[start:end]):
                found.append((start, end))
    return found


def _track_hits(text: str) -> list[CardHit]:
    hits = []
    for match in _TRACK.finditer(text):
        digits = _NON_DIGIT.sub("", match.group("pan"))
        for cut in range(len(digits) - TRACK_MIN_DIGITS + 1):
            if luhn_valid(digits[cut:]):
                hits.append(CardHit("track", match.start(), match.end(), digits[-4:]))
                break
    return hits


def _pan_hits(text: str) -> list[CardHit]:
    hits: list[CardHit] = []
    for run in _RUN.finditer(text):
        digits = _NON_DIGIT.sub("", run.group())
        windows = pan_windows(digits)
        if not windows:
            continue
        where = [m.start() + run.start() for m in _DIGIT.finditer(run.group())]
        hits += (CardHit("pan", where[s], where[e - 1] + 1, digits[e - 4 : e]) for s, e in windows)
    return hits


def find(text: str) -> tuple[str, list[CardHit]]:
    """The normalised text and every card hit in it (track data first); fast when none.

    Whitespace runs are read as one space, so a value is checked in the form a schema that
    trims and collapses whitespace would store, as well as the form it arrived in.
    """
    value = normalise(text)
    if digit_count(value) < TRACK_MIN_DIGITS:
        return value, []
    value = " ".join(value.split())
    if _CANDIDATE.search(value) is None:
        return value, []
    scanned = _set_aside(value)
    hits = _track_hits(scanned)
    if _RUN.search(scanned) is not None:
        hits += _pan_hits(scanned)
    return value, hits


def card_data_in(text: str) -> Kind | None:
    """``"track"`` for track data, ``"pan"`` for a card number, ``None`` for neither."""
    _, hits = find(text)
    if not hits:
        return None
    return "track" if any(h.kind == "track" for h in hits) else "pan"


#: a card security code written after its name in text ("cvv 123", "CVC2: 1234"): only the
#: names nothing else is called, so "security code 1234" in a sentence is left alone
_CODE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:cvv2?|cvc2?)[ \t]{0,3}[:=]?[ \t]{0,3}[0-9]{3,4}(?![0-9])", re.IGNORECASE
)


def card_code_in(text: str) -> bool:
    """True when ``text`` holds a card security code written after its name."""
    return _CODE_IN_TEXT.search(text) is not None


def contains_card_data(text: str) -> bool:
    """True when ``text`` holds a card number or track data in any spelling."""
    return card_data_in(text) is not None


def never_echoed(text: str) -> bool:
    """True when ``text`` must not be shown back (a form filled in again): a card number,
    track data or a security code after its name."""
    return contains_card_data(text) or card_code_in(text)


def redact(text: str) -> str:
    """``text`` unchanged when clean; else normalised, each card number masked to its last four
    digits (``•••• 1234``) and each piece of track data withheld."""
    value, hits = find(text)
    if not hits:
        return text
    hits.sort(key=lambda h: (h.start, -h.end))
    parts: list[str] = []
    cursor = 0
    for hit in hits:
        if hit.start < cursor:
            cursor = max(cursor, hit.end)  # overlapping windows: one replacement covers them
            continue
        parts += (value[cursor : hit.start], TRACK_MASK if hit.kind == "track" else mask(hit.last4))
        cursor = hit.end
    parts.append(value[cursor:])
    return "".join(parts)
