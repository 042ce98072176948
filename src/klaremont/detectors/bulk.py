"""Finding card data, secrets and personal data in bulk: bytes at disk speed.

Two stages. Hyperscan (Intel's SIMD multi-pattern matcher, through its maintained Python
binding) runs every candidate pattern over a buffer in one pass and reports where each
candidate starts and ends; it decides nothing. Each candidate is then *confirmed* in
Python by the same rules the rest of the platform uses: a card number is one the one card
detector (:mod:`klaremont.detectors.cards`) accepts -- a scheme's prefix and length from
the issuer table, the Luhn check, and not inside a value with a structure of its own (a
UUID, a timestamp, an IBAN ...). Track data needs a Luhn-valid number; a card code, a
3-4 digit value under a cvv/cvc/csc-like key; a secret, a value under a password- or
key-like name that is not already masked.

Candidates are bounded by characters that cannot continue them (a card number is not a
window of a longer digit or hex run), which is what keeps UUIDs, hex digests and long ids
quiet. Card numbers are found plain (13-19 digits) and grouped by spaces or dashes the way
people and systems write them (4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4, 4-4-5, 4-4-4-1).

A :class:`Hit` is the kind, the byte span and a masked sample; the value itself is never
kept. Buffers should end with a line break (the scanner's readers see to it): a candidate
at the very end of a buffer is closed by the character after it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from typing import Final

import hyperscan

from klaremont.detectors.cards import (
    PAN_MAX_DIGITS,
    PAN_MIN_DIGITS,
    TRACK_MIN_DIGITS,
    card_brand,
    inside_structured_value,
    is_test_number,
    luhn_valid,
)
from klaremont.detectors.kinds import Group, Kind, Severity, masked

# Boundaries: a candidate starts at the buffer's start or after a character that cannot
# continue it, and ends before one (consumed, then trimmed by the confirmation).
_NOT_ALNUM = rb"[^0-9A-Za-z]"
_START = rb"(?:^|[^0-9A-Za-z])"
_SEP = rb"[ -]"
# A grouped number ends where no further group follows: not at a separator before a digit.
_GROUPED_END = rb"(?:[^0-9A-Za-z -]|[ -][^0-9])"


@dataclass(frozen=True, slots=True)
class Hit:
    """One confirmed finding in a buffer: its kind, byte span and masked sample."""

    kind: Kind
    start: int
    end: int
    sample: str
    brand: str | None = None


Confirm = Callable[[bytes, int, int], "Hit | None"]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A candidate pattern: its family, regex, confirmation and how far back a match reaches.

    ``kind`` is set for a pattern whose every match is a finding (the confirmation only
    trims it): those are counted without being confirmed, and confirmed only for the first
    few a report shows.
    """

    group: Group
    regex: bytes
    confirm: Confirm
    window: int
    caseless: bool = False
    kind: Kind | None = None

    @property
    def produces(self) -> frozenset[Kind]:
        """The kinds of finding this pattern's matches can be."""
        return _PRODUCES.get(self.confirm, frozenset({self.kind} if self.kind else ()))

    @property
    def ending(self) -> re.Pattern[bytes]:
        """The pattern anchored at the end of a match, to find where a match starts."""
        return _ending(self.regex, self.caseless)


@cache
def _ending(regex: bytes, caseless: bool) -> re.Pattern[bytes]:
    return re.compile(b"(?:" + regex + rb")\Z", re.IGNORECASE if caseless else 0)


def _trim(buf: bytes, start: int, end: int, keep: bytes = b"") -> tuple[int, int]:
    """The span without the boundary characters the pattern consumed."""
    if start < end and not (chr(buf[start]).isalnum() or buf[start : start + 1] in keep):
        start += 1
    if end > start and not (chr(buf[end - 1]).isalnum() or buf[end - 1 : end] in keep):
        end -= 1
    return start, end


def _context(buf: bytes, start: int, end: int) -> tuple[str, int, int]:
    """Up to 80 bytes either side of a span, decoded, with the span's place in it."""
    left = max(0, start - 80)
    text = buf[left : end + 80].decode("latin-1")
    return text, start - left, end - left


# --- card data ----------------------------------------------------------------------------


_DIGITS_SPAN = re.compile(rb"[0-9](?:.*[0-9])?", re.DOTALL)


def _card(buf: bytes, start: int, end: int) -> Hit | None:
    span = _DIGITS_SPAN.search(buf, start, end)
    if span is None:  # pragma: no cover - every card pattern holds digits
        return None
    start, end = span.span()
    digits = re.sub(rb"[^0-9]", b"", span.group()).decode()
    if not PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS:
        return None
    brand = card_brand(digits)
    if brand is None:
        return None
    text, s, e = _context(buf, start, end)
    if inside_structured_value(text, s, e):
        return None
    kind = Kind.TEST_CARD if is_test_number(digits) else Kind.CARD
    return Hit(kind, start, end, masked(kind, digits), brand)


