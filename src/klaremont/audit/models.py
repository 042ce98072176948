"""The audit tables: the hash-chained event log, the one-row chain head and the archived ranges."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, configure_mappers, make_transient_to_detached, mapped_column

from klaremont.audit.encoding import EventFields, parse_timestamp
from klaremont.audit.events import ActionTag, Actor, ActorType, Outcome, action_tag
from klaremont.db.base import Base

if TYPE_CHECKING:
    from datetime import datetime

# BIGINT on PostgreSQL; INTEGER on SQLite so ``seq`` is the rowid and lookups are direct.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

ORIGIN_MAX = 45  # the longest textual IPv6 address
ACTOR_ID_MAX = 128
ACTION_MAX = 64
RESOURCE_MAX = 255
PURPOSE_MAX = 64
REQUEST_ID_MAX = 64
_CONFIGURED: list[bool] = []  # the ORM's mappers were configured (once, before first use)


class AuditEvent(Base):
    """One audit event (PCI DSS 10.2.2): append-only, hash-chained to the one before.

    ``seq`` is assigned by the writer, 1, 2, 3 ... without gaps, under the chain-head lock.

    ``occurred_at`` is stored as text, fixed-width UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
    not as a timestamp column: the hash covers exactly the stored characters, and a
    timestamp type would let a driver or database round trip (time zone, precision,
    ``+00:00`` versus ``Z``) change what is read back and so break a sound chain. Fixed
    width keeps the text sortable. :attr:`occurred` gives the aware UTC datetime.

    ``details`` is canonical JSON (sorted keys, compact) with no secret and no card data.
    ``prev_hash`` and ``hash`` are 64 lower-case hex characters; see
    :mod:`klaremont.audit.encoding` for what the hash covers.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_actor", "actor_type", "actor_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(27))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(ACTOR_ID_MAX))
    action: Mapped[str] = mapped_column(String(ACTION_MAX))
    outcome: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str | None] = mapped_column(String(ORIGIN_MAX))
    resource: Mapped[str | None] = mapped_column(String(RESOURCE_MAX))
    purpose: Mapped[str | None] = mapped_column(String(PURPOSE_MAX))
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @classmethod
    def stored(cls, row: dict[str, Any]) -> AuditEvent:
        """The row just inserted, as a detached event (so adding it to a session never
        inserts it again), built without the ORM's per-attribute events: a few microseconds
        instead of the constructor's tens, on every audited request."""
        if not _CONFIGURED:
            configure_mappers()  # what the constructor does first; new_instance() does not
            _CONFIGURED.append(True)
        event: AuditEvent = cls.__mapper__.class_manager.new_instance()
        event.__dict__.update(row)
        make_transient_to_detached(event)
        return event

    @property
    def occurred(self) -> datetime:
        """When it happened, as an aware UTC datetime."""
        return parse_timestamp(self.occurred_at)

    @property
    def actor(self) -> Actor:
        """The acting party (without its display label, which is not stored)."""
        return Actor(ActorType(self.actor_type), self.actor_id)

    @property
    def action_tag(self) -> ActionTag | str:
        """The action as a catalogue member (or the raw tag if it is no longer catalogued)."""
        try:
            return action_tag(self.action)
        except ValueError:
            return self.action

    @property
    def outcome_value(self) -> Outcome:
        """The outcome as an enum member."""
        return Outcome(self.outcome)

    def details_dict(self) -> dict[str, Any]:
        """The details parsed from their canonical JSON."""
        value = json.loads(self.details)
        return value if isinstance(value, dict) else {"value": value}

    def fields(self) -> EventFields:
        """The hashed fields of this row."""
        return EventFields(
            seq=self.seq,
            occurred_at=self.occurred_at,
            actor_type=self.actor_type,
            actor_id=self.actor_id,
            action=self.action,
            outcome=self.outcome,
            origin=self.origin,
            resource=self.resource,
            purpose=self.purpose,
            request_id=self.request_id,
            details=self.details,
        )

    def as_dict(self) -> dict[str, Any]:
        """Every stored field, for JSON output."""
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at,
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "action": self.action,
            "outcome": self.outcome,
            "origin": self.origin,
            "resource": self.resource,
            "purpose": self.purpose,
            "request_id": self.request_id,
            "details": self.details_dict(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def __repr__(self) -> str:
        """Short form for debugging; details are left out."""
        who = f"{self.actor_type}:{self.actor_id}"
        return f"<AuditEvent {self.seq} {self.action} {self.outcome} {who}>"


class AuditHead(Base):
    """The chain head: one row (``id`` = 1) holding the last event's ``seq`` and ``hash``.

    Appenders lock it (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN
    IMMEDIATE`` already serialises writers), so two transactions never take the same
    ``seq``. It is not evidence: the verifier trusts only the events and the signed
    checkpoints.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditArchiveRange(Base):
    """A range of events moved out of ``audit_events`` into a signed archive segment.

    Written in the same transaction that deletes the range's events; the delete trigger lets
    through only events inside a recorded range (:mod:`klaremont.audit.ddl`), and this table
    is append-only. The evidence is the segment file and its signed manifest line, kept
    beside the checkpoints: ``audit verify`` checks the two agree.
    """

    __tablename__ = "audit_archive_ranges"

    lo: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    hi: Mapped[int] = mapped_column(BigInteger)
    segment: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    first_prev_hash: Mapped[str] = mapped_column(String(64))
    last_hash: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(BigInteger)
    archived_at: Mapped[str] = mapped_column(String(27))
