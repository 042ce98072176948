"""Card security codes and track data are never taken in as evidence (IS-SENS-CVV,
IS-SENS-TRACK: never stored, encrypted or not).

An evidence file is read once, as it is sealed; :class:`CardScan` wraps the upload and runs
the platform's one bulk detector (:mod:`klaremont.detectors.bulk`, the scanner's) over
every part read, so a file holding a card security code or track data is known when the
last byte has been sealed. The file is then deleted with its key and the upload refused
naming the file, and the uploader masks it first. Card numbers are taken in: a card-data
incident's evidence holds them by nature, sealed under the file's own key, never whole in
the clear on disk (IS-SENS-MASK), handed out only to those who may see the case. A value
cut by the end of one part is seen whole: each part is scanned with the end of the one
before.
"""

from __future__ import annotations

from typing import IO, Final

from klaremont.detectors.bulk import detector
from klaremont.detectors.kinds import Kind

#: what is never kept, even sealed (a card number is: see the module's note)
NEVER_KEPT: Final = frozenset({Kind.TRACK, Kind.CARD_CODE})
#: the end of one part scanned again with the next: longer than any value looked for with
#: its name (a card code and its key, track data)
_OVERLAP: Final = 256
_WORDS: Final = {Kind.TRACK: "card track data", Kind.CARD_CODE: "a card security code"}


class CardScan:
    """A readable file that scans what is read through it for what is never kept."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.found: set[Kind] = set()
        self._carry = b""
        self._detector = detector(NEVER_KEPT)

    def read(self, size: int = -1, /) -> bytes:
        """Read from the file, scanning what was read with the end of the part before (a
        value cut between two parts is seen whole); at the end, the last part closed."""
        data = self.source.read(size)
        if not data:
            self._scan(self._carry + b"\n")  # a value at the very end is closed
            self._carry = b""
            return data
        window = self._carry + data
        self._scan(window)  # a value cut at its end is not matched: the next window sees it
        self._carry = window[-_OVERLAP:]
        return data

    def _scan(self, buf: bytes) -> None:
        if buf:
            self.found.update(hit.kind for hit in self._detector.scan(buf).hits)

    def refusal(self) -> str | None:
        """The rule the file broke, in words, or ``None`` when it holds nothing never kept."""
        if not self.found:
            return None
        held = sorted({_WORDS[kind] for kind in self.found})
        return (
            f"holds {' and '.join(held)}, which is never kept, even as evidence: "
            "remove or mask it first"
        )
