"""API shapes of the case file: evidence files with their custody, and the members' written
reports. References and numbers, never a row id."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from klaremont.incidents.casefile_models import WHY_MAX
from klaremont.incidents.models import NAME_MAX
from klaremont.incidents.reports import REPORT_MAX, REPORT_MIN

if TYPE_CHECKING:
    from klaremont.incidents.casefile_read import CustodyView, EvidenceView
    from klaremont.incidents.reports import ReportsView

Why = Annotated[str, Field(min_length=3, max_length=WHY_MAX, description="why, in plain words")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustodyOut(BaseModel):
    """One handling of an evidence file."""

    number: int
    handling: str = Field(description="added, downloaded, exported or verified")
    finding: str = Field(description="for a verification: intact, altered, missing, unreadable")
    note: str
    why: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, view: CustodyView) -> CustodyOut:
        """From the plain values."""
        return cls(
            number=view.number,
            handling=view.handling,
            finding=view.finding,
            note=view.note,
            why=view.why,
            actor=view.actor,
            at=view.at,
        )


class EvidenceOut(BaseModel):
    """One evidence file: what was recorded at intake and its chain of custody."""

    number: int
    name: str
    size: int = Field(description="bytes")
    sha256: str = Field(description="SHA-256 (hex) of the content, taken at intake")
    why: str
    added_by: str
    added_at: datetime
    custody: list[CustodyOut]

    @classmethod
    def of(cls, view: EvidenceView) -> EvidenceOut:
        """From the plain values."""
        return cls(
            number=view.number,
            name=view.name,
            size=view.size,
            sha256=view.sha256,
            why=view.why,
            added_by=view.added_by,
            added_at=view.added_at,
            custody=[CustodyOut.of(entry) for entry in view.custody],
        )


class ReleaseIn(_In):
    """Why the evidence file is wanted (recorded on its chain of custody)."""

    why: Why


class MemberReportIn(_In):
    """A member's written report, or an amendment to it."""

    text: Annotated[str, Field(min_length=REPORT_MIN, max_length=REPORT_MAX)]
    member: Annotated[str, Field(min_length=1, max_length=NAME_MAX)] | None = Field(
        default=None,
        description="whose report (the ISO entering a paper report); empty for your own",
    )


class ReportEntryOut(BaseModel):
    """One report (number 1) or amendment (2, 3 ...), opened."""

    number: int
    text: str
    entered_by: str
    submitted_at: datetime


class SeatReportOut(BaseModel):
    """One seat's holder and their report (entries only when you may read them)."""

    seat: str
    member: str
    full_name: str
    submitted_at: datetime | None
    amendments: int
    entries: list[ReportEntryOut]


class ReportsOut(BaseModel):
    """The written reports of one incident, as you may read them."""

    reference: str
    reads_all: bool = Field(description="true for the ISO and the directors")
    seats: list[SeatReportOut]
    missing: list[str] = Field(description="members whose report is not in")

    @classmethod
    def of(cls, view: ReportsView) -> ReportsOut:
        """From the plain values."""
        return cls(
            reference=view.reference,
            reads_all=view.reads_all,
            seats=[
                SeatReportOut(
                    seat=s.seat,
                    member=s.username,
                    full_name=s.full_name,
                    submitted_at=s.submitted_at,
                    amendments=s.amendments,
                    entries=[
                        ReportEntryOut(
                            number=e.number,
                            text=e.text,
                            entered_by=e.entered_by,
                            submitted_at=e.submitted_at,
                        )
                        for e in s.entries
                    ],
                )
                for s in view.seats
            ],
            missing=[s.username for s in view.seats if s.submitted_at is None],
        )
