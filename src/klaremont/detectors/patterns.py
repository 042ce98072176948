"""The candidate patterns the matcher runs: one per spelling of each kind of finding.

A candidate is bounded by characters that cannot continue it (a card number is not a window
of a longer digit or hex run); the pattern consumes the boundary and the confirmation trims
it. Patterns report where a match ends; where it starts is found afterwards, for the few
candidates that need it (the pattern anchored at the end over a bounded ``window``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Final

from klaremont.detectors.confirm import (
    PRODUCES,
    Confirm,
    birth_date,
    card,
    card_code,
    email,
    ni_number,
    secret,
    simple,
    track,
)
from klaremont.detectors.kinds import Group, Kind

# Boundaries: a candidate starts at the buffer's start or after a character that cannot
# continue it, and ends before one (consumed, then trimmed by the confirmation).
_NOT_ALNUM = rb"[^0-9A-Za-z]"
_START = rb"(?:^|[^0-9A-Za-z])"
_SEP = rb"[ -]"
# A grouped number ends where no further group follows: not at a separator before a digit.
_GROUPED_END = rb"(?:[^0-9A-Za-z -]|[ -][^0-9])"


@dataclass(frozen=True, slots=True)
class CandidatePattern:
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
        return PRODUCES.get(self.confirm, frozenset({self.kind} if self.kind else ()))

    @property
    def ending(self) -> re.Pattern[bytes]:
        """The pattern anchored at the end of a match, to find where a match starts."""
        return _ending(self.regex, self.caseless)


@cache
def _ending(regex: bytes, caseless: bool) -> re.Pattern[bytes]:
    return re.compile(b"(?:" + regex + rb")\Z", re.IGNORECASE if caseless else 0)


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
# "cid" alone (or "card_id") is left out: in logs it is a correlation or record id far more
# often than Amex's code, which is looked for as "amex_cid".
_CODE_KEYS = (
    rb"(?:cvv2?|cvc2?|cvn2?|cvd2?|cav2|csc|amex[ _-]?cid|security[ _-]?code"
    rb"|card[ _-]?(?:verification|validation|security)[ _-]?(?:code|value|number)?)"
)
_BIRTH_KEYS = (
    rb"(?:dob|d\.o\.b\.?|date[ _-]?of[ _-]?birth|birth[ _-]?date|birthdate|birthday"
    rb"|born(?:[ _-]on)?)"
)
_ASSIGN = rb"""["']?[ \t]{0,3}[:=][ \t]{0,3}["']?"""
_VALUE_END = rb"""[ \t\r\n"'&,;]"""

PATTERNS: Final[tuple[CandidatePattern, ...]] = (
    CandidatePattern(Group.CARDS, _START + rb"[0-9]{13,19}" + _NOT_ALNUM, card, 21),
    CandidatePattern(
        Group.CARDS,
        _START + rb"[0-9]{4}" + _SEP + rb"[0-9]{4,6}" + _SEP + rb"[0-9]{4,7}"
        rb"(?:" + _SEP + rb"[0-9]{1,4}){0,2}" + _GROUPED_END,
        card,
        34,
    ),
    # track 2: the number, = (or D), expiry and service code (the confirmation reads on to
    # the end sentinel: a broad tail here would slow every other pattern down)
    CandidatePattern(Group.CARDS, _START + rb"[0-9]{12,19}[=D][0-9]{7}", track, 28),
    # track 1: [%]B, the number, ^NAME^, expiry (and the rest, read by the confirmation)
    CandidatePattern(
        Group.CARDS, _START + rb"[Bb]?[0-9]{12,19}\^[^^\r\n]{2,26}\^[0-9]{4}", track, 56
    ),
    CandidatePattern(
        Group.CARDS,
        _START + _CODE_KEYS + _ASSIGN + rb"[0-9]{3,4}[^0-9]",
        card_code,
        64,
        caseless=True,
    ),
    # the code written after its name in prose or a log line ("card ... cvv 123"): only the
    # names nothing else is called (cvv, cvc), so "security code 1234" in a sentence is not
    CandidatePattern(
        Group.CARDS,
        _START + rb"(?:cvv2?|cvc2?)[ \t]{1,3}[0-9]{3,4}[^0-9]",
        card_code,
        16,
        caseless=True,
    ),
    CandidatePattern(
        Group.SECRETS,
        _START + _SECRET_KEYS + _ASSIGN + rb"""[^ \t\r\n"'&,;]{4,200}""" + _VALUE_END,
        secret,
        240,
        caseless=True,
    ),
    CandidatePattern(
        Group.PERSONAL,
        rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
        rb"(?:[^A-Za-z0-9.-]|\.[^A-Za-z0-9])",
        email,
        0,
        kind=Kind.EMAIL,
    ),
    CandidatePattern(
        Group.PERSONAL,
        rb"(?:^|[^0-9A-Za-z+])(?:\+44[ ]?(?:\(0\)[ ]?)?|0044[ ]?|0)" + _PHONE_BODY + _NOT_ALNUM,
        simple(Kind.PHONE, keep=b"+"),
        24,
        kind=Kind.PHONE,
    ),
    CandidatePattern(
        Group.PERSONAL,
        _START + _POSTCODE_OUTWARD + rb" ?[0-9][ABD-HJLNP-UW-Z]{2}" + _NOT_ALNUM,
        simple(Kind.POSTCODE),
        10,
        kind=Kind.POSTCODE,
    ),
    CandidatePattern(
        Group.PERSONAL,
        _START + _BIRTH_KEYS + rb"""["']?[ \t]{0,3}[:=]?[ \t]{0,3}["']?"""
        rb"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}[/.-][0-9]{2}[/.-][0-9]{4})[^0-9]",
        birth_date,
        44,
        caseless=True,
    ),
    CandidatePattern(
        Group.PERSONAL,
        _START
        + rb"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]"
        + _NOT_ALNUM,
        ni_number,
        15,
    ),
    CandidatePattern(
        Group.PERSONAL,
        rb"(?:(?:^|[^0-9A-Za-z-])[0-9]{2}-[0-9]{2}-[0-9]{2}[ ,/;:]{1,3}[0-9]{8}"
        rb"|(?:^|[^0-9A-Za-z])sort[ _-]?code[^0-9\r\n]{0,6}[0-9]{2}[- ]?[0-9]{2}[- ]?[0-9]{2}"
        rb"[^0-9\r\n]{1,24}[0-9]{8})[^0-9]",
        simple(Kind.BANK_ACCOUNT),
        64,
        caseless=True,
        kind=Kind.BANK_ACCOUNT,
    ),
)


def _glued(pattern: CandidatePattern) -> CandidatePattern:
    """A card pattern that also finds numbers glued to letters (``4556...0011clean``)."""
    if pattern.confirm is not card:
        return pattern
    loose = pattern.regex.replace(_START, rb"(?:^|[^0-9])").replace(_NOT_ALNUM, rb"[^0-9]")
    return replace(pattern, regex=loose)


#: For the raw bytes of database files, where a record's values sit side by side.
GLUED_PATTERNS: Final = tuple(_glued(p) for p in PATTERNS)


COUNTED_UNCHECKED: Final = frozenset(p.kind for p in PATTERNS if p.kind is not None)
