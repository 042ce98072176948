"""The live-status history: one row each time a clause's live status changes.

The hourly job (:mod:`klaremont.compliance.history`) runs every live check and appends a
row only when a clause's status differs from its newest row, so the newest row of a clause
says what holds now and since when. Clause ids, statuses and the checks' one-line reasons:
no personal data (a check's reason gives counts and references, never a name).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin, UTCDateTime
from klaremont.db.tags import RIGHTS, Handling

CLAUSE_MAX = 32
STATUS_MAX = 16
DETAIL_MAX = 2000
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class ClauseStatusChange(IdMixin, Base):
    """A clause's live status from ``at`` on, and the reason the check gave."""

    __tablename__ = "compliance_status_changes"
    __table_args__ = (
        UniqueConstraint("clause_id", "number", name="uq_compliance_status_changes_number"),
        _INFO,
    )

    clause_id: Mapped[str] = mapped_column(String(CLAUSE_MAX))
    #: 1 for the clause's first recorded status, then 2, 3, ...: the order of its changes
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(STATUS_MAX))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
