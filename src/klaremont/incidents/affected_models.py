"""The customers affected by an incident, the legal hold on their data, the reads of their
data while the incident is open, and the breach notices sent to them (phase 2b).

- ``incident_affected``: one row per person the ISO lists on the case: their data-subject
  id (``subject_ref``: a reference, not a foreign key, so the person's erasure never
  reaches into the incident record) and account reference (not personal), who listed them,
  when and why; once the breach notice (UK GDPR Art. 34) is queued, when, by whom and the
  outbox message (one notice per person per incident).
- ``incident_holds``: the legal hold (Art. 17(3)(e)) on the data of every person listed
  on the incident: placed by the ISO with a reason, lifted by the ISO with a reason.
  At most one is in force per incident; a lifted one stays as the record.
- ``incident_read_alerts``: each read of an affected person's data while the incident is
  open ("high alert"), with the action-log entry it made and the messages sent.

Nothing here holds a personal value: a person is their subject id and account reference.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.policy.model import DataCategory

NAME_MAX = 64
REFERENCE_MAX = 16
WHY_MAX = 1000
READER_MAX = 128
_INFO = {
    "info": {RIGHTS: Handling.IGNORE.value, DATA_CATEGORY: DataCategory.INCIDENT_RECORDS.value}
}


class IncidentAffected(IdMixin, Base):
    """One person listed as affected by an incident."""

    __tablename__ = "incident_affected"
    __table_args__ = (
        UniqueConstraint("incident_id", "subject_ref", name="uq_incident_affected_subject"),
        Index("ix_incident_affected_subject_ref", "subject_ref"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    subject_ref: Mapped[uuid.UUID]
    customer_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    why: Mapped[str | None] = mapped_column(String(WHY_MAX))
    added_by: Mapped[str] = mapped_column(String(NAME_MAX))
    added_at: Mapped[datetime]
    notice_sent_at: Mapped[datetime | None]
    notice_sent_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    notice_message_ref: Mapped[uuid.UUID | None]


class IncidentHold(IdMixin, Base):
    """A legal hold on the data of an incident's affected customers (Art. 17(3)(e))."""

    __tablename__ = "incident_holds"
    __table_args__ = (Index("ix_incident_holds_incident", "incident_id", "lifted_at"), _INFO)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(NAME_MAX))
    placed_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class IncidentReadAlert(IdMixin, Base):
    """A read of an affected person's data while the incident was open ("high alert")."""

    __tablename__ = "incident_read_alerts"
    __table_args__ = (
        Index("ix_incident_read_alerts_seen", "incident_id", "subject_ref", "reader", "read_at"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    subject_ref: Mapped[uuid.UUID]
    customer_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    reader: Mapped[str] = mapped_column(String(READER_MAX))
    what: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[datetime]
    action_number: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(Integer, default=0)
