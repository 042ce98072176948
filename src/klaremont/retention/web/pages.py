"""The retention console (``/staff/retention``): the schedule, the runs and the holds; a
preview of what is due (a dry run, drawn afresh on every visit: cheap and audited), "Run
now" for those who may, each run's page and its reports, and the Data Protection Officer's
litigation holds as forms (:mod:`klaremont.retention.web.hold_pages`).

Thin over the services the API and the CLI call. A refusal draws the page again with the
service's words, naming the field by the label the form shows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError
from klaremont.retention import engine
from klaremont.retention.permissions import RetentionPermission
from klaremont.retention.report import to_html
from klaremont.retention.runs import RunInProgress
from klaremont.retention.web import hold_pages, views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[
    StaffPrincipal, Depends(require(RetentionPermission.RETENTION_READ, page=True))
]
RunPage = Annotated[StaffPrincipal, Depends(require(RetentionPermission.RETENTION_RUN, page=True))]
DONE = {"run": "The run finished."}
BUSY = "Another retention run is working now: wait for it to finish, then look at its page."

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _console(staff: StaffPrincipal, uow: UnitOfWork, **kw: Any) -> HTMLResponse:
    return views.draw("retention.html", staff, views.console_view(uow), **kw)


@router.get("/retention")
def retention_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The schedule, the latest runs and the litigation holds in force."""
    return _console(staff, uow)


# --- the preview -------------------------------------------------------------------------


def _dry_run(uow: UnitOfWork) -> engine.Report:
    finish(uow)
    return engine.dry_run(uow.platform, actor=uow.actor)


@router.get("/retention/preview")
def retention_preview(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """What a run would do now: a dry run, recorded and audited, changing nothing."""
    report = _dry_run(uow)
    view = views.report_view(uow.policy, report)
    downloads = "/staff/retention/preview/report"
    return views.draw("retention_result.html", staff, view, downloads=downloads)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _html_report(report: engine.Report) -> Response:
    """The standalone report, as a download whose own style is all it may apply."""
    page = to_html(report)
    headers = _attachment(f"retention-{report.reference}.html")
    style = _STYLE.search(page)
    if style is not None:
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'"
        )
    return HTMLResponse(page, headers=headers)


def _json_report(report: engine.Report) -> Response:
    return Response(
        json.dumps(report.as_dict(), indent=2),
        media_type="application/json",
        headers=_attachment(f"retention-{report.reference}.json"),
    )


@router.get("/retention/preview/report.html")
def retention_preview_html(_: ReadPage, uow: UowDep) -> Response:
    """What is due now as a standalone HTML report (a fresh dry run)."""
    return _html_report(_dry_run(uow))


@router.get("/retention/preview/report.json")
def retention_preview_json(_: ReadPage, uow: UowDep) -> Response:
    """What is due now as JSON (a fresh dry run), every pseudonymous id included."""
    return _json_report(_dry_run(uow))


# --- runs --------------------------------------------------------------------------------


@router.post("/retention/run")
def retention_run(staff: RunPage, uow: UowDep) -> Response:
    """Carry out the schedule now (synchronously); then the run's page."""
    finish(uow)
    try:
        report = engine.run(uow.platform, actor=uow.actor)
    except RunInProgress as exc:
        return _console(staff, uow, error=BUSY, status_code=exc.status)
    except KlaremontError as exc:
        return _console(staff, uow, error=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/staff/retention/runs/{report.reference}?done=run", status_code=303)


@router.get("/retention/runs/{reference}")
def retention_run_page(
    reference: str, staff: ReadPage, uow: UowDep, done: str = ""
) -> HTMLResponse:
    """One run or preview: what it did, or found due, and what holds kept."""
    run = views.find_run(uow, reference)
    view = views.run_view(uow, run)
    downloads = f"/staff/retention/runs/{run.reference}/report"
    return views.draw(
        "retention_result.html", staff, view, notice=DONE.get(done), downloads=downloads
    )


@router.get("/retention/runs/{reference}/report.html")
def retention_run_html(reference: str, _: ReadPage, uow: UowDep) -> Response:
    """A run's report as a standalone HTML page."""
    return _html_report(views.stored_report(uow, views.find_run(uow, reference)))


@router.get("/retention/runs/{reference}/report.json")
def retention_run_json(reference: str, _: ReadPage, uow: UowDep) -> Response:
    """A run's report as JSON."""
    return _json_report(views.stored_report(uow, views.find_run(uow, reference)))


router.include_router(hold_pages.router)
