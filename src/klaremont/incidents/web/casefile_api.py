"""The case file under ``/api/incidents/{reference}``: evidence files and the members' written
reports.

- ``GET .../evidence`` and ``GET .../evidence/{number}``: the manifest and one file with its
  chain of custody, for whoever may see the incident (404 otherwise, the look audited).
- ``POST .../evidence`` (``multipart/form-data``: ``file``, ``why``): take a file in; the
  ISO and the incident's team, while the case is open.
- ``POST .../evidence/{number}/download`` (``{"why": ...}``): the file's content, checked
  against its SHA-256 first and recorded on its chain of custody before a byte goes out.
- ``GET .../member-reports``: every report for the ISO and the directors, your own for a
  member, 403 (audited) for anyone else; ``POST .../member-reports`` submits yours (once,
  when the case is recovered), ``POST .../member-reports/amendments`` appends an amendment.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import StreamingResponse

from klaremont.incidents import casefile_read, evidence, reports, service
from klaremont.incidents.casefile_models import WHY_MAX
from klaremont.incidents.casefile_schemas import (
    EvidenceOut,
    MemberReportIn,
    ReleaseIn,
    ReportEntryOut,
    ReportsOut,
)
from klaremont.incidents.web.api import Reference, Reporter, viewer_of
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

Number = Annotated[int, Path(ge=1, le=1_000_000, description="the file's number in the case")]
OCTETS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {}},
        "description": "The file's content, as it was taken in",
    }
}


def disposition(name: str) -> str:
    """``Content-Disposition`` for a download named ``name`` (any characters, safely)."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{fallback or 'evidence'}\"; filename*=UTF-8''{quote(name)}"


def download_response(release: evidence.Release) -> StreamingResponse:
    """The released file as a download (never shown inline, never cached)."""
    return StreamingResponse(
        release.chunks(),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": disposition(release.name),
            "Content-Length": str(release.size),
            "Cache-Control": "no-store",
        },
    )


@router.get("/{reference}/evidence", response_model=list[EvidenceOut])
def list_evidence(reference: Reference, staff: Reporter, uow: UowDep) -> list[EvidenceOut]:
    """The incident's evidence files, each with its SHA-256 and chain of custody."""
    incident = service.find(uow, viewer_of(staff), reference)
    return [EvidenceOut.of(view) for view in casefile_read.manifest(uow, incident)]


@router.post("/{reference}/evidence", response_model=EvidenceOut, status_code=201)
def add_evidence(
    reference: Reference,
    staff: Reporter,
    uow: UowDep,
    file: Annotated[UploadFile, File(description="the evidence file")],
    why: Annotated[str, Form(min_length=3, max_length=WHY_MAX, description="why it is taken in")],
) -> EvidenceOut:
    """Take a file in: stored encrypted, its SHA-256 recorded (the team and the ISO)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    item = evidence.add(uow, viewer, incident, file.file, file.filename, why)
    answer = EvidenceOut.of(casefile_read.evidence_view(uow, item))
    finish(uow)
    return answer


@router.get("/{reference}/evidence/{number}", response_model=EvidenceOut)
def show_evidence(
    reference: Reference, number: Number, staff: Reporter, uow: UowDep
) -> EvidenceOut:
    """One evidence file and its chain of custody."""
    incident = service.find(uow, viewer_of(staff), reference)
    return EvidenceOut.of(casefile_read.evidence_view(uow, evidence.item_of(uow, incident, number)))


@router.post(
    "/{reference}/evidence/{number}/download",
    response_class=StreamingResponse,
    responses=OCTETS,
)
def download_evidence(
    reference: Reference, number: Number, body: ReleaseIn, staff: Reporter, uow: UowDep
) -> StreamingResponse:
    """The file's content, checked first; recorded on its chain of custody with your reason."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    release = evidence.release(uow, viewer, incident, number, body.why)
    finish(uow)
    return download_response(release)


@router.get("/{reference}/member-reports", response_model=ReportsOut)
def member_reports(reference: Reference, staff: Reporter, uow: UowDep) -> ReportsOut:
    """The written reports you may read: all (ISO, directors) or your own (a member)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    answer = ReportsOut.of(reports.read(uow, viewer, incident))
    finish(uow)
    return answer


@router.post("/{reference}/member-reports", response_model=ReportEntryOut, status_code=201)
def submit_member_report(
    reference: Reference, body: MemberReportIn, staff: Reporter, uow: UowDep
) -> ReportEntryOut:
    """Submit your written report (once; when the incident is recovered)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    row = reports.submit(uow, viewer, incident, body.text, member=body.member)
    answer = ReportEntryOut(
        number=row.number, text=body.text, entered_by=row.entered_by, submitted_at=row.submitted_at
    )
    finish(uow)
    return answer


@router.post(
    "/{reference}/member-reports/amendments", response_model=ReportEntryOut, status_code=201
)
def amend_member_report(
    reference: Reference, body: MemberReportIn, staff: Reporter, uow: UowDep
) -> ReportEntryOut:
    """Append an amendment to your submitted report (the report itself never changes)."""
    viewer = viewer_of(staff)
    incident = service.find(uow, viewer, reference)
    row = reports.amend(uow, viewer, incident, body.text, member=body.member)
    answer = ReportEntryOut(
        number=row.number, text=body.text, entered_by=row.entered_by, submitted_at=row.submitted_at
    )
    finish(uow)
    return answer
