"""The record of sanitised copies made from this data store: one row per run.

It names the source and the target (passwords hidden), who ran it, the outcome and the
report (JSON: every table and column with its rule, the counts and the verification). It
holds no personal value and never the run key (only a short keyed fingerprint).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.tags import RIGHTS, Handling

URL_MAX = 400
NAME_MAX = 128


class SanitizeRun(IdMixin, Base):
    """One sanitised copy (or one attempt that failed verification and was deleted)."""

    __tablename__ = "sanitize_runs"
    __table_args__ = ({"info": {RIGHTS: Handling.IGNORE.value}},)

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(NAME_MAX))
    source: Mapped[str] = mapped_column(String(URL_MAX))
    target: Mapped[str] = mapped_column(String(URL_MAX))
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    passed: Mapped[bool] = mapped_column(Boolean)
    rows_written: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)
