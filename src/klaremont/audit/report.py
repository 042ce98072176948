"""What verification found: the kinds of break, each finding, and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BreakKind(StrEnum):
    """How the log was found broken."""

    EDITED = "edited"  # an event's stored fields no longer match its hash
    DELETED = "deleted"  # an event is missing from the chain
    INSERTED = "inserted"  # an event that is not part of the chain was added
    REORDERED = "reordered"  # events were moved to other positions
    TRUNCATED = "truncated"  # the table ends before the last signed checkpoint
    REBUILT = "rebuilt"  # consistent chain, but a signed checkpoint disagrees with it
    BAD_SIGNATURE = "bad_checkpoint_signature"
    UNKNOWN_KEY = "unknown_checkpoint_key"
    MALFORMED_CHECKPOINT = "malformed_checkpoint"
    # the archive (events moved out of the table into signed segment files)
    ARCHIVE_MISSING = "archive_segment_missing"  # a listed segment file is gone
    ARCHIVE_EDITED = "archive_segment_edited"  # a segment file differs from its signed record
    ARCHIVE_GAP = "archive_gap"  # archived events no signed manifest line accounts for
    ARCHIVE_UNLISTED = "archive_unlisted"  # the table says archived; no signed line says so
    ARCHIVE_LINK = "archive_link"  # segments, or the archive and the table, do not chain
    ARCHIVE_BAD_SIGNATURE = "archive_bad_signature"
    ARCHIVE_MALFORMED = "archive_malformed_record"


CHAIN_KINDS = frozenset(
    {BreakKind.EDITED, BreakKind.DELETED, BreakKind.INSERTED, BreakKind.REORDERED}
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: its kind, the first event it affects (if any) and a readable account."""

    kind: BreakKind
    seq: int | None
    message: str

    @property
    def where(self) -> str:
        """``event #N``, or the file a finding without an event is about."""
        if self.seq is not None:
            return f"event #{self.seq}"
        return "the archive manifest" if self.kind.startswith("archive") else "the checkpoint file"

    def sort_key(self) -> tuple[float, int]:
        """Earliest event first; on the same event, a chain break before a checkpoint one."""
        position = float("inf") if self.seq is None else float(self.seq)
        return position, 0 if self.kind in CHAIN_KINDS else 1


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The result of ``audit verify``.

    ``sealed_seq`` is the highest event vouched for by a genuine checkpoint; events after
    it are the *unsealed tail* -- not a break, but not yet protected against truncation.
    """

    events: int
    last_seq: int
    checkpoints: int
    sealed_seq: int
    elapsed: float
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    archived_events: int = 0  # events re-hashed in archive segments
    archived_segments: int = 0  # segment files checked
    disposed_events: int = 0  # events whose segments were disposed of (signed record kept)

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The earliest finding."""
        return self.findings[0] if self.findings else None

    @property
    def first_broken(self) -> int | None:
        """The number of the first broken event."""
        return self.findings[0].seq if self.findings else None

    @property
    def kind(self) -> BreakKind | None:
        """The kind of the first break."""
        return self.findings[0].kind if self.findings else None

    @property
    def unsealed_tail(self) -> int:
        """How many events come after the last matching signed checkpoint."""
        return max(0, self.last_seq - self.sealed_seq)

    @property
    def rate(self) -> float:
        """Events checked per second."""
        return self.events / self.elapsed if self.elapsed > 0 else float(self.events)

    def summary(self) -> str:
        """One line for people."""
        if self.ok:
            tail = f", {self.unsealed_tail} unsealed" if self.unsealed_tail else ""
            return (
                f"OK: {self.events} events{self.archive_note()}, {self.checkpoints} checkpoints, "
                f"sealed to #{self.sealed_seq}{tail}"
            )
        first = self.findings[0]
        return f"BROKEN at {first.where}: {first.kind.value} - {first.message}"

    def archive_note(self) -> str:
        """`` (+N archived in K segments, D disposed of)``, or nothing without an archive."""
        if not (self.archived_segments or self.disposed_events):
            return ""
        disposed = f", {self.disposed_events} disposed of" if self.disposed_events else ""
        return (
            f" (+{self.archived_events} archived in {self.archived_segments} segment(s){disposed})"
        )
