"""The disclosures console: the register (``/staff/disclosures``), the request form
(``/staff/disclosures/new``), one disclosure with a director's approve and refuse forms
and the one-time export (``/staff/disclosures/d/{reference}``). Thin over the services the
API and the CLI call."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.disclosures import export, service
from klaremont.disclosures.models import (
    BASIS_MAX,
    CONTACT_MAX,
    NAME_MAX,
    TEXT_MAX,
    BasisKind,
    DisclosureState,
    RecipientKind,
)
from klaremont.disclosures.permissions import DisclosurePermission as P
from klaremont.disclosures.recipients import notices_of
from klaremont.display import uk_date, uk_datetime
from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.policy.categories import choices as category_choices
from klaremont.policy.categories import labels_of
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_READ, page=True))]
RequestPage = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_REQUEST, page=True))]
ApprovePage = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_APPROVE, page=True))]
ExportPage = Annotated[StaffPrincipal, Depends(require(P.DISCLOSURES_EXPORT, page=True))]

REQUEST_LABELS = {
    "recipient_name": "Recipient",
    "recipient_kind": "Kind of recipient",
    "recipient_country": "Recipient's country",
    "recipient_contact": "Recipient's mailbox for updates",
    "customers": "Customers",
    "categories": "Data categories",
    "basis_kind": "Basis",
    "basis_reference": "Basis reference",
    "reason": "Reason",
}
APPROVE_LABELS = {"note": "Director's note"}
REFUSE_LABELS = {"reason": "Why it is refused"}
LABELS = {**REQUEST_LABELS, "note": "Director's note", "approver": "Approver"}
STATE_WORDS = {
    DisclosureState.REQUESTED: "waiting for a director",
    DisclosureState.APPROVED: "approved: export not built yet",
    DisclosureState.REFUSED: "refused",
    DisclosureState.EXPORTED: "exported",
}
_SPLIT = re.compile(r"[\s,;]+")


def _said(exc: KlaremontError) -> str:
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(f"{LABELS.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


def _permissions(staff: Any) -> frozenset[str]:
    return frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()


def _draw(template: str, staff: Any, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    status = kw.pop("status_code", 200)
    held = _permissions(staff)
    return render(
        f"staff/{template}",
        status_code=status,
        staff=staff,
        view=view,
        can_request=P.DISCLOSURES_REQUEST.value in held,
        can_approve=P.DISCLOSURES_APPROVE.value in held,
        can_export=P.DISCLOSURES_EXPORT.value in held,
        kinds={k.value: service.KIND_WORDS[k] for k in RecipientKind},
        bases={b.value: service.BASIS_WORDS[b] for b in BasisKind},
        needs={b.value: service.BASIS_NEEDS[b] for b in BasisKind},
        categories=category_choices(),
        **{"form": {}, "ticked": set(), **kw},
    )


def register_view(uow: Any) -> dict[str, Any]:
    """The register's rows."""
    return {
        "rows": [
            {
                "reference": d.reference,
                "recipient": d.recipient_name,
                "kind": service.KIND_WORDS[d.recipient_kind],
                "country": d.recipient_country,
                "basis": service.BASIS_WORDS[d.basis_kind],
                "state": STATE_WORDS[d.state],
                "requested": uk_date(d.requested_at),
            }
            for d in service.disclosures(uow)
        ]
    }


def disclosure_view(uow: Any, reference: str) -> dict[str, Any]:
    """One disclosure's page values."""
    d = service.find(uow, reference)
    people = service.people(uow, d)
    facts = [
        ("Recipient", f"{d.recipient_name} ({service.KIND_WORDS[d.recipient_kind]})"),
        ("Country", d.recipient_country),
        ("Mailbox for updates", d.recipient_contact or "none given"),
        ("Customers", ", ".join(p.customer_reference for p in people)),
        ("Data categories", labels_of(service.split(d.categories))),
        ("Basis", f"{service.BASIS_WORDS[d.basis_kind]}: {d.basis_reference}"),
        ("Reason", d.reason),
        ("State", STATE_WORDS[d.state]),
        ("Requested", f"{d.requested_by_name}, {uk_datetime(d.requested_at)}"),
    ]
    if d.decided_at:
        facts.append(("Decided", f"{d.decided_by_name}, {uk_datetime(d.decided_at)}"))
        facts.append(("Director's note", d.decision_note or ""))
    if d.exported_at:
        facts.append(("Exported", f"{d.exported_by_name}, {uk_datetime(d.exported_at)}"))
        facts.append(("Export SHA-256", d.export_digest or ""))
        facts.append(("Transfer", d.transfer_basis or ""))
    accounts = {p.subject_id: p.customer_reference for p in people}
    told = [
        {
            "at": uk_datetime(n.told_at),
            "account": accounts.get(n.subject_id, ""),
            "change": n.change,
            "what": n.what,
            "how": "queued by e-mail" if n.queued else "not told: no mailbox recorded",
        }
        for n in notices_of(uow, d)
    ]
    return {
        "reference": d.reference,
        "facts": facts,
        "told": told,
        "waiting": d.state is DisclosureState.REQUESTED,
        "exportable": export.problem(d) is None,
    }


