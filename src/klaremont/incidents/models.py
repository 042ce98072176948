"""Incident records: the case, its team seats, the append-only action log, the preservation
checklist, the notification tracker and the deadline alerts raised.

Every incident is kept, dismissed ones included (UK GDPR Art. 33(5): every breach is
documented), under the policy's ``incident_records`` retention. ``incident_actions`` is
append-only in the database (UPDATE and DELETE refused by triggers, as ``audit_events``)
and each entry's digest is also in an audit event, so the entry is chained into the
tamper-evident log. Free text here is checked plain text with no card number; it is a
security record read by the ISO, the team, directors and the DPO.

Phase 2 fits beside these tables without changing them: evidence files (hash, custody)
and legal holds hang off ``incidents.id``; member reports are keyed by incident and the
username a seat holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.incidents.states import (
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
    Decision,
    IcoPhase,
    IncidentKind,
    IncidentState,
    Involvement,
    Recipient,
)
from klaremont.incidents.team import Seat
from klaremont.policy.model import DataCategory

NAME_MAX = 64
ACTOR_ID_MAX = 128
SUMMARY_MAX = 4000
SYSTEMS_MAX = 1000
TEXT_MAX = 4000
SHORT_MAX = 500
_INFO = {
    "info": {RIGHTS: Handling.IGNORE.value, DATA_CATEGORY: DataCategory.INCIDENT_RECORDS.value}
}


class Incident(IdMixin, Base):
    """One reported incident and where it stands (SP-REPORT, SP-IRP-INVESTIGATE)."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_incidents_year_number"),
        Index("ix_incidents_state_reported", "state", "reported_at"),
        _INFO,
    )

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[IncidentKind] = enum_column(IncidentKind, 24)
    state: Mapped[IncidentState] = enum_column(IncidentState, 16)
    summary: Mapped[str] = mapped_column(Text)
    systems: Mapped[str | None] = mapped_column(String(SYSTEMS_MAX))
    personal_data: Mapped[Involvement] = enum_column(Involvement, 8)
    card_data: Mapped[Involvement] = enum_column(Involvement, 8)
    noticed_at: Mapped[datetime | None]
    reported_at: Mapped[datetime]
    aware_at: Mapped[datetime]  # the 72-hour clock starts here (UTC)
    reporter_type: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[str] = mapped_column(String(ACTOR_ID_MAX))
    reporter_name: Mapped[str] = mapped_column(String(NAME_MAX))
    iso_alerted_at: Mapped[datetime | None]
    iso_alert_messages: Mapped[int] = mapped_column(Integer, default=0)
    state_changed_at: Mapped[datetime]
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    lessons_learned: Mapped[str | None] = mapped_column(Text)
    lessons_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    lessons_at: Mapped[datetime | None]
    # The ISO's assessment, for the ICO report (Art. 33(3))
    people_categories: Mapped[str | None] = mapped_column(String(SHORT_MAX))
    people_count: Mapped[int | None] = mapped_column(Integer)
    record_categories: Mapped[str | None] = mapped_column(String(SHORT_MAX))
    record_count: Mapped[int | None] = mapped_column(Integer)
    consequences: Mapped[str | None] = mapped_column(Text)
    measures_proposed: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    #: A test of the response plan (PCI DSS 12.10.2), run end to end but told apart everywhere
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class IncidentSeat(IdMixin, Base):
    """Who the ISO appointed to one seat of an incident's team (SP-IRT, SP-IRT-MEMBERS)."""

    __tablename__ = "incident_seats"
    __table_args__ = (
        UniqueConstraint("incident_id", "seat", name="uq_incident_seats_incident_seat"),
        Index("ix_incident_seats_username", "username"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    seat: Mapped[Seat] = enum_column(Seat, 24)
    username: Mapped[str] = mapped_column(String(NAME_MAX))
    full_name: Mapped[str] = mapped_column(String(200))
    appointed_at: Mapped[datetime]
    appointed_by: Mapped[str] = mapped_column(String(NAME_MAX))


class IncidentActionEntry(IdMixin, Base):
    """One entry of an incident's action log: append-only, chained into the audit log
    (SP-IRP-CONTAIN, SP-IRP-EVIDENCE "log all actions")."""

    __tablename__ = "incident_actions"
    __table_args__ = (
        UniqueConstraint("incident_id", "number", name="uq_incident_actions_incident_number"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the incident
    kind: Mapped[ActionKind] = enum_column(ActionKind, 16)
    text: Mapped[str] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(ACTOR_ID_MAX))
    actor_name: Mapped[str] = mapped_column(String(NAME_MAX))
    recorded_at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the entry, also audited
    audit_seq: Mapped[int] = mapped_column(BigInteger)  # the audit event that carries the digest


class IncidentChecklistTick(IdMixin, Base):
    """One preservation step answered for an incident, by whom and when (SP-IRP-EVIDENCE)."""

    __tablename__ = "incident_checklist"
    __table_args__ = (
        UniqueConstraint("incident_id", "item", name="uq_incident_checklist_incident_item"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    item: Mapped[ChecklistItem] = enum_column(ChecklistItem, 24)
    answer: Mapped[ChecklistAnswer] = enum_column(ChecklistAnswer, 16)
    note: Mapped[str | None] = mapped_column(String(SHORT_MAX))
    ticked_by: Mapped[str] = mapped_column(String(NAME_MAX))
    ticked_at: Mapped[datetime]


class IncidentNotification(IdMixin, Base):
    """Whether one party was told, and when, or why not (SP-IRP-NOTIFY)."""

    __tablename__ = "incident_notifications"
    __table_args__ = (
        UniqueConstraint("incident_id", "recipient", name="uq_incident_notifications_recipient"),
        Index("ix_incident_notifications_pending", "decision", "due_at"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    recipient: Mapped[Recipient] = enum_column(Recipient, 24)
    decision: Mapped[Decision] = enum_column(Decision, 16)
    due_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    their_reference: Mapped[str | None] = mapped_column(String(100))
    reasoning: Mapped[str | None] = mapped_column(Text)
    late_reason: Mapped[str | None] = mapped_column(Text)
    phase: Mapped[IcoPhase | None] = enum_column(IcoPhase, 16, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    decided_at: Mapped[datetime | None]


class IncidentDeadlineAlert(IdMixin, Base):
    """A warning before a notification deadline, or its escalation when missed: once each."""

    __tablename__ = "incident_deadline_alerts"
    __table_args__ = (
        UniqueConstraint(
            "incident_id", "recipient", "stage", name="uq_incident_deadline_alerts_stage"
        ),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    recipient: Mapped[Recipient] = enum_column(Recipient, 24)
    stage: Mapped[str] = mapped_column(String(16))  # 24h, 6h, missed
    raised_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(Integer, default=0)
