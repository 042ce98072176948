"""Privacy-centre tables: customer sign-in sessions and the sign-in throttle.

The browser holds only a random key (PP-COOKIE); the server keeps its SHA-256 and the
state. The table holds no personal value, so erasure deletes its rows and an access copy
leaves them out. (Requests made by e-mail code use the rights capability's challenges.)

The throttle counts failed sign-ins per e-mail address and per client address, each
under a keyed hash (see :mod:`klaremont.privacy.throttle`): it stores neither the address
nor a customer id, and its rows are worthless once their window and pause have passed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling


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


class SignInThrottle(Base):
    """Failed sign-ins of one e-mail address or one client address in the current window.

    ``scope`` is ``"address"`` (the key is the e-mail's blind index) or ``"origin"`` (an
    HMAC of the client address). ``locked_until`` is set when the failures reach the
    policy's limit; sign-in with that key pauses until then.
    """

    __tablename__ = "customer_signin_throttle"
    __table_args__ = ({"info": {RIGHTS: Handling.IGNORE.value}},)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
