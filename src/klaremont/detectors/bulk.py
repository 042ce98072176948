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

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import hyperscan

from klaremont.detectors.confirm import Buffer, Hit
from klaremont.detectors.kinds import Group, Kind, Severity
from klaremont.detectors.patterns import (
    COUNTED_UNCHECKED,
    GLUED_PATTERNS,
    PATTERNS,
    CandidatePattern,
)

__all__ = ["Detector", "Found", "Hit", "detector", "kinds_of"]


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

    def scan(
        self, buf: bytes | bytearray, *, detail: int = 1 << 30, stop: int | None = None
    ) -> Found:
        """Count and find every hit in ``buf`` (up to ``stop``, read in place); keep at most
        ``detail`` unchecked hits per kind."""
        ends: list[list[int]] = [[] for _ in self._patterns]
        appenders = [e.append for e in ends]

        def on_match(pattern: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            appenders[pattern](end)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        # a view of the first ``stop`` bytes: read in place, not copied (the binding takes any
        # buffer, its stub says bytes or str)
        data = buf if stop is None else memoryview(buf)[:stop]
        self._database.scan(data, match_event_handler=on_match, scratch=scratch)  # type: ignore[type-var]
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
            if hit.kind not in COUNTED_UNCHECKED:
                counts[hit.kind] = counts.get(hit.kind, 0) + 1
            shown[hit.kind] = shown.get(hit.kind, 0) + 1
            if hit.kind.severity is not Severity.REVIEW or shown[hit.kind] <= detail:
                kept.append(hit)
        return kept


def _confirmed(pattern: CandidatePattern, buf: Buffer, end: int) -> Hit | None:
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


@cache
def detector(kinds: frozenset[Kind] = frozenset(Kind), *, glued: bool = False) -> Detector:
    """A shared compiled detector for ``kinds`` (compiling takes a few milliseconds)."""
    return Detector(kinds, glued=glued)
