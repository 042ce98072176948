"""Retention records: the runs, the persons whose data key waits to be destroyed, and the
Data Protection Officer's litigation holds.

None of these tables holds a personal value: a run counts rows, the shred queue names data
subjects by their pseudonymous id, and a hold names the person by that id with the reason
the DPO gave (checked plain text, no card numbers).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import RIGHTS, Handling

REASON_MAX = 500
NAME_MAX = 128
REFERENCE_MAX = 16
_IGNORE = {"info": {RIGHTS: Handling.IGNORE.value}}


class RetentionRun(IdMixin, Base):
    """One run of the purge engine (or a dry run): when, by whom, how far, what it did.

    ``status`` is ``running`` while it works (``heartbeat_at`` moves with every batch),
    then ``finished``, ``failed`` or ``interrupted`` (found running with a stale heartbeat
    by the next run, which carries on where it stopped: every batch commits with its record).
    """

    __tablename__ = "retention_runs"
    __table_args__ = (Index("ix_retention_runs_started_at", "started_at"), _IGNORE)

    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)  # R-2026-0001
    dry_run: Mapped[bool]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(NAME_MAX))
    owner: Mapped[str] = mapped_column(String(NAME_MAX))  # host:pid of the process running it
    batches: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    keys_destroyed: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: target -> rows
    kept: Mapped[str] = mapped_column(Text, default="{}")  # JSON: target -> {hold -> rows}
    error: Mapped[str | None] = mapped_column(String(REASON_MAX))


class ShredQueue(Base):
    """A person some of whose sealed data was purged: their data key goes once nothing of
    theirs that needs it is left (and no hold is in force)."""

    __tablename__ = "retention_shred_queue"
    __table_args__ = (Index("ix_retention_shred_queue_done", "destroyed_at"), _IGNORE)

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    queued_at: Mapped[datetime]
    destroyed_at: Mapped[datetime | None]


class LitigationHold(IdMixin, Base):
    """A hold the DPO places on one person's data for a claim (UK GDPR Art. 17(3)(e)):
    nothing of theirs is purged, erased or shredded until it is lifted."""

    __tablename__ = "retention_holds"
    __table_args__ = (Index("ix_retention_holds_subject", "subject_id"), _IGNORE)

    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), unique=True)  # LH-2026-0001
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    customer_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))  # as the DPO named it
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    placed_by: Mapped[str] = mapped_column(String(NAME_MAX))
    placed_at: Mapped[datetime]
    lifted_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