_TRACK_PAN = re.compile(rb"[0-9]{12,19}")


def _track(buf: bytes, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end, keep=b"?")
    pan = _TRACK_PAN.search(buf, start, end)
    if pan is None:  # pragma: no cover - the pattern holds 12-19 digits
        return None
    digits = pan.group().decode()
    if not (len(digits) >= TRACK_MIN_DIGITS and luhn_valid(digits)):
        return None
    return Hit(Kind.TRACK, start, end, masked(Kind.TRACK, digits), card_brand(digits))


_KEY_VALUE = re.compile(rb"""(?P<key>[A-Za-z][A-Za-z0-9 ._-]*?)["']?[ \t]{0,3}[:=]""")
_MASKED_VALUE = re.compile(
    rb"""^(?:(?:[*x#.\-_]|\xe2\x80\xa2)+|\[?redacted\]?|<redacted>|\*+redacted\*+|none|null|nil|true|false|"""
    rb"""undefined|changeme|%s|\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Z_]+|<[a-z_-]+>)$""",
    re.IGNORECASE,
)


def _key_of(buf: bytes, start: int, end: int) -> str:
    match = _KEY_VALUE.match(buf, start, end)
    return match.group("key").decode("latin-1").strip().lower() if match else "value"


def _card_code(buf: bytes, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    return Hit(Kind.CARD_CODE, start, end, masked(Kind.CARD_CODE, "", key=_key_of(buf, start, end)))


_SECRET_VALUE = re.compile(rb"""[:=][ \t]{0,3}["']?(?P<value>[^ \t\r\n"'&,;]+)""")


def _secret(buf: bytes, start: int, end: int) -> Hit | None:
    start, end = _trim(buf, start, end)
    value = _SECRET_VALUE.search(buf, start, end + 1)
    if value is None or _MASKED_VALUE.match(value.group("value")):
        return None
    key = _key_of(buf, start, end)
    return Hit(Kind.SECRET, start, end, masked(Kind.SECRET, "", key=key))


# --- personal data ------------------------------------------------------------------------


def _simple(kind: Kind, keep: bytes = b"") -> Confirm:
    def confirm(buf: bytes, start: int, end: int) -> Hit | None:
        start, end = _trim(buf, start, end, keep)
        return Hit(kind, start, end, masked(kind, buf[start:end].decode("latin-1")))

    return confirm


_LOCAL_PART: Final = frozenset(
    bytes([c]) for c in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._%+-"
)


def _email(buf: bytes, start: int, end: int) -> Hit | None:
    at = buf.rfind(b"@", max(0, end - 280), end)
    start = at  # the start comes from the @ (the candidate pattern reports ends only)
    while start > max(0, at - 64) and buf[start - 1 : start] in _LOCAL_PART:
        start -= 1
    if buf[end - 1 : end] not in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        end -= 1  # the boundary character after the address
    if buf[end - 1 : end] == b".":
        end -= 1  # a sentence's full stop
    value = buf[start:end].decode("latin-1").lstrip("._%+-")
    return Hit(Kind.EMAIL, end - len(value), end, masked(Kind.EMAIL, value))


_NI_BAD_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _ni_number(buf: bytes, start: int, end: int) -> Hit | None:
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


def _birth_date(buf: bytes, start: int, end: int) -> Hit | None:
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

_PHONE_BODY = (
    rb"(?:7[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}"  # mobiles
    rb"|[12][0-9]{3}[ -]?[0-9]{6}"  # 01xxx xxxxxx
    rb"|[12][0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{4}"  # 0121 496 0000, 0113 ...
    rb"|2[0-9][ -]?[0-9]{4}[ -]?[0-9]{4}"  # 020 7946 0000
    rb"|3[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{4})"  # 03xx
)
_POSTCODE_OUTWARD = (
    rb"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    rb"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_SECRET_KEYS = (
    rb"(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|apikey"
    rb"|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer[_-]?token|private[_-]?key"
    rb"|totp[_-]?secret|secret[_-]?key)"
)
_CODE_KEYS = (
    rb"(?:cvv2?|cvc2?|cvn2?|cvd2?|cav2|csc|cid|security[ _-]?code"
    rb"|card[ _-]?(?:verification|validation|security)[ _-]?(?:code|value|number)?)"
)
_BIRTH_KEYS = (
    rb"(?:dob|d\.o\.b\.?|date[ _-]?of[ _-]?birth|birth[ _-]?date|birthdate|birthday"
    rb"|born(?:[ _-]on)?)"
)
_ASSIGN = rb"""["']?[ \t]{0,3}[:=][ \t]{0,3}["']?"""
_VALUE_END = rb"""[ \t\r\n"'&,;]"""

PATTERNS: Final[tuple[_Pattern, ...]] = (
    _Pattern(Group.CARDS, _START + rb"[0-9]{13,19}" + _NOT_ALNUM, _card, 21),
    _Pattern(
        Group.CARDS,
        _START + rb"[0-9]{4}" + _SEP + rb"[0-9]{4,6}" + _SEP + rb"[0-9]{4,7}"
        rb"(?:" + _SEP + rb"[0-9]{1,4}){0,2}" + _GROUPED_END,
        _card,
        34,
    ),
    # track 2: the number, = (or D), expiry and service code, discretionary data to the end
    _Pattern(Group.CARDS, _START + rb"[0-9]{12,19}[=D][0-9]{7}[0-9]{0,40}[^0-9]", _track, 70),
    # track 1: [%]B, the number, ^NAME^, expiry, the rest up to the end sentinel or a space
    _Pattern(
        Group.CARDS,
        _START + rb"[Bb]?[0-9]{12,19}\^[^^\r\n]{2,26}\^[0-9]{4}[^\s?^]{0,79}[\s?]",
        _track,
        150,
    ),
    _Pattern(
        Group.CARDS,
        _START + _CODE_KEYS + _ASSIGN + rb"[0-9]{3,4}[^0-9]",
        _card_code,
        64,
        caseless=True,
    ),
    _Pattern(
        Group.SECRETS,
        _START + _SECRET_KEYS + _ASSIGN + rb"""[^ \t\r\n"'&,;]{4,200}""" + _VALUE_END,
        _secret,
        240,
        caseless=True,
    ),
    _Pattern(
        Group.PERSONAL,
        rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
        rb"(?:[^A-Za-z0-9.-]|\.[^A-Za-z0-9])",
        _email,
        0,
        kind=Kind.EMAIL,
    ),
    _Pattern(
        Group.PERSONAL,
        rb"(?:^|[^0-9A-Za-z+])(?:\+44[ ]?(?:\(0\)[ ]?)?|0044[ ]?|0)" + _PHONE_BODY + _NOT_ALNUM,
        _simple(Kind.PHONE, keep=b"+"),
        24,
        kind=Kind.PHONE,
    ),
    _Pattern(
        Group.PERSONAL,
        _START + _POSTCODE_OUTWARD + rb" ?[0-9][ABD-HJLNP-UW-Z]{2}" + _NOT_ALNUM,
        _simple(Kind.POSTCODE),
        10,
        kind=Kind.POSTCODE,
    ),
    _Pattern(
        Group.PERSONAL,
        _START + _BIRTH_KEYS + rb"""["']?[ \t]{0,3}[:=]?[ \t]{0,3}["']?"""
        rb"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}[/.-][0-9]{2}[/.-][0-9]{4})[^0-9]",
        _birth_date,
        44,
        caseless=True,
    ),
    _Pattern(
        Group.PERSONAL,
        _START
        + rb"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]"
        + _NOT_ALNUM,
        _ni_number,
        15,
    ),
    _Pattern(
        Group.PERSONAL,
        rb"(?:(?:^|[^0-9A-Za-z-])[0-9]{2}-[0-9]{2}-[0-9]{2}[ ,/;:]{1,3}[0-9]{8}"
        rb"|(?:^|[^0-9A-Za-z])sort[ _-]?code[^0-9\r\n]{0,6}[0-9]{2}[- ]?[0-9]{2}[- ]?[0-9]{2}"
        rb"[^0-9\r\n]{1,24}[0-9]{8})[^0-9]",
        _simple(Kind.BANK_ACCOUNT),
        64,
        caseless=True,
        kind=Kind.BANK_ACCOUNT,
    ),
)


@dataclass(slots=True)
class Found:
    """What one buffer holds: exact counts of every kind, and the hits themselves.

    Every card-data, secret and checked hit is in ``hits``; of the kinds counted without a
    check (e-mail, phone, postcode) only the first ``detail`` of each, so a log full of
    e-mail addresses is counted exactly without building a record for each one.
    """

    counts: dict[Kind, int]
    hits: list[Hit]


def kinds_of(groups: Iterable[Group]) -> frozenset[Kind]:
    """Every kind the detector families ``groups`` find."""
    chosen = frozenset(groups)
    return frozenset(kind for kind in Kind if kind.group in chosen)


def _glued(pattern: _Pattern) -> _Pattern:
    """A card pattern that also finds numbers glued to letters (``4556...0011clean``)."""
    if pattern.confirm is not _card:
        return pattern
    loose = pattern.regex.replace(_START, rb"(?:^|[^0-9])").replace(_NOT_ALNUM, rb"[^0-9]")
    return replace(pattern, regex=loose)


#: For the raw bytes of database files, where a record's values sit side by side.
GLUED_PATTERNS: Final = tuple(_glued(p) for p in PATTERNS)


class Detector:
    """A compiled set of detectors: :meth:`scan` finds every confirmed hit in a buffer.

    ``kinds`` chooses what to look for (:func:`kinds_of` turns families into kinds); a
    pattern runs when it can produce one of them, and only those kinds are reported.
    """

    def __init__(self, kinds: Iterable[Kind] = tuple(Kind), *, glued: bool = False) -> None:
        self.kinds = frozenset(kinds)
        if not self.kinds:
            msg = "a detector needs at least one kind to look for"
            raise ValueError(msg)
        chosen = GLUED_PATTERNS if glued else PATTERNS
        self._patterns = tuple(p for p in chosen if p.produces & self.kinds)
        self._database = _compiled(
            tuple(p.regex for p in self._patterns), tuple(p.caseless for p in self._patterns)
        )
        self._local = threading.local()  # a scratch space per thread

    def scan(self, buf: bytes, *, detail: int = 1 << 30) -> Found:
        """Count and find every hit in ``buf``; keep at most ``detail`` unchecked hits per kind."""
        ends: list[list[int]] = [[] for _ in self._patterns]
        appenders = [e.append for e in ends]

        def on_match(pattern: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            appenders[pattern](end)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        self._database.scan(buf, match_event_handler=on_match, scratch=scratch)
        counts: dict[Kind, int] = {}
        hits: list[Hit] = []
        for pattern, found in zip(self._patterns, ends, strict=True):
            if pattern.kind is not None and found:
                counts[pattern.kind] = counts.get(pattern.kind, 0) + len(found)
                found = found[:detail]  # noqa: PLW2901 - only the first few are read
            hits.extend(h for h in (_confirmed(pattern, buf, end) for end in found) if h)
        return Found(counts, self._kept(hits, counts, detail))

    def _kept(self, hits: list[Hit], counts: dict[Kind, int], detail: int) -> list[Hit]:
        """The hits reported, each checked one counted: card data and secrets all, personal
        data up to ``detail`` per kind."""
        kept: list[Hit] = []
        shown: dict[Kind, int] = {}
        for hit in _without_overlaps(hits):
            if hit.kind not in self.kinds:
                continue
            if hit.kind not in _COUNTED_UNCHECKED:
                counts[hit.kind] = counts.get(hit.kind, 0) + 1
            shown[hit.kind] = shown.get(hit.kind, 0) + 1
            if hit.kind.severity is not Severity.REVIEW or shown[hit.kind] <= detail:
                kept.append(hit)
        return kept


_COUNTED_UNCHECKED: Final = frozenset(p.kind for p in PATTERNS if p.kind is not None)


def _confirmed(pattern: _Pattern, buf: bytes, end: int) -> Hit | None:
    """The hit a candidate ending at ``end`` is, if any (where it starts found first)."""
    if not pattern.window:
        return pattern.confirm(buf, -1, end)
    match = pattern.ending.search(buf, max(0, end - pattern.window), end)
    if match is None:  # pragma: no cover - the candidate pattern matched here
        return None
    return pattern.confirm(buf, match.start(), end)


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """One hit per place: track data absorbs the card number inside it, and two readings of
    the same value count once."""
    hits.sort(key=lambda h: (h.start, -h.end))
    tracks = [h for h in hits if h.kind is Kind.TRACK]
    kept: list[Hit] = []
    last: dict[Kind, int] = {}
    for hit in hits:
        if hit.kind in (Kind.CARD, Kind.TEST_CARD) and any(
            t.start <= hit.start and hit.end <= t.end for t in tracks
        ):
            continue
        if hit.start < last.get(hit.kind, -1):
            continue
        kept.append(hit)
        last[hit.kind] = hit.end
    return kept


@cache
def _compiled(regexes: tuple[bytes, ...], caseless: tuple[bool, ...]) -> hyperscan.Database:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = [hyperscan.HS_FLAG_CASELESS if c else 0 for c in caseless]
    database.compile(
        expressions=list(regexes), ids=list(range(len(regexes))), elements=len(regexes), flags=flags
    )
    return database


_PRODUCES: Final[dict[Confirm, frozenset[Kind]]] = {
    _card: frozenset({Kind.CARD, Kind.TEST_CARD}),
    _track: frozenset({Kind.TRACK}),
    _card_code: frozenset({Kind.CARD_CODE}),
    _secret: frozenset({Kind.SECRET}),
    _birth_date: frozenset({Kind.BIRTH_DATE}),
    _ni_number: frozenset({Kind.NI_NUMBER}),
}


@cache
def detector(kinds: frozenset[Kind] = frozenset(Kind), *, glued: bool = False) -> Detector:
    """A shared compiled detector for ``kinds`` (compiling takes a few milliseconds)."""
    return Detector(kinds, glued=glued)
