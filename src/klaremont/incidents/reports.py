"""The written report each member of the response team submits at the end (SP-IRT-REPORT).

- **Who writes.** Every person sitting on the incident's team writes one report once the
  case is recovered (the end of the response, before it closes). The ISO may also enter a
  member's paper report on their behalf (``entered_by`` says who typed it in).
- **Stored securely.** The text is sealed with AES-256-GCM under the incident's own data
  key in the keystore, bound to its table, column and row; the row keeps a digest of its
  content (the sealed text included) that is also in an audit event of the same
  transaction, and the table is append-only in the database.
- **Never changed.** A submitted report stays as it was; a correction is an amendment
  appended after it (numbered 2, 3 ...), each an audit event, allowed until and after the
  close.
- **Who reads.** The ISO and the directors (``incidents:member_reports``) read every
  report; a member reads their own; nobody else, whatever else they may see of the case
  (the DPO included). Each read of report text is audited; a refused read is audited and
  answered 403.
- **Closing** needs a report from each seat's holder: :func:`missing` is one of the
  workflow's closing checks and names each member whose report is missing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.audit.events import Outcome
from klaremont.audit.models import AuditEvent
from klaremont.detectors.free_text import plain
from klaremont.errors import Conflict, FieldProblem, PermissionDenied, ValidationFailed
from klaremont.incidents import log
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.casefile_models import IncidentMemberReport
from klaremont.incidents.models import NAME_MAX, IncidentSeat
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.states import STATE_WORDS, ActionKind, IncidentState
from klaremont.incidents.team import SEAT_WORDS, SEATS, Seat

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

TABLE = "incident_member_reports"
COLUMN = "body"
REPORT_MIN = 20
REPORT_MAX = 20_000
AMEND_STATES = frozenset({IncidentState.RECOVERED, IncidentState.CLOSED})


def reads_all(viewer: Viewer) -> bool:
    """The ISO and the directors read every member's report."""
    return viewer.manages or IncidentPermission.INCIDENTS_MEMBER_REPORTS.value in viewer.permissions


def _seats(uow: UnitOfWork, incident: Incident) -> dict[Seat, IncidentSeat]:
    rows = uow.session.scalars(select(IncidentSeat).where(IncidentSeat.incident_id == incident.id))
    return {row.seat: row for row in rows}


def _seats_by_username(uow: UnitOfWork, incident: Incident) -> dict[str, IncidentSeat]:
    return {row.username: row for row in _seats(uow, incident).values()}


def _rows(
    uow: UnitOfWork, incident: Incident, username: str | None = None
) -> list[IncidentMemberReport]:
    query = select(IncidentMemberReport).where(IncidentMemberReport.incident_id == incident.id)
    if username is not None:
        query = query.where(IncidentMemberReport.username == username)
    return list(
        uow.session.scalars(
            query.order_by(IncidentMemberReport.username, IncidentMemberReport.number)
        )
    )


def _refuse(uow: UnitOfWork, incident: Incident, why: str, said: str) -> PermissionDenied:
    reference, resource = incident.reference, log.resource_of(incident)
    uow.keep_only_refusal(
        lambda: uow.audit(
            IncidentAction.ACCESS_DENIED,
            Outcome.DENIED,
            resource=f"{resource}/member-reports",
            details={"reference": reference, "why": why},
        )
    )
    return PermissionDenied(said)


