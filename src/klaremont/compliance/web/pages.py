"""The compliance console: every clause (``/staff/compliance``), one clause with its
evidence (``/staff/compliance/{clause}``) and the evidence pack
(``/staff/compliance/evidence.zip``). Thin over :mod:`klaremont.compliance.overview` and
:mod:`klaremont.compliance.evidence`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from klaremont.compliance import evidence, overview
from klaremont.compliance.permissions import CompliancePermission
from klaremont.errors import NotFound, ValidationFailed
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)
CLAUSE_ID_MAX = 32  # the longest clause id is far shorter; longer ones are not echoed

ViewPage = Annotated[
    StaffPrincipal, Depends(require(CompliancePermission.COMPLIANCE_VIEW, page=True))
]


@router.get("/compliance")
def compliance_page(
    staff: ViewPage, uow: UowDep, document: str = "", status: str = ""
) -> HTMLResponse:
    """Every clause with its controls, tests and live status; filtered by document, status."""
    if document and document not in overview.DOCUMENTS:
        raise ValidationFailed.single("Policy", "must be one of the policies listed")
    if status and status not in overview.FILTERS:
        raise ValidationFailed.single("Live status", "must be one of the statuses listed")
    view = overview.overview(uow, document=document, status=status)
    return render(
        "staff/compliance.html",
        staff=staff,
        view=view,
        documents=overview.DOCUMENTS,
        filters=overview.FILTERS,
    )


@router.get("/compliance/evidence.zip")
def evidence_zip(_: ViewPage, uow: UowDep) -> Response:
    """The evidence pack: the trace, the registers and a signed manifest (audited)."""
    pack = evidence.build_pack(uow)
    finish(uow)
    return Response(
        pack.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{pack.filename}"'},
    )


@router.get("/compliance/{clause_id}")
def clause_page(clause_id: str, staff: ViewPage, uow: UowDep) -> HTMLResponse:
    """One clause: what is checked, its tests, its controls and its status history."""
    wanted = clause_id.strip().upper()
    if len(wanted) > CLAUSE_ID_MAX:
        raise NotFound("no policy clause has that id")
    line = overview.clause_view(uow, wanted)
    return render("staff/compliance_clause.html", staff=staff, line=line)
