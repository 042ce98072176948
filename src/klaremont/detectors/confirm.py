"""Confirming a candidate: is what the matcher found really a finding, and where it starts.

Each function takes the buffer and a candidate's span (its start, or -1 when the matcher
reports ends only) and returns a :class:`Hit` with a masked sample, or ``None``. A card
number is confirmed by the one card detector (:mod:`klaremont.detectors.cards`): a scheme's
prefix and length, Luhn, and not inside a value with a structure of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from klaremont.detectors.cards import (
    PAN_MAX_DIGITS,
    PAN_MIN_DIGITS,
    TRACK_MIN_DIGITS,
    card_brand,
    inside_structured_value,
    is_test_number,
    luhn_valid,
)
from klaremont.detectors.kinds import Kind, masked


@dataclass(frozen=True, slots=True)
class Hit:
    """One confirmed finding in a buffer: its kind, byte span and masked sample."""

    kind: Kind
    start: int
    end: int
    sample: str
    brand: str | None = None


Buffer = bytes | bytearray
Confirm = Callable[[Buffer, int, int], "Hit | None"]


def _trim(buf: Buffer, start: int, end: int, keep: bytes = b"") -> tuple[int, int]:
    """The span without the boundary characters the pattern consumed."""
    if start < end and not (chr(buf[start]).isalnum() or buf[start : start + 1] in keep):
        start += 1
    if end > start and not (chr(buf[end - 1]).isalnum() or buf[end - 1 : end] in keep):
        end -= 1
    return start, end


def _context(buf: Buffer, start: int, end: int) -> tuple[str, int, int]:
    """Up to 80 bytes either side of a span, decoded, with the span's place in it."""
    left = max(0, start - 80)
    text = buf[left : end + 80].decode("latin-1")
    return text, start - left, end - left


# --- card data ----------------------------------------------------------------------------


_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_HEX_TOKEN_LENGTH: Final = 32


def _inside_hex(buf: Buffer, start: int, end: int) -> bool:
    """True when the digits lie in a run of 32 or more hex characters holding a letter (a
    digest, token or UUID without dashes): in a database file's raw bytes such runs touch
    other values, and a stretch of their digits can pass the Luhn check by chance."""
    left, right = start, end
    while left > max(0, start - 128) and buf[left - 1] in _HEX:
        left -= 1
    while right < min(len(buf), end + 128) and buf[right] in _HEX:
        right += 1
    if right - left < _HEX_TOKEN_LENGTH:
        return False
    return any(byte not in _DIGIT_BYTES for byte in buf[left:right])


_DIGIT_BYTES: Final = frozenset(b"0123456789")
_DIGITS_SPAN = re.compile(rb"[0-9](?:.*[0-9])?", re.DOTALL)


def card(buf: Buffer, start: int, end: int) -> Hit | None:
    span = _DIGITS_SPAN.search(buf, start, end)
    if span is None:  # pragma: no cover - every card pattern holds digits
        return None
    start, end = span.span()
    digits = re.sub(rb"[^0-9]", b"", span.group()).decode()
    if not PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS:
        return None
    brand = card_brand(digits)
    if brand is None or _inside_hex(buf, start, end):
        return None
    text, s, e = _context(buf, start, end)
    if inside_structured_value(text, s, e):
        return None
    kind = Kind.TEST_CARD if is_test_number(digits) else Kind.CARD
    return Hit(kind, start, end, masked(kind, digits), brand)


_TRACK_PAN = re.compile(rb"[0-9]{12,19}")


_TRACK_TAIL = re.compile(rb"[^\s?^]{0,80}\??")


def track(buf: Buffer, start: int, end: int) -> Hit | None:
    """Track data, its span running on to the end sentinel (or a space): the service code
    and discretionary data are part of it, never a card number of their own."""
    start, end = _trim(buf, start, end, keep=b"?")
    tail = _TRACK_TAIL.match(buf, end)
    if tail is not None:
        end = tail.end()
    pan = _TRACK_PAN.search(buf, start, end)
    if pan is None:  # pragma: no cover - the pattern holds 12-19 digits
        return None
    digits = pan.group().decode()
    if not (len(digits) >= TRACK_MIN_DIGITS and luhn_valid(digits)):
        return None
    return Hit(Kind.TRACK, start, end, masked(Kind.TRACK, digits), card_brand(digits))


