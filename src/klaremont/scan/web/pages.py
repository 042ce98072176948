"""The scans console: recorded scans and the state of Klaremont's own data
(``/staff/scans``), one scan with its findings (``/staff/scans/{reference}``) and its
reports, and a button that scans the platform's own data now.

Thin over the service the API, the CLI and the daily job call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError
from klaremont.scan import service
from klaremont.scan.permissions import ScanPermission
from klaremont.scan.web import views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(ScanPermission.SCANS_READ, page=True))]
RunPage = Annotated[StaffPrincipal, Depends(require(ScanPermission.SCANS_RUN, page=True))]
DONE = {"scanned": "Scan finished and recorded."}


@router.get("/scans")
def scans_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Recorded scans, newest first, and what the latest scan of the platform's data found."""
    return views.draw("scans.html", staff, views.list_view(uow))


@router.post("/scans/run")
def scans_run(staff: RunPage, uow: UowDep) -> Response:
    """Scan Klaremont's own data now and record it; then the run's page."""
    try:
        result = service.scan_own_data(uow.platform.settings)
        reference = service.record(uow, result, raise_incident=True)
    except KlaremontError as exc:
        uow.session.rollback()
        view = views.list_view(uow)
        finish(uow)
        return views.draw("scans.html", staff, view, error=exc.detail, status_code=exc.status)
    finish(uow)
    return RedirectResponse(f"/staff/scans/{reference}?done=scanned", status_code=303)


@router.get("/scans/{reference}")
def scan_page(reference: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One recorded scan: the summary and the findings, masked."""
    view = views.run_view(uow, reference)
    return views.draw("scan.html", staff, view, notice=DONE.get(done))


@router.get("/scans/{reference}/report.json")
def scan_report_json(reference: str, _: ReadPage, uow: UowDep) -> Response:
    """The report as JSON (a download)."""
    return views.report_response(uow, service.get(uow, reference), "json")


@router.get("/scans/{reference}/report.sarif")
def scan_report_sarif(reference: str, _: ReadPage, uow: UowDep) -> Response:
    """The report as SARIF (a download)."""
    return views.report_response(uow, service.get(uow, reference), "sarif")


@router.get("/scans/{reference}/report.html")
def scan_report_html(reference: str, _: ReadPage, uow: UowDep) -> Response:
    """The report as a standalone page to print or file."""
    return views.report_response(uow, service.get(uow, reference), "html")
