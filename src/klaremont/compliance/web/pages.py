"""The compliance console: every clause (``/staff/compliance``, as a PDF
``/staff/compliance.pdf``), one clause with its evidence (``/staff/compliance/{clause}``, as
a PDF ``/staff/compliance/{clause}.pdf``) and the evidence pack
(``/staff/compliance/evidence.zip``). Thin over :mod:`klaremont.compliance.overview`,
:mod:`klaremont.compliance.pdf` and :mod:`klaremont.compliance.evidence`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from klaremont.compliance import evidence, overview, pdf
from klaremont.compliance.permissions import CompliancePermission
from klaremont.display import uk_datetime
from klaremont.errors import NotFound, ValidationFailed
from klaremont.staff.web.guard import opens_for, require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)
CLAUSE_ID_MAX = 32  # the longest clause id is far shorter; longer ones are not echoed

ViewPage = Annotated[
    StaffPrincipal, Depends(require(CompliancePermission.COMPLIANCE_VIEW, page=True))
]


def _filtered(uow: UowDep, document: str, status: str) -> overview.Overview:
    """The overview the filters keep; an unknown filter is refused, naming it."""
    if document and document not in overview.DOCUMENTS:
        raise ValidationFailed.single("Policy", "must be one of the policies listed")
    if status and status not in overview.FILTERS:
        raise ValidationFailed.single("Live status", "must be one of the statuses listed")
    return overview.overview(uow, document=document, status=status)


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/compliance")
def compliance_page(
    staff: ViewPage, uow: UowDep, document: str = "", status: str = ""
) -> HTMLResponse:
    """Every clause with its controls, tests and live status; filtered by document, status."""
    view = _filtered(uow, document, status)
    return render(
        "staff/compliance.html",
        staff=staff,
        view=view,
        documents=overview.DOCUMENTS,
        filters=overview.FILTERS,
        pdf_query=urlencode(
            {k: v for k, v in (("document", view.document), ("status", view.status)) if v}
        ),
    )


@router.get("/compliance.pdf")
def compliance_pdf(_: ViewPage, uow: UowDep, document: str = "", status: str = "") -> Response:
    """The overview as a PDF, with the same filters as the page."""
    view = _filtered(uow, document, status)
    now = uow.clock.now()
    content = pdf.overview_pdf(view, generated_at=uk_datetime(now))
    return _pdf(content, f"klaremont-compliance-{now:%Y%m%d-%H%M}.pdf")


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


def _clause(uow: UowDep, clause_id: str) -> overview.ClauseLine:
    wanted = clause_id.strip().upper()
    if len(wanted) > CLAUSE_ID_MAX:
        raise NotFound("no policy clause has that id")
    return overview.clause_view(uow, wanted)


@router.get("/compliance/{clause_id}.pdf")
def clause_pdf(clause_id: str, _: ViewPage, uow: UowDep) -> Response:
    """One clause's drill-down as a PDF."""
    line = _clause(uow, clause_id)
    now = uow.clock.now()
    content = pdf.clause_pdf(line, generated_at=uk_datetime(now))
    return _pdf(content, f"klaremont-compliance-{line.id}-{now:%Y%m%d-%H%M}.pdf")


@router.get("/compliance/{clause_id}")
def clause_page(clause_id: str, request: Request, staff: ViewPage, uow: UowDep) -> HTMLResponse:
    """One clause: what each check reads and says now, the records behind it (linked where
    the viewer's roles open them), its tests, its controls and its status history."""
    line = _clause(uow, clause_id)
    urls = {url for check in line.checks for _label, url in check.records}
    opens = {url for url in urls if opens_for(request, url, staff)}
    return render("staff/compliance_clause.html", staff=staff, line=line, opens=opens)
