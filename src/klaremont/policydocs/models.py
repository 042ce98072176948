"""Policy document versions, acknowledgements, section reviews and reminders sent.

A version row holds the whole document as canonical JSON with its SHA-256, so what a
member of staff acknowledged is exactly what they could read. Section rows carry the owner
(a role), the last review and the next review date; each review is kept as a row of its
own. A reminder row (unique per kind, target and period) makes the daily job mail each
person once per period however often it runs. Usernames name staff; nothing about
customers is stored here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import RIGHTS, Handling

KEY_MAX = 8
LABEL_MAX = 20
NUMBER_MAX = 12
HEADING_MAX = 200
NAME_MAX = 128
ROLE_MAX = 40
HASH_LENGTH = 64
TITLE_MAX = 200
NOTE_MAX = 500
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class PolicyDocumentVersion(IdMixin, Base):
    """One published version of one policy document."""

    __tablename__ = "policy_document_versions"
    __table_args__ = (
        UniqueConstraint("document", "label", name="uq_policy_document_versions_label"),
        Index("ix_policy_document_versions_effective", "document", "effective_on"),
        _INFO,
    )

    document: Mapped[str] = mapped_column(String(KEY_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    effective_on: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(NAME_MAX))
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    content: Mapped[str] = mapped_column(Text)


class PolicyAcknowledgement(IdMixin, Base):
    """A member of staff acknowledged one version: who, which, when."""

    __tablename__ = "policy_acknowledgements"
    __table_args__ = (
        UniqueConstraint("version_id", "username", name="uq_policy_acknowledgements_once"),
        _INFO,
    )

    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("policy_document_versions.id"))
    username: Mapped[str] = mapped_column(String(NAME_MAX))
    acknowledged_at: Mapped[datetime]


class PolicySection(IdMixin, Base):
    """A section's review standing: owner role, last review, next review due."""

    __tablename__ = "policy_sections"
    __table_args__ = (UniqueConstraint("number", name="uq_policy_sections_number"), _INFO)

    document: Mapped[str] = mapped_column(String(KEY_MAX))
    number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    heading: Mapped[str] = mapped_column(String(HEADING_MAX))
    owner_role: Mapped[str] = mapped_column(String(ROLE_MAX))
    last_reviewed_on: Mapped[date | None] = mapped_column(Date)
    last_reviewed_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    next_review_on: Mapped[date] = mapped_column(Date)


class PolicyReview(IdMixin, Base):
    """One recorded review of a section."""

    __tablename__ = "policy_reviews"
    __table_args__ = (Index("ix_policy_reviews_number", "number"), _INFO)

    number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str] = mapped_column(String(NAME_MAX))
    note: Mapped[str] = mapped_column(String(NOTE_MAX))
    recorded_at: Mapped[datetime]


class PolicyReminder(IdMixin, Base):
    """A reminder sent: kind (``acknowledge``/``review``), target and period, once each."""

    __tablename__ = "policy_reminders"
    __table_args__ = (
        UniqueConstraint("kind", "target", "period", name="uq_policy_reminders_once"),
        _INFO,
    )

    kind: Mapped[str] = mapped_column(String(LABEL_MAX))
    target: Mapped[str] = mapped_column(String(NAME_MAX))
    period: Mapped[str] = mapped_column(String(LABEL_MAX))
    sent_at: Mapped[datetime]
