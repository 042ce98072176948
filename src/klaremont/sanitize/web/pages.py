"""The console's page of sanitised copies (``/staff/sanitize``) and one run's report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from klaremont.errors import NotFound
from klaremont.sanitize.models import SanitizeRun
from klaremont.sanitize.permissions import SanitizePermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(SanitizePermission.SANITIZE_READ, page=True))]


def _row(run: SanitizeRun) -> dict[str, Any]:
    return {
        "reference": run.reference,
        "started": run.started_at.strftime("%Y-%m-%d %H:%M"),
        "target": run.target,
        "rows": f"{run.rows_written:,}",
        "passed": run.passed,
    }


@router.get("/sanitize")
def sanitize_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Every sanitised copy made, newest first."""
    runs = uow.session.scalars(select(SanitizeRun).order_by(SanitizeRun.started_at.desc()))
    return render("staff/sanitize_runs.html", staff=staff, runs=[_row(r) for r in runs])


@router.get("/sanitize/{reference}")
def sanitize_run_page(reference: str, staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """One run's report: the verification and every table's rules."""
    run = uow.session.scalar(select(SanitizeRun).where(SanitizeRun.reference == reference))
    if run is None:
        raise NotFound(f"no development copy called {reference[:20]!r}")
    report = json.loads(run.report)
    return render("staff/sanitize_run.html", staff=staff, run=_row(run), report=report)
