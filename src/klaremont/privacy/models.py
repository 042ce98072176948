"""Privacy-centre tables: customer sign-in sessions.

The browser holds only a random key (PP-COOKIE); the server keeps its SHA-256 and the
state. The table holds no personal value, so erasure deletes its rows and an access copy
leaves them out. (Requests made by e-mail code use the rights capability's challenges.)
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.rights.tags import DATA_CATEGORY, RIGHTS, Handling


class CustomerSession(IdMixin, Base):
    """One signed-in browser of one customer account."""

    __tablename__ = "customer_sessions"
    __table_args__ = (
        {"info": {RIGHTS: Handling.INTERNAL.value, DATA_CATEGORY: "account_password"}},
    )

    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
