"""The data subject: the person whose data Klaremont holds, shared by every capability.

A :class:`Subject` holds no personal values, only the processing state that the purpose
check and the rights machinery read (restriction, marketing objection, erasure). Its data
key (crypto-shredding) is keyed by its id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin


class Subject(IdMixin, Base):
    """A person whose data Klaremont holds. No personal values live here."""

    __tablename__ = "data_subjects"

    created_at: Mapped[datetime]
    restricted_at: Mapped[datetime | None]
    restriction_reason: Mapped[str | None] = mapped_column(String(200))
    marketing_objection_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