def entry_digest(row: IncidentMemberReport) -> str:
    """SHA-256 (hex) of a report entry's content (its sealed text included), canonical JSON."""
    content = {
        "incident": str(row.incident_id),
        "member": row.username,
        "number": row.number,
        "seat": row.seat.value if row.seat else None,
        "entered_by": row.entered_by,
        "at": row.submitted_at.strftime(log.TIME_FORMAT),
        "body": hashlib.sha256(bytes(row.body)).hexdigest(),
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _member(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, member: str | None
) -> tuple[str, IncidentSeat]:
    """Whose report this is, and their seat; refused for anyone off the team."""
    seated = _seats_by_username(uow, incident)
    who = (member or "").strip() or viewer.username
    if who is None:
        raise ValidationFailed.single("member", "say whose report it is (their username)")
    if who != viewer.username and not viewer.manages:
        raise _refuse(
            uow,
            incident,
            "a report written for someone else",
            "Only the Information Security Officer may enter a report for another member.",
        )
    if who not in seated:
        if who == viewer.username:
            raise _refuse(
                uow,
                incident,
                "a report from someone off the team",
                f"Only the members of the response team of {incident.reference} write a report.",
            )
        raise ValidationFailed.single("member", f"{who} does not sit on the team")
    return who, seated[who]


def _append(  # noqa: PLR0917 - the case, whose, which entry and its text
    uow: UnitOfWork,
    incident: Incident,
    seat: IncidentSeat,
    number: int,
    text: str,
    action: IncidentAction,
) -> IncidentMemberReport:
    row_id = uuid.uuid4()
    row = IncidentMemberReport(
        id=row_id,
        incident_id=incident.id,
        username=seat.username,
        full_name=seat.full_name,
        seat=seat.seat,
        number=number,
        body=uow.crypto.seal(incident.id, TABLE, COLUMN, row_id, text),
        entered_by=(uow.actor.label or uow.actor.id)[:NAME_MAX],
        submitted_at=uow.clock.now(),
        digest="",
        audit_seq=0,
    )
    row.digest = entry_digest(row)
    event = uow.audit(
        action,
        resource=f"{log.resource_of(incident)}/member-reports/{seat.username}",
        details={
            "reference": incident.reference,
            "member": seat.username,
            "number": number,
            "digest": row.digest,
        },
    )
    row.audit_seq = event.seq
    uow.session.add(row)
    uow.session.flush()
    whose = f"{seat.full_name} ({seat.username}), {SEAT_WORDS[seat.seat].lower()}"
    said = (
        f"Written report of {whose} submitted."
        if number == 1
        else f"Amendment {number - 1} to the written report of {whose} appended."
    )
    log.append(uow, incident, ActionKind.COMMUNICATION, said)
    return row


def submit(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, text: str, *, member: str | None = None
) -> IncidentMemberReport:
    """A member's written report (once); ``member`` for the ISO entering a paper report."""
    who, seat = _member(uow, viewer, incident, member)
    if incident.state is not IncidentState.RECOVERED:
        raise Conflict(
            f"{incident.reference} is “{STATE_WORDS[incident.state]}”: the written reports "
            "are submitted once it is recovered, before it closes."
        )
    if _rows(uow, incident, who):
        raise Conflict(
            f"The written report of {who} was already submitted: it cannot be changed; "
            "append an amendment instead."
        )
    said = plain("text", text, max_length=REPORT_MAX, min_length=REPORT_MIN)
    return _append(uow, incident, seat, 1, said, IncidentAction.MEMBER_REPORT_SUBMITTED)


def amend(
    uow: UnitOfWork, viewer: Viewer, incident: Incident, text: str, *, member: str | None = None
) -> IncidentMemberReport:
    """Append an amendment to a submitted report (the report itself never changes)."""
    who, seat = _member(uow, viewer, incident, member)
    if incident.state not in AMEND_STATES:
        raise Conflict(
            f"{incident.reference} is “{STATE_WORDS[incident.state]}”: there is no written "
            "report to amend yet."
        )
    log.lock_case(uow, incident.id)
    last = uow.session.scalar(
        select(func.max(IncidentMemberReport.number)).where(
            IncidentMemberReport.incident_id == incident.id,
            IncidentMemberReport.username == who,
        )
    )
    if not last:
        raise Conflict(f"{who} has not submitted a written report yet: submit it first.")
    said = plain("text", text, max_length=REPORT_MAX, min_length=REPORT_MIN)
    return _append(uow, incident, seat, last + 1, said, IncidentAction.MEMBER_REPORT_AMENDED)


@dataclass(frozen=True, slots=True)
class EntryView:
    """One report or amendment, opened."""

    number: int
    text: str
    entered_by: str
    submitted_at: datetime

    @property
    def is_amendment(self) -> bool:
        """Everything after the report itself."""
        return self.number > 1


@dataclass(frozen=True, slots=True)
class SeatReport:
    """One seat's holder and where their report stands (no text)."""

    seat: str
    seat_words: str
    username: str
    full_name: str
    submitted_at: datetime | None
    amendments: int
    entries: list[EntryView] = field(default_factory=list)  # filled only for a reader


@dataclass(frozen=True, slots=True)
class ReportsView:
    """The reports of one incident as one viewer may see them."""

    reference: str
    state: str
    seats: list[SeatReport]
    reads_all: bool
    own: str | None  # the viewer's username when they sit on the team
    can_submit: bool
    can_amend: bool


def status(uow: UnitOfWork, incident: Incident) -> list[SeatReport]:
    """Each seat's holder and whether their report is in (never the text)."""
    rows = _rows(uow, incident)
    seats = _seats(uow, incident)
    found: list[SeatReport] = []
    for seat in SEATS:
        holder = seats.get(seat)
        if holder is None:
            continue
        theirs = [r for r in rows if r.username == holder.username]
        found.append(
            SeatReport(
                seat.value,
                SEAT_WORDS[seat],
                holder.username,
                holder.full_name,
                theirs[0].submitted_at if theirs else None,
                max(len(theirs) - 1, 0),
            )
        )
    return found


def read(uow: UnitOfWork, viewer: Viewer, incident: Incident) -> ReportsView:
    """The reports ``viewer`` may read, opened; the read of any text is audited."""
    everyone = reads_all(viewer)
    seated = _seats_by_username(uow, incident)
    own = viewer.username if viewer.username in seated else None
    if not everyone and own is None:
        raise _refuse(
            uow,
            incident,
            "member reports need the ISO, a director or a seat on the team",
            "Only the Information Security Officer, the directors and the member who wrote "
            "it may read a written report.",
        )
    rows = _rows(uow, incident, None if everyone else own)
    opened: dict[str, list[EntryView]] = {}
    for row in rows:
        text = uow.crypto.open(incident.id, TABLE, COLUMN, row.id, bytes(row.body))
        opened.setdefault(row.username, []).append(
            EntryView(row.number, text, row.entered_by, row.submitted_at)
        )
    if rows:
        uow.audit(
            IncidentAction.MEMBER_REPORTS_READ,
            resource=f"{log.resource_of(incident)}/member-reports",
            details={
                "reference": incident.reference,
                "members": sorted(opened),
                "entries": len(rows),
            },
        )
    seats = [
        SeatReport(
            s.seat,
            s.seat_words,
            s.username,
            s.full_name,
            s.submitted_at,
            s.amendments,
            opened.get(s.username, []),
        )
        for s in status(uow, incident)
    ]
    submitted = own is not None and own in opened
    return ReportsView(
        reference=incident.reference,
        state=incident.state.value,
        seats=seats,
        reads_all=everyone,
        own=own,
        can_submit=own is not None and not submitted and incident.state is IncidentState.RECOVERED,
        can_amend=submitted and incident.state in AMEND_STATES,
    )


def missing(uow: UnitOfWork, incident: Incident) -> list[FieldProblem]:
    """Closing check: each seat holder whose written report is not in, named."""
    return [
        FieldProblem(
            f"member_reports.{s.seat}",
            f"the written report of {s.full_name} ({s.username}), "
            f"{s.seat_words.lower()}, is missing",
        )
        for s in status(uow, incident)
        if s.submitted_at is None
    ]


@dataclass(frozen=True, slots=True)
class BrokenReport:
    """A report entry that no longer matches its digest or its audit event."""

    incident_id: uuid.UUID
    member: str
    number: int
    why: str


def verify(uow: UnitOfWork, references: dict[uuid.UUID, str]) -> tuple[int, list[BrokenReport]]:
    """Check every report entry of the given incidents: (checked, broken). No text is opened."""
    checked = 0
    broken: list[BrokenReport] = []
    rows = uow.session.scalars(
        select(IncidentMemberReport).where(IncidentMemberReport.incident_id.in_(list(references)))
    )
    for row in rows:
        checked += 1
        why = None
        event = uow.session.get(AuditEvent, row.audit_seq)
        if entry_digest(row) != row.digest:
            why = "its content no longer matches its digest (edited)"
        elif event is None or not event.action.startswith("incident.member_report_"):
            why = "its audit event is missing"
        else:
            details = event.details_dict()
            recorded = (details.get("reference"), details.get("member"), details.get("number"))
            if recorded != (references[row.incident_id], row.username, row.number) or (
                details.get("digest") != row.digest
            ):
                why = "its digest differs from the one in the audit log"
        if why:
            broken.append(BrokenReport(row.incident_id, row.username, row.number, why))
    return checked, broken
