"""The data subject: the person whose data Klaremont holds, shared by every capability.

A :class:`Subject` holds no personal values, only the processing state that the purpose
check and the rights machinery read (restriction, marketing objection, erasure). Its data
key (crypto-shredding) is keyed by its id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Nobody: records kept for statistics after every link to their person was removed
#: (anonymised orders) point here. It has no data key, no account and no personal value.
NOBODY: Final = uuid.UUID("00000000-0000-4000-8000-000000000000")


class Subject(IdMixin, Base):
    """A person whose data Klaremont holds. No personal values live here."""

    __tablename__ = "data_subjects"

    created_at: Mapped[datetime]
    restricted_at: Mapped[datetime | None]
    restriction_reason: Mapped[str | None] = mapped_column(String(200))
    marketing_objection_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]


def nobody(session: Session, now: datetime) -> uuid.UUID:
    """The :data:`NOBODY` subject, created on first use."""
    if session.get(Subject, NOBODY) is None:
        session.add(Subject(id=NOBODY, created_at=now, restricted_at=now, erased_at=now))
        session.flush()
    return NOBODY
