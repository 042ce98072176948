"""The support shares console (``/staff/processors/shares``, PP-SUPPORT): every share with its
state, the form to open one against a ticket, the partner's file (downloaded once) and the
button that records the ticket resolved. Thin over :mod:`klaremont.processors.support`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.processors import service, support, support_export, support_link
from klaremont.processors.permissions import ProcessorPermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff/processors", include_in_schema=False)

SharePage = Annotated[
    StaffPrincipal, Depends(require(ProcessorPermission.SUPPORT_SHARES, page=True))
]
LABELS = {
    "ticket": "Ticket reference",
    "processor": "Support partner",
    "customers": "Customer account references",
    "fields": "Fields to share",
    "pseudonymised": "Pseudonymise identity",
    "reason": "Why the partner needs it",
}
DONE = {
    "opened": "Share opened. Download the partner's file once, below.",
    "resolved": "Ticket resolved: the partner has been sent the deletion confirmation link.",
}


def shares_view(uow: Any) -> dict[str, Any]:
    """The page's values."""
    today = uow.clock.now().date()
    partners = [p for p in service.processors(uow) if "support" in service.split(p.purposes)]
    rows = []
    for s in support.listing(uow):
        state = support.state_of(s, today)
        rows.append({
            "reference": s.reference,
            "ticket": s.ticket,
            "partner": support.partner_of(uow, s).name,
            "people": len([c for c in s.customers.split(",") if c]),
            "fields": ", ".join(support.FIELD_WORDS[support.SupportField(f)]
                                for f in s.fields.split(",") if f),
            "pseudonymised": s.pseudonymised,
            "opened": f"{s.opened_at:%Y-%m-%d}",
            "due": s.due_on.isoformat() if s.due_on else "",
            "state": state.value,
            "late": state is support.ShareState.OVERDUE,
            "can_export": s.exported_at is None and s.resolved_at is None,
            "can_resolve": s.resolved_at is None,
            "confirmed": (f"{s.confirmed_by}, {s.confirmed_at:%Y-%m-%d}"
                          if s.confirmed_at else ""),
        })  # fmt: skip
    return {
        "rows": rows,
        "partners": [(p.key, p.name) for p in partners],
        "fields": [(f.value, w) for f, w in support.FIELD_WORDS.items()],
        "days": uow.policy.support_shares.deletion_days_after_resolution,
    }


def _draw(staff: Any, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    status = kw.pop("status_code", 200)
    return render("staff/support_shares.html", status_code=status, staff=staff, view=view, **kw)


@router.get("/shares")
def shares_page(staff: SharePage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Every support share, the form to open one."""
    return _draw(staff, shares_view(uow), notice=DONE.get(done))


def _again(retry: FormRetry) -> HTMLResponse:
    try:
        view = retry.read(shares_view)
    except KlaremontError:
        view = None
    return _draw(retry.staff, view, error="; ".join(retry.errors), status_code=422)


def _said(exc: KlaremontError) -> str:
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(f"{LABELS.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


@router.post("/shares")
@form_page(_again, LABELS)
def open_share(
    staff: SharePage,
    uow: UowDep,
    ticket: Annotated[str, Form(max_length=40)] = "",
    processor: Annotated[str, Form(max_length=40)] = "",
    customers: Annotated[str, Form(max_length=500)] = "",
    fields: Annotated[list[str] | None, Form()] = None,  # each checked against the fixed list
    pseudonymised: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Open a support share."""
    typed = {"ticket": ticket, "processor": processor, "customers": customers,
             "reason": reason, "pseudonymised": pseudonymised}  # fmt: skip
    try:
        support.open_share(
            uow,
            ticket=ticket,
            processor=processor,
            customers=customers.replace(",", " ").split(),
            fields=fields or [],
            pseudonymised=pseudonymised == "yes",
            reason=reason,
        )
    except KlaremontError as exc:
        uow.session.rollback()
        view = shares_view(uow)
        finish(uow)
        return _draw(staff, view, error=_said(exc), typed=typed, status_code=exc.status)
    finish(uow)
    return RedirectResponse("/staff/processors/shares?done=opened", status_code=303)


@router.get("/shares/{reference}/export.{form}")
def export_share(reference: str, form: str, _: SharePage, uow: UowDep) -> Response:
    """The partner's file, once."""
    name, body = support_export.export(uow, reference, form)
    finish(uow)
    kind = "text/csv; charset=utf-8" if form == "csv" else "application/json"
    return Response(
        body, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _again_list(retry: FormRetry) -> HTMLResponse:
    try:
        view = retry.read(shares_view)
    except KlaremontError:
        view = None
    return _draw(retry.staff, view, error="; ".join(retry.errors), status_code=422)


@router.post("/shares/{reference}/resolve")
@form_page(_again_list, {})
def resolve_share(reference: str, staff: SharePage, uow: UowDep) -> Response:
    """The ticket is resolved: set the due date, mail the partner."""
    try:
        support_link.resolve(uow, reference)
    except KlaremontError as exc:
        uow.session.rollback()
        view = shares_view(uow)
        finish(uow)
        return _draw(staff, view, error=_said(exc), status_code=exc.status)
    finish(uow)
    return RedirectResponse(
        f"/staff/processors/shares?done=resolved#{quote(reference, safe='')}", status_code=303
    )
