"""The policies in the console: the documents (``/staff/policies``), one document's text in
force with the acknowledge button (``/staff/policies/{doc}``), and for the DPO and the ISO
who is overdue and which sections need review, with the form recording a review
(``/staff/policies/overdue``). Thin over :mod:`klaremont.policydocs.service`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.policydocs import library, service
from klaremont.policydocs.permissions import PolicyDocPermission
from klaremont.policydocs.web import views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page

router = APIRouter(prefix="/staff/policies", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(PolicyDocPermission.POLICIES_READ, page=True))]
ManagePage = Annotated[
    StaffPrincipal, Depends(require(PolicyDocPermission.POLICIES_MANAGE, page=True))
]
ACK_LABELS = {"version": "Version you read"}
REVIEW_LABELS = {
    "section": "Section",
    "reviewed_on": "Reviewed on",
    "note": "What the review found",
}
DONE = {
    "acknowledged": "Thank you: your acknowledgement is recorded.",
    "reviewed": "Review recorded.",
}


def _said(exc: KlaremontError, labels: dict[str, str]) -> str:
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(f"{labels.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


@router.get("")
def policies_page(staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Every policy document with its version in force and the person's acknowledgement."""
    view = views.list_view(uow, str(staff.username))
    return views.draw("policies.html", staff, view, notice=DONE.get(done))


@router.get("/overdue")
def overdue_page(staff: ManagePage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Who is overdue acknowledging, and which sections are overdue for review."""
    return views.draw(
        "policies_overdue.html", staff, views.overdue_view(uow), notice=DONE.get(done)
    )


def _again_review(retry: FormRetry) -> HTMLResponse:
    try:
        view = retry.read(views.overdue_view)
    except KlaremontError:
        view = None
    return views.draw(
        "policies_overdue.html", retry.staff, view, error="; ".join(retry.errors), status_code=422
    )


def _day(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.single("reviewed_on", "must be a date such as 2026-03-02") from None


@router.post("/reviews")
@form_page(_again_review, REVIEW_LABELS)
def record_review(
    staff: ManagePage,
    uow: UowDep,
    section: Annotated[str, Form(min_length=1, max_length=12)],
    reviewed_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Record a review of one section, by the signed-in person."""
    try:
        service.record_review(
            uow, section, by=str(staff.username), reviewed_on=_day(reviewed_on), note=note
        )
    except KlaremontError as exc:
        uow.session.rollback()
        view = views.overdue_view(uow)
        finish(uow)
        return views.draw(
            "policies_overdue.html",
            staff,
            view,
            error=_said(exc, REVIEW_LABELS),
            status_code=exc.status,
        )
    finish(uow)
    return RedirectResponse("/staff/policies/overdue?done=reviewed", status_code=303)


@router.get("/{slug}")
def document_page(slug: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One document's text in force, section by section, with the acknowledge button."""
    view = views.document_view(uow, slug, str(staff.username), views.manages(staff))
    return views.draw("policy.html", staff, view, notice=DONE.get(done))


def _again_ack(retry: FormRetry) -> HTMLResponse:
    slug = str(retry.request.path_params.get("slug", ""))
    username = retry.staff.username if retry.staff else ""
    try:
        view: Any = retry.read(
            lambda uow: views.document_view(uow, slug, username, views.manages(retry.staff))
        )
    except KlaremontError:
        view = None
    return views.draw(
        "policy.html",
        retry.staff,
        view,
        slug=slug,
        error="; ".join(retry.errors),
        status_code=422,
    )


@router.post("/{slug}/acknowledge")
@form_page(_again_ack, ACK_LABELS)
def acknowledge(
    slug: str,
    staff: ReadPage,
    uow: UowDep,
    version: Annotated[str, Form(min_length=1, max_length=20)],
) -> Response:
    """The person read the version in force and acknowledges it."""
    if slug.upper() not in library.DOCUMENT_KEYS:
        msg = "no such policy document"
        raise NotFound(msg)
    try:
        service.acknowledge(uow, slug, str(staff.username), version)
    except KlaremontError as exc:
        uow.session.rollback()
        try:
            view: Any = views.document_view(uow, slug, str(staff.username), views.manages(staff))
        except KlaremontError:
            view = None
        finish(uow)
        return views.draw(
            "policy.html",
            staff,
            view,
            slug=slug,
            error=_said(exc, ACK_LABELS),
            status_code=exc.status,
        )
    finish(uow)
    return RedirectResponse(f"/staff/policies/{slug.lower()}?done=acknowledged", status_code=303)
