"""Evidence files in the console: the manifest and the upload form
(``/staff/incidents/{reference}/evidence``), one file with its chain of custody and the
download form (``.../evidence/{number}``).

Thin over :mod:`klaremont.incidents.evidence`, the service the API calls: the case is found
through :func:`klaremont.incidents.service.find` first (404, audited, for anyone who may not
see it), adding is the team's and the ISO's (checked by the service), a download is
checked against the file's SHA-256 and put on its chain of custody with the reason given
before the file is sent. A refusal draws the page again with the service's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound
from klaremont.incidents import casefile_read, clocks, evidence, service
from klaremont.incidents.casefile_models import WHY_MAX
from klaremont.incidents.evidence_settings import EvidenceSettings
from klaremont.incidents.states import OPEN_STATES
from klaremont.incidents.visibility import Viewer
from klaremont.incidents.web.casefile_api import download_response
from klaremont.incidents.web.pages import ReportPage, viewer_of
from klaremont.incidents.web.views import said
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.incidents.web.views import Staff
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

ADD_LABELS = {"file": "Evidence file", "why": "Why it is taken in"}
DOWNLOAD_LABELS = {"why": "Why you need it"}
DONE = {"added": "Evidence file taken in: encrypted and its SHA-256 recorded."}


def _viewer(staff: Staff) -> Viewer:
    return Viewer.of(staff.username, staff.permissions) if staff else Viewer(None, frozenset())


def manifest_view(uow: UnitOfWork, viewer: Viewer, reference: str) -> dict[str, Any]:
    """The evidence page's values (the viewer may see the case, or NotFound)."""
    incident = service.find(uow, viewer, reference)
    return {
        "reference": incident.reference,
        "items": casefile_read.manifest(uow, incident),
        "can_add": incident.state in OPEN_STATES and viewer.may_act(service.members(uow, incident)),
        "open": incident.state in OPEN_STATES,
    }


def item_view(uow: UnitOfWork, viewer: Viewer, reference: str, number: int) -> dict[str, Any]:
    """One file's page values."""
    incident = service.find(uow, viewer, reference)
    item = evidence.item_of(uow, incident, number)
    return {"reference": incident.reference, "item": casefile_read.evidence_view(uow, item)}


def draw_manifest(
    staff: Staff,
    reference: str,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The evidence page (``view`` ``None``: the upload form alone)."""
    return render(
        "staff/incident_evidence.html",
        status_code=status_code,
        staff=staff,
        reference=view["reference"] if view else reference,
        view=view,
        labels=ADD_LABELS,
        limit=EvidenceSettings().max_megabytes,
        error=error,
        notice=notice,
        uk_short=clocks.uk_short,
    )


def draw_item(
    staff: Staff,
    reference: str,
    number: str,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One file's page (``view`` ``None``: the download form alone)."""
    return render(
        "staff/incident_evidence_item.html",
        status_code=status_code,
        staff=staff,
        reference=view["reference"] if view else reference,
        number=number,
        view=view,
        labels=DOWNLOAD_LABELS,
        error=error,
        uk_short=clocks.uk_short,
        uk_when=clocks.uk_when,
    )


def _params(retry: FormRetry) -> tuple[str, str]:
    params = retry.request.path_params
    return str(params.get("reference", "")), str(params.get("number", ""))


def _read(retry: FormRetry, work: Callable[[UnitOfWork], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return retry.read(work)
    except KlaremontError:
        return None


def _add_again(retry: FormRetry) -> HTMLResponse:
    reference, _ = _params(retry)
    viewer = _viewer(retry.staff)
    view = _read(retry, lambda uow: manifest_view(uow, viewer, reference))
    return draw_manifest(
        retry.staff, reference, view, error="; ".join(retry.errors), status_code=422
    )


def _download_again(retry: FormRetry) -> HTMLResponse:
    reference, number = _params(retry)
    viewer = _viewer(retry.staff)
    view = (
        _read(retry, lambda uow: item_view(uow, viewer, reference, int(number)))
        if number.isdigit()
        else None
    )
    return draw_item(
        retry.staff, reference, number, view, error="; ".join(retry.errors), status_code=422
    )


@router.get("/incidents/{reference}/evidence")
def evidence_page(reference: str, staff: ReportPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """The incident's evidence files, their SHA-256 and the upload form."""
    view = manifest_view(uow, viewer_of(staff), reference)
    finish(uow)
    return draw_manifest(staff, reference, view, notice=DONE.get(done))


@router.post("/incidents/{reference}/evidence")
@form_page(_add_again, ADD_LABELS)
def add_evidence(
    reference: str,
    staff: ReportPage,
    uow: UowDep,
    file: Annotated[UploadFile, File()],
    why: Annotated[str, Form(min_length=1, max_length=WHY_MAX)],
) -> Response:
    """Take a file in (the team and the ISO); then the evidence page."""
    viewer = viewer_of(staff)
    try:
        incident = service.find(uow, viewer, reference)
        reference = incident.reference
        evidence.add(uow, viewer, incident, file.file, file.filename, why)
    except NotFound:
        raise  # not one this person may see: the console's 404 page (the look was audited)
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: manifest_view(uow, viewer, reference))
        finish(uow)
        return draw_manifest(
            staff, reference, view, error=said(exc, ADD_LABELS), status_code=exc.status
        )
    finish(uow)
    return RedirectResponse(f"/staff/incidents/{reference}/evidence?done=added", status_code=303)


def _safe(work: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return work()
    except KlaremontError:
        return None


@router.get("/incidents/{reference}/evidence/{number}")
def evidence_item_page(reference: str, number: int, staff: ReportPage, uow: UowDep) -> HTMLResponse:
    """One evidence file: what was recorded at intake, its custody and the download form."""
    view = item_view(uow, viewer_of(staff), reference, number)
    finish(uow)
    return draw_item(staff, reference, str(number), view)


@router.post("/incidents/{reference}/evidence/{number}/download")
@form_page(_download_again, DOWNLOAD_LABELS)
def download_evidence(
    reference: str,
    number: int,
    staff: ReportPage,
    uow: UowDep,
    why: Annotated[str, Form(min_length=1, max_length=WHY_MAX)],
) -> Response:
    """The file itself, checked and recorded first; refused with the reason on the page."""
    viewer = viewer_of(staff)
    try:
        incident = service.find(uow, viewer, reference)
        reference = incident.reference
        release = evidence.release(uow, viewer, incident, number, why)
    except NotFound:
        raise
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: item_view(uow, viewer, reference, number))
        finish(uow)
        return draw_item(
            staff,
            reference,
            str(number),
            view,
            error=said(exc, DOWNLOAD_LABELS),
            status_code=exc.status,
        )
    finish(uow)
    return download_response(release)
