"""Recorded scans: one row per finished scan, and its report (masked samples only).

A run keeps what the console lists and the live checks read (when, who, counts per kind,
how much card data remained, whether an incident was raised); its report is the JSON of
:func:`klaremont.scan.reports.to_json` in a table of its own, read only when someone opens
the run. Neither holds a value found: a finding's sample is masked by the detector (a card
number's last four digits, a key name for a card code), and the counts are numbers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import RIGHTS, Handling

REFERENCE_MAX = 16
LABEL_MAX = 200
NAME_MAX = 128
KINDS_MAX = 400
INCIDENT_MAX = 200
_INFO = {"info": {RIGHTS: Handling.IGNORE.value}}


class ScanStatus(StrEnum):
    """What a finished scan found, in one word (the words people read are in the pages)."""

    CLEAN = "clean"  # nothing but published test card numbers
    FINDINGS = "findings"  # personal data or secrets, no card data
    CARD_DATA = "card_data"  # card numbers, track data or card codes not accepted


STATUS_WORDS = {
    ScanStatus.CLEAN: "Clean",
    ScanStatus.FINDINGS: "Findings to review",
    ScanStatus.CARD_DATA: "Card data found",
}


class ScanRun(IdMixin, Base):
    """One finished scan: what it looked at, for what, and what it found (counts only)."""

    __tablename__ = "scan_runs"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_scan_runs_reference"),
        Index("ix_scan_runs_own_finished", "own_data", "finished_at"),
        _INFO,
    )

    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    #: a scan of Klaremont's own data (the daily job, ``--self``, the console's button)
    own_data: Mapped[bool] = mapped_column(Boolean)
    #: who or what started it: a member of staff, or the platform's job
    actor_id: Mapped[str] = mapped_column(String(NAME_MAX))
    actor_name: Mapped[str] = mapped_column(String(NAME_MAX))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    bytes: Mapped[int] = mapped_column(BigInteger)
    seconds: Mapped[float] = mapped_column(Float)
    #: the kinds looked for, comma-separated (``card-number,track-data,...``)
    kinds: Mapped[str] = mapped_column(String(KINDS_MAX))
    status: Mapped[ScanStatus] = enum_column(ScanStatus, 16)
    #: JSON: kind -> exact count not accepted by the allow-list
    counts: Mapped[str] = mapped_column(Text)
    #: JSON: kind -> exact count the allow-list accepted
    accepted: Mapped[str] = mapped_column(Text)
    #: card numbers, track data and card codes not accepted (exact counts, summed)
    card_data: Mapped[int] = mapped_column(Integer)
    problems: Mapped[int] = mapped_column(Integer)
    incident_raised: Mapped[bool] = mapped_column(Boolean)
    #: what the incident capability answered ("raised INC-2026-0003", "noted on ...")
    incident: Mapped[str | None] = mapped_column(String(INCIDENT_MAX))


class ScanReport(IdMixin, Base):
    """A run's whole report as JSON (findings with masked samples only)."""

    __tablename__ = "scan_reports"
    __table_args__ = (UniqueConstraint("run_id", name="uq_scan_reports_run"), _INFO)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scan_runs.id"))
    report: Mapped[str] = mapped_column(Text)
