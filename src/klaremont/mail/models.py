"""The outbox: every mail Klaremont sends waits here until the SMTP server accepts it.

The recipient and the body are sealed under the recipient's data key (the body holds a
verification code or a link, which is a secret until used), and the body is dropped once
the message is sent. ``last_error`` holds an exception class or an SMTP reply code only,
never the server's text, which can echo the address.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.crypto.fields import SealedMixin, sealed
from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling


class MailStatus(StrEnum):
    """Where a message is."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(SealedMixin, IdMixin, Base):
    """One message to one person."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        # Erasure deletes queued and sent mail; an access copy leaves out codes and links.
        {"info": {RIGHTS: Handling.INTERNAL.value, DATA_CATEGORY: "data_subject_requests"}},
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    template: Mapped[str] = mapped_column(String(32))
    subject_line: Mapped[str] = mapped_column(String(200))
    to_address = sealed()
    body = sealed()
    status: Mapped[MailStatus] = mapped_column(String(16), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
