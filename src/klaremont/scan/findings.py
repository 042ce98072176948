"""What a scan finds and what it reports: findings (masked), counts, the whole result.

A :class:`Finding` says where (a file and line or byte offset, or a table, column and row
key), what (the detector's kind) and shows a masked sample only. Counts are exact for every
kind; the finding records of e-mail addresses, phone numbers and postcodes are kept for the
first few of each place (``detail``), since a log can hold millions of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from klaremont.detectors.kinds import Kind, Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found: where, which kind, and a masked sample (never the value)."""

    kind: Kind
    source: str
    sample: str
    line: int | None = None
    offset: int | None = None
    table: str | None = None
    column: str | None = None
    key: str | None = None
    brand: str | None = None
    note: str | None = None
    allowed: str | None = None

    @property
    def where(self) -> str:
        """The place, as people read it."""
        if self.table is not None:
            parts = [f"table {self.table}"]
            if self.column:
                parts.append(f"column {self.column}")
            if self.key:
                parts.append(f"row {self.key}")
            return ", ".join(parts)
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        text = ", ".join(parts) or "whole file"
        return f"{text} ({self.note})" if self.note else text

    @property
    def severity(self) -> Severity:
        """How serious the finding is."""
        return self.kind.severity

    def allowed_by(self, reason: str) -> Finding:
        """This finding, accepted by an allow-list entry with ``reason``."""
        return replace(self, allowed=reason)


@dataclass(slots=True)
class SourceCounts:
    """Exact counts per kind for one source, and how many an allow-list accepted."""

    source: str
    counts: Counter[Kind] = field(default_factory=Counter)
    allowed: Counter[Kind] = field(default_factory=Counter)
    bytes: int = 0

    def remaining(self) -> Counter[Kind]:
        """Counts not accepted by the allow-list."""
        left = Counter(self.counts)
        left.subtract(self.allowed)
        return +left


@dataclass(slots=True)
class ScanResult:
    """Everything one scan found."""

    label: str
    kinds: frozenset[Kind]
    started_at: datetime
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def bytes(self) -> int:
        """Bytes read, over every source."""
        return sum(s.bytes for s in self.sources.values())

    @property
    def megabytes_per_second(self) -> float:
        """Throughput of the whole scan."""
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def counts(self, *, remaining: bool = True) -> Counter[Kind]:
        """Exact counts per kind over every source (without the accepted ones by default)."""
        total: Counter[Kind] = Counter()
        for source in self.sources.values():
            total.update(source.remaining() if remaining else source.counts)
        return total

    def remaining(self) -> list[Finding]:
        """Findings the allow-list did not accept."""
        return [f for f in self.findings if f.allowed is None]

    def card_data(self) -> list[Finding]:
        """Live card data found and not accepted: card numbers, track data, card codes."""
        return [f for f in self.remaining() if f.kind.is_card_data]

    @property
    def clean(self) -> bool:
        """True when nothing but published test numbers remains and every place was read."""
        left = self.counts()
        found = any(n for kind, n in left.items() if kind is not Kind.TEST_CARD)
        return not found and not self.problems

    def source(self, name: str) -> SourceCounts:
        """The counts of ``name``, created on first use."""
        counts = self.sources.get(name)
        if counts is None:
            counts = self.sources[name] = SourceCounts(name)
        return counts