_KEY_VALUE = re.compile(rb"""(?P<key>[A-Za-z][A-Za-z0-9 ._-]*?)["']?[ \t]{0,3}[:=]""")
#: a card code written after its name without ``:`` or ``=`` ("cvv 123")
_KEY_SPACE = re.compile(rb"(?P<key>cvv2?|cvc2?)[ \t]", re.IGNORECASE)
_MASKED_VALUE = re.compile(
    rb"""^(?:(?:[*x#.\-_]|\xe2\x80\xa2)+|\[?redacted\]?|<redacted>|\*+redacted\*+|none|null|nil|true|false|"""
    rb"""undefined|changeme|%s|\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Z_]+|<[a-z_-]+>)$""",
    re.IGNORECASE,
)


def _key_of(buf: Buffer, start: int, end: int) -> str:
    match = _KEY_VALUE.match(buf, start, end) or _KEY_SPACE.match(buf, start, end)
    return match.group("key").decode("latin-1").strip().lower() if match else "value"


def card_code(buf: Buffer, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    return Hit(Kind.CARD_CODE, start, end, masked(Kind.CARD_CODE, "", key=_key_of(buf, start, end)))


_SECRET_VALUE = re.compile(rb"""[:=][ \t]{0,3}["']?(?P<value>[^ \t\r\n"'&,;]+)""")


def secret(buf: Buffer, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    value = _SECRET_VALUE.search(buf, start, end + 1)
    if value is None or _MASKED_VALUE.match(value.group("value")):
        return None
    key = _key_of(buf, start, end)
    return Hit(Kind.SECRET, start, end, masked(Kind.SECRET, "", key=key))


# --- personal data ------------------------------------------------------------------------


def simple(kind: Kind, keep: bytes = b"") -> Confirm:
    def confirm(buf: Buffer, start: int, end: int) -> Hit | None:
        start, end = _trim(buf, start, end, keep)
        return Hit(kind, start, end, masked(kind, buf[start:end].decode("latin-1")))

    return confirm


_LOCAL_PART: Final = frozenset(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._%+-"
)


def email(buf: Buffer, start: int, end: int) -> Hit | None:
    at = buf.rfind(b"@", max(0, end - 280), end)
    start = at  # the start comes from the @ (the candidate pattern reports ends only)
    while start > max(0, at - 64) and buf[start - 1] in _LOCAL_PART:
        start -= 1
    if buf[end - 1 : end] not in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        end -= 1  # the boundary character after the address
    if buf[end - 1 : end] == b".":
        end -= 1  # a sentence's full stop
    value = buf[start:end].decode("latin-1").lstrip("._%+-")
    return Hit(Kind.EMAIL, end - len(value), end, masked(Kind.EMAIL, value))


_NI_BAD_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def ni_number(buf: Buffer, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    value = buf[start:end].decode("latin-1")
    if value[:2].upper() in _NI_BAD_PREFIXES:
        return None
    return Hit(Kind.NI_NUMBER, start, end, masked(Kind.NI_NUMBER, value))


_DATE = re.compile(
    rb"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})|(?P<d2>[0-9]{2})[/.-](?P<m2>[0-9]{2})[/.-](?P<y2>[0-9]{4})"
)


_THIS_YEAR: Final = datetime.now(UTC).year
_FIRST_BIRTH_YEAR: Final = 1900


def birth_date(buf: Buffer, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    found = _DATE.search(buf, start, end)
    if found is None:  # pragma: no cover - the pattern ends in a date
        return None
    y, m, d = found.group("y", "m", "d") if found.group("y") else found.group("y2", "m2", "d2")
    try:
        born = date(int(y), int(m), int(d))
    except ValueError:
        return None
    if not _FIRST_BIRTH_YEAR <= born.year <= _THIS_YEAR:
        return None
    return Hit(Kind.BIRTH_DATE, start, end, masked(Kind.BIRTH_DATE, ""))


# --- the pattern table --------------------------------------------------------------------


PRODUCES: Final[dict[Confirm, frozenset[Kind]]] = {
    card: frozenset({Kind.CARD, Kind.TEST_CARD}),
    track: frozenset({Kind.TRACK}),
    card_code: frozenset({Kind.CARD_CODE}),
    secret: frozenset({Kind.SECRET}),
    birth_date: frozenset({Kind.BIRTH_DATE}),
    ni_number: frozenset({Kind.NI_NUMBER}),
}
