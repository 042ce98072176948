"""The members' written reports and the printable timeline in the console.

- ``/staff/incidents/{reference}/member-reports``: a member writes their report once the
  case is recovered and appends amendments afterwards; the ISO and the directors read every
  report; anyone else who may see the case is refused (403, audited), anyone who may not
  gets 404. Thin over :mod:`klaremont.incidents.reports`, the service the API calls.
- ``/staff/incidents/{reference}/timeline``: the printable timeline report
  (:mod:`klaremont.incidents.timeline`), for whoever may see the case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound
from klaremont.incidents import clocks, reports, service, timeline
from klaremont.incidents.visibility import Viewer
from klaremont.incidents.web.pages import ReportPage, viewer_of
from klaremont.incidents.web.views import said
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.incidents.web.views import Staff
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

SUBMIT_LABELS = {"text": "Your written report"}
AMEND_LABELS = {"text": "Amendment to your report"}
DONE = {
    "submitted": "Your written report is in. It cannot be changed; add an amendment if needed.",
    "amended": "Your amendment was added after your report.",
}
TextField = Annotated[str, Form(min_length=1, max_length=reports.REPORT_MAX)]


def reports_view(uow: UnitOfWork, viewer: Viewer, reference: str) -> reports.ReportsView:
    """What this viewer may read of the reports (NotFound, or PermissionDenied, otherwise)."""
    return reports.read(uow, viewer, service.find(uow, viewer, reference))


def draw(
    staff: Staff,
    reference: str,
    view: reports.ReportsView | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    only: str | None = None,
) -> HTMLResponse:
    """The reports page (``view`` ``None``: the form ``only`` names, alone)."""
    return render(
        "staff/incident_member_reports.html",
        status_code=status_code,
        staff=staff,
        reference=view.reference if view else reference,
        view=view,
        submit_labels=SUBMIT_LABELS,
        amend_labels=AMEND_LABELS,
        minimum=reports.REPORT_MIN,
        maximum=reports.REPORT_MAX,
        error=error,
        notice=notice,
        only=only,
        uk_short=clocks.uk_short,
    )


def _again(only: str) -> Callable[[FormRetry], HTMLResponse]:
    def again(retry: FormRetry) -> HTMLResponse:
        reference = str(retry.request.path_params.get("reference", ""))
        staff = retry.staff
        viewer = (
            Viewer.of(staff.username, staff.permissions) if staff else Viewer(None, frozenset())
        )
        try:
            view = retry.read(lambda uow: reports_view(uow, viewer, reference))
        except KlaremontError:
            view = None
        return draw(
            staff, reference, view, error="; ".join(retry.errors), status_code=422, only=only
        )

    return again


def _act(
    uow: UnitOfWork,
    staff: ReportPage,
    reference: str,
    work: Callable[[Incident], object],
    labels: dict[str, str],
    done: str,
) -> Response:
    viewer = viewer_of(staff)
    only = "submit" if done == "submitted" else "amend"
    try:
        incident = service.find(uow, viewer, reference)
        reference = incident.reference
        work(incident)
    except NotFound:
        raise  # not one this person may see: the console's 404 page (the look was audited)
    except KlaremontError as exc:
        uow.session.rollback()
        try:
            view: reports.ReportsView | None = reports_view(uow, viewer, reference)
        except KlaremontError:
            view = None
        finish(uow)
        return draw(
            staff, reference, view, error=said(exc, labels), status_code=exc.status, only=only
        )
    finish(uow)
    return RedirectResponse(
        f"/staff/incidents/{reference}/member-reports?done={done}", status_code=303
    )


@router.get("/incidents/{reference}/member-reports")
def reports_page(reference: str, staff: ReportPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Your report (a member), or every report (the ISO, a director)."""
    view = reports_view(uow, viewer_of(staff), reference)
    finish(uow)
    return draw(staff, view.reference, view, notice=DONE.get(done))


@router.post("/incidents/{reference}/member-reports")
@form_page(_again("submit"), SUBMIT_LABELS)
def submit_report(reference: str, staff: ReportPage, uow: UowDep, text: TextField) -> Response:
    """Submit your written report (once, when the incident is recovered)."""
    viewer = viewer_of(staff)
    return _act(
        uow,
        staff,
        reference,
        lambda i: reports.submit(uow, viewer, i, text),
        SUBMIT_LABELS,
        "submitted",
    )


@router.post("/incidents/{reference}/member-reports/amend")
@form_page(_again("amend"), AMEND_LABELS)
def amend_report(reference: str, staff: ReportPage, uow: UowDep, text: TextField) -> Response:
    """Append an amendment to your submitted report."""
    viewer = viewer_of(staff)
    return _act(
        uow,
        staff,
        reference,
        lambda i: reports.amend(uow, viewer, i, text),
        AMEND_LABELS,
        "amended",
    )


@router.get("/incidents/{reference}/timeline")
def timeline_page(reference: str, staff: ReportPage, uow: UowDep) -> HTMLResponse:
    """The printable timeline report of the incident."""
    viewer = viewer_of(staff)
    found = timeline.build(uow, viewer, service.find(uow, viewer, reference), via="console")
    finish(uow)
    context: dict[str, Any] = timeline.context(found)
    return render("staff/incident_timeline.html", staff=staff, **context)
