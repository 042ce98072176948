"""The retention console (``/staff/retention``): the schedule, the runs and the holds.

Thin over the services the API and the CLI call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from klaremont.retention import litigation
from klaremont.retention.models import RetentionRun
from klaremont.retention.permissions import RetentionPermission
from klaremont.retention.schedule import schedule
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[
    StaffPrincipal, Depends(require(RetentionPermission.RETENTION_READ, page=True))
]


@router.get("/retention")
def retention_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The schedule, the latest runs and the litigation holds in force."""
    runs = uow.session.scalars(
        select(RetentionRun)
        .order_by(RetentionRun.started_at.desc(), RetentionRun.reference.desc())
        .limit(20)
    ).all()
    return render(
        "staff/retention.html",
        staff=staff,
        rows=schedule(uow.policy),
        runs=runs,
        holds=litigation.listing(uow),
    )
