"""Evidence files of an incident and their chain of custody (SP-IRP-EVIDENCE), and the
written reports of the team's members (SP-IRT-REPORT).

- ``incident_evidence``: one row per file taken in: its original name (checked plain text),
  size and the SHA-256 of its plaintext recorded at intake, where the encrypted copy lies
  under the evidence directory, who added it, when and why. The file itself is sealed in
  chunks with AES-256-GCM under a data key of its own in the keystore
  (:mod:`klaremont.incidents.evidence_file`).
- ``incident_custody``: every handling of a file (added, downloaded, exported, verified),
  numbered per file, with who, when and why; each entry keeps the SHA-256 of its content
  and the sequence number of the audit event carrying the same digest.
- ``incident_member_reports``: each member's written report (number 1) and the amendments
  appended after it (2, 3 ...), sealed under the incident's own key in the keystore;
  readable through :mod:`klaremont.incidents.reports` only.

All three tables are append-only in the database (UPDATE and DELETE refused by triggers,
:mod:`klaremont.incidents.append_only`), like ``incident_actions``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from klaremont.db.base import Base, IdMixin
from klaremont.db.columns import enum_column
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.incidents.models import ACTOR_ID_MAX, NAME_MAX
from klaremont.incidents.team import Seat
from klaremont.policy.model import DataCategory

FILE_NAME_MAX = 255
WHY_MAX = 1000
_INFO = {
    "info": {RIGHTS: Handling.IGNORE.value, DATA_CATEGORY: DataCategory.INCIDENT_RECORDS.value}
}


class CustodyHandling(StrEnum):
    """What was done with an evidence file."""

    ADDED = "added"
    DOWNLOADED = "downloaded"  # its content delivered to someone in the console or the API
    EXPORTED = "exported"  # its content written to a file at the shell
    VERIFIED = "verified"  # decrypted and re-hashed against the SHA-256 taken at intake


class Finding(StrEnum):
    """What a verification found."""

    INTACT = "intact"
    ALTERED = "altered"
    MISSING = "missing"
    UNREADABLE = "unreadable"  # its data key cannot be used (destroyed, or its KEK lost)


HANDLING_WORDS: Final = {
    CustodyHandling.ADDED: "Added",
    CustodyHandling.DOWNLOADED: "Downloaded",
    CustodyHandling.EXPORTED: "Exported",
    CustodyHandling.VERIFIED: "Verified",
}
FINDING_WORDS: Final = {
    Finding.INTACT: "intact",
    Finding.ALTERED: "ALTERED",
    Finding.MISSING: "MISSING",
    Finding.UNREADABLE: "UNREADABLE",
}


class IncidentEvidence(IdMixin, Base):
    """One evidence file taken into an incident (SP-IRP-EVIDENCE)."""

    __tablename__ = "incident_evidence"
    __table_args__ = (
        UniqueConstraint("incident_id", "number", name="uq_incident_evidence_number"),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within the incident
    original_name: Mapped[str] = mapped_column(String(FILE_NAME_MAX))
    size: Mapped[int] = mapped_column(BigInteger)  # bytes of the plaintext
    sha256: Mapped[str] = mapped_column(String(64))  # of the plaintext, taken at intake
    stored_as: Mapped[str] = mapped_column(String(200))  # under the evidence directory
    key_version: Mapped[int] = mapped_column(Integer)  # of the file's data key
    why: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(NAME_MAX))
    added_at: Mapped[datetime]


class IncidentCustody(IdMixin, Base):
    """One handling of an evidence file: the chain of custody, append-only and audited."""

    __tablename__ = "incident_custody"
    __table_args__ = (
        UniqueConstraint("evidence_id", "number", name="uq_incident_custody_number"),
        Index("ix_incident_custody_incident", "incident_id"),
        _INFO,
    )

    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident_evidence.id"))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1 is always "added"
    handling: Mapped[CustodyHandling] = enum_column(CustodyHandling, 16)
    finding: Mapped[Finding | None] = enum_column(Finding, 16, nullable=True)
    note: Mapped[str | None] = mapped_column(String(500))  # what a verification found, in words
    why: Mapped[str] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(ACTOR_ID_MAX))
    actor_name: Mapped[str] = mapped_column(String(NAME_MAX))
    at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the entry, also audited
    audit_seq: Mapped[int] = mapped_column(BigInteger)


class IncidentMemberReport(IdMixin, Base):
    """A team member's written report (number 1) or an amendment appended to it (SP-IRT-REPORT)."""

    __tablename__ = "incident_member_reports"
    __table_args__ = (
        UniqueConstraint(
            "incident_id", "username", "number", name="uq_incident_member_reports_number"
        ),
        _INFO,
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    username: Mapped[str] = mapped_column(String(NAME_MAX))  # whose report it is
    full_name: Mapped[str] = mapped_column(String(200))
    seat: Mapped[Seat | None] = enum_column(Seat, 24, nullable=True)  # held when submitted
    number: Mapped[int] = mapped_column(Integer)  # 1 the report, 2 ... its amendments
    body: Mapped[bytes] = mapped_column(LargeBinary)  # sealed under the incident's key
    entered_by: Mapped[str] = mapped_column(String(NAME_MAX))  # the member, or who transcribed it
    submitted_at: Mapped[datetime]
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the entry (sealed body), audited
    audit_seq: Mapped[int] = mapped_column(BigInteger)


class IncidentPurge(Base):
    """An ended incident whose record a retention run purged (``retention.incident_records``).

    Written in the purge's own transaction before anything of the case goes: the append-only
    tables' triggers let a row go only when its incident has such a line and is closed or
    dismissed (:mod:`klaremont.incidents.append_only`). Itself append-only: the line stays
    as the record that the case was purged, and when (the reference is not personal).
    """

    __tablename__ = "incident_purges"
    __table_args__ = ({"info": {RIGHTS: Handling.IGNORE.value}},)

    incident_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no key: the case goes
    reference: Mapped[str] = mapped_column(String(16))
    ended_at: Mapped[datetime]  # when the case was closed or dismissed
    purged_at: Mapped[datetime]