@router.get("/disclosures")
def disclosures_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The register."""
    return _draw("disclosures.html", staff, register_view(uow))


def _new_again(retry: FormRetry) -> HTMLResponse:
    return _draw(
        "disclosure_new.html", retry.staff, None, error="; ".join(retry.errors), status_code=422
    )


@router.get("/disclosures/new")
def new_page(staff: RequestPage, done: str = "") -> HTMLResponse:
    """The request form."""
    notice = f"Request {done[:20]} recorded: a director must approve it." if done else None
    return _draw("disclosure_new.html", staff, None, notice=notice)


Line = Annotated[str, Form(max_length=NAME_MAX)]


@router.post("/disclosures/new")
@form_page(_new_again, REQUEST_LABELS)
def new_request(
    staff: RequestPage,
    uow: UowDep,
    recipient_name: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    recipient_kind: Annotated[str, Form(min_length=1, max_length=20)],
    recipient_country: Annotated[str, Form(min_length=1, max_length=2)],
    customers: Annotated[str, Form(min_length=1, max_length=2000)],
    categories: Annotated[list[Annotated[str, Form(max_length=400)]], Form(min_length=1)],
    basis_kind: Annotated[str, Form(min_length=1, max_length=30)],
    basis_reference: Annotated[str, Form(min_length=1, max_length=BASIS_MAX)],
    reason: Annotated[str, Form(min_length=1, max_length=TEXT_MAX)],
    recipient_contact: Annotated[str, Form(max_length=CONTACT_MAX)] = "",
) -> Response:
    """Record the request; a reader goes to its page, a requester back to the form."""
    asked = service.NewDisclosure(
        recipient_name=recipient_name,
        recipient_kind=recipient_kind,
        recipient_country=recipient_country,
        customers=[c for c in _SPLIT.split(customers) if c],
        categories=[c for ticked in categories for c in _SPLIT.split(ticked) if c],
        basis_kind=basis_kind,
        basis_reference=basis_reference,
        reason=reason,
        recipient_contact=recipient_contact or None,
    )
    try:
        made = service.request(uow, asked)
    except KlaremontError as exc:
        uow.session.rollback()
        finish(uow)
        typed = {  # the form again as typed: it passed the field rules and the card guard
            "recipient_name": recipient_name,
            "recipient_kind": recipient_kind,
            "recipient_country": recipient_country,
            "recipient_contact": recipient_contact,
            "customers": customers,
            "basis_kind": basis_kind,
            "basis_reference": basis_reference,
            "reason": reason,
        }
        return _draw(
            "disclosure_new.html",
            staff,
            None,
            error=_said(exc),
            status_code=exc.status,
            form=typed,
            ticked=set(asked.categories),
        )
    reference = made.reference
    finish(uow)
    if P.DISCLOSURES_READ.value in _permissions(staff):
        return RedirectResponse(f"/staff/disclosures/d/{quote(reference)}", status_code=303)
    return RedirectResponse(f"/staff/disclosures/new?done={quote(reference)}", status_code=303)


def _page(staff: Any, reference: str, view: Any, **kw: Any) -> HTMLResponse:
    return _draw("disclosure.html", staff, view, key=reference, **kw)


def _again(retry: FormRetry) -> HTMLResponse:
    reference = str(retry.request.path_params.get("reference", ""))
    try:
        view = retry.read(lambda uow: disclosure_view(uow, reference))
    except KlaremontError:
        view = None
    return _page(retry.staff, reference, view, error="; ".join(retry.errors), status_code=422)


@router.get("/disclosures/d/{reference}")
def disclosure_page(reference: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One disclosure: its facts, and the director's forms while it waits."""
    notices = {"approved": "Approved.", "refused": "Refused."}
    return _page(staff, reference, disclosure_view(uow, reference), notice=notices.get(done))


def _decide(staff: Any, uow: Any, reference: str, work: Any, done: str) -> Response:
    try:
        work()
    except NotFound:
        raise
    except KlaremontError as exc:
        uow.session.rollback()
        try:
            view: dict[str, Any] | None = disclosure_view(uow, reference)
        except KlaremontError:
            view = None
        finish(uow)
        return _page(staff, reference, view, error=_said(exc), status_code=exc.status)
    finish(uow)
    return RedirectResponse(
        f"/staff/disclosures/d/{quote(reference, safe='')}?done={done}", status_code=303
    )


@router.post("/disclosures/d/{reference}/approve")
@form_page(_again, APPROVE_LABELS)
def approve(
    reference: str,
    staff: ApprovePage,
    uow: UowDep,
    note: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """A director approves (never their own request)."""
    return _decide(staff, uow, reference, lambda: service.approve(uow, reference, note), "approved")


@router.post("/disclosures/d/{reference}/refuse")
@form_page(_again, REFUSE_LABELS)
def refuse(
    reference: str,
    staff: ApprovePage,
    uow: UowDep,
    reason: Annotated[str, Form(min_length=1, max_length=TEXT_MAX)],
) -> Response:
    """A director refuses, with the reason."""
    return _decide(staff, uow, reference, lambda: service.refuse(uow, reference, reason), "refused")


@router.post("/disclosures/d/{reference}/export")
def export_download(reference: str, staff: ExportPage, uow: UowDep) -> Response:
    """The one-time export, as a download; refused (the page, with why) otherwise."""
    try:
        made = export.build(uow, reference)
    except NotFound:
        raise
    except KlaremontError as exc:
        try:
            view: dict[str, Any] | None = disclosure_view(uow, reference)
        except KlaremontError:
            view = None
        finish(uow)
        return _page(staff, reference, view, error=_said(exc), status_code=exc.status)
    finish(uow)
    return Response(
        made.body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "Cache-Control": "no-store",
        },
    )
