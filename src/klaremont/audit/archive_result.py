"""What an archive run did, or why it stopped (:mod:`klaremont.audit.archive`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from klaremont.audit.archive_format import ArchiveRecord


class ArchiveRefused(RuntimeError):
    """The archive cannot go on (the message says why; nothing further was deleted)."""


@dataclass
class ArchiveResult:
    """What one run did: counts for people and for the ``audit.archive`` event."""

    cutoff: str
    archived: list[ArchiveRecord] = field(default_factory=list)
    completed: list[ArchiveRecord] = field(default_factory=list)
    disposed: list[ArchiveRecord] = field(default_factory=list)

    @property
    def archived_events(self) -> int:
        """Events moved out of the table by this run (new and completed segments)."""
        return sum(r.events for r in (*self.archived, *self.completed))

    @property
    def disposed_events(self) -> int:
        """Events whose segment files this run deleted."""
        return sum(r.events for r in self.disposed)

    def details(self) -> dict[str, object]:
        """The ``audit.archive`` event's details: counts and ranges, never content."""
        return {
            "cutoff": self.cutoff,
            "archived_segments": len(self.archived),
            "completed_segments": len(self.completed),
            "archived_events": self.archived_events,
            "disposed_segments": len(self.disposed),
            "disposed_events": self.disposed_events,
            "archived_ranges": [[r.lo, r.hi] for r in (*self.completed, *self.archived)],
            "disposed_ranges": [[r.lo, r.hi] for r in self.disposed],
        }

    def summary(self) -> str:
        """One line for people."""
        done = len(self.completed)
        finished = f" (finishing {done} interrupted)" if done else ""
        return (
            f"archived {self.archived_events} event(s) in {len(self.archived) + done} "
            f"segment(s){finished}; disposed of {len(self.disposed)} segment(s) "
            f"({self.disposed_events} event(s)) past retention"
        )
