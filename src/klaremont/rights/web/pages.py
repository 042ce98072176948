"""Data subject requests in the staff console: the queue, a request logged by phone or
letter, and the case page (DP-PROMPT, DP-DPO).

Thin over the same services as ``/api/rights``: the queue is
:func:`~klaremont.rights.service.list_requests` with the live deadline of
:func:`~klaremont.rights.service.deadline_of`; a request is logged by
:func:`~klaremont.rights.intake.submit_for_customer` (``dsr:manage``, as the API); the case
page reads the requester's sealed details with :func:`~klaremont.rights.service.details_of`
and records the read as the API does. The actions on a case are in
:mod:`klaremont.rights.web.case_pages`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.audit.permissions import AuditPermission
from klaremont.clock import UK_TIME, uk_date
from klaremont.customers.permissions import CustomerPermission
from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.rights import delivery, intake, service
from klaremont.rights.access import HTML_CSP
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.queries import sealed_reason
from klaremont.rights.states import (
    OPEN,
    WORKABLE,
    IntakeChannel,
    ObjectionScope,
    RequestKind,
    RequestState,
)
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from datetime import date, datetime

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

router = APIRouter(prefix="/staff", include_in_schema=False)
E = TypeVar("E", bound=StrEnum)

ReadPage = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_READ, page=True))]
ManagePage = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_MANAGE, page=True))]
CopyPage = Annotated[
    StaffPrincipal,
    Depends(require(RightsPermission.DSR_READ, CustomerPermission.CUSTOMERS_EXPORT, page=True)),
]
PAGE_SIZE = 25
QUEUE_MAX = 500
SOON_DAYS = 7
STATE_WORDS = {
    RequestState.RECEIVED: "Received",
    RequestState.IDENTITY_PENDING: "Waiting for identity",
    RequestState.VERIFIED: "Identity verified",
    RequestState.IN_PROGRESS: "In progress",
    RequestState.EXTENDED: "Extended",
    RequestState.FULFILLED: "Fulfilled",
    RequestState.REFUSED: "Refused",
}
CHANNEL_WORDS = {
    IntakeChannel.PRIVACY_CENTRE: "Privacy centre",
    IntakeChannel.EMAIL: "E-mail",
    IntakeChannel.PHONE: "Phone",
    IntakeChannel.LETTER: "Letter",
}
DUE_WORDS = {"overdue": "Overdue", "week": f"Due within {SOON_DAYS} days"}
STAFF_CHANNELS = (IntakeChannel.PHONE, IntakeChannel.LETTER)
NEW_LABELS = {
    "customer_reference": "Customer reference",
    "kind": "What they asked for",
    "channel": "How they asked",
    "scope": "An objection to",
    "note": "Their words (optional)",
}


def uk_day(when: date) -> str:
    """``06/12/2026``."""
    return when.strftime("%d/%m/%Y")


def uk_time(when: datetime) -> str:
    """``06/12/2026 14:05`` in UK time."""
    return when.astimezone(UK_TIME).strftime("%d/%m/%Y %H:%M")


def _choice(value: str, enum: type[E], field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        words = ", ".join(member.value for member in enum)
        raise ValidationFailed.single(field, f"one of {words}") from None


def _days_words(days: int, state: RequestState) -> str:
    if state not in OPEN:
        return "closed"
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"


def _row(uow: UnitOfWork, request: RightsRequest, today: date) -> dict[str, Any]:
    deadline = service.deadline_of(uow, request, today)
    days = deadline.days_left(today)
    return {
        "reference": request.reference,
        "kind": request.kind.value,
        "received": uk_day(request.received_on),
        "due": uk_day(deadline.due),
        "days_left": days,
        "days_words": _days_words(days, request.state),
        "overdue": request.state in OPEN and days < 0,
        "state": STATE_WORDS[request.state],
        "verified": request.verified_at is not None,
        "paused": request.pause_started_at is not None,
        "channel": CHANNEL_WORDS[request.channel],
    }


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, checked."""

    state: RequestState | None = None
    kind: RequestKind | None = None
    due: str = ""
    channel: IntakeChannel | None = None
    page: int = 1


def _filters(request: Request) -> QueueFilters:
    query = request.query_params
    state = _choice(query["status"], RequestState, "status") if query.get("status") else None
    kind = _choice(query["kind"], RequestKind, "kind") if query.get("kind") else None
    channel = _choice(query["channel"], IntakeChannel, "channel") if query.get("channel") else None
    due = query.get("due", "")
    if due and due not in DUE_WORDS:
        raise ValidationFailed.single("due", "overdue or week")
    page_text = query.get("page", "1")
    if not page_text.isdigit() or not 1 <= int(page_text) <= QUEUE_MAX:
        raise ValidationFailed.single("page", f"a page number from 1 to {QUEUE_MAX}")
    return QueueFilters(state, kind, due, channel, int(page_text))


def _wanted(row: dict[str, Any], request: RightsRequest, filters: QueueFilters) -> bool:
    if filters.channel is not None and request.channel is not filters.channel:
        return False
    if filters.due == "overdue":
        return bool(row["overdue"])
    if filters.due == "week":
        return request.state in OPEN and 0 <= row["days_left"] <= SOON_DAYS
    return True


@router.get("/requests")
def requests_queue(request: Request, staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Requests, soonest statutory deadline first, with filters and paging."""
    try:
        filters = _filters(request)
    except ValidationFailed as exc:
        return _queue(staff, QueueFilters(), [], error=exc.detail, status_code=422)
    today = uk_date(uow.clock.now())
    found = service.list_requests(uow, state=filters.state, kind=filters.kind, limit=QUEUE_MAX)
    rows = []
    for item in found:
        row = _row(uow, item, today)
        if _wanted(row, item, filters):
            rows.append(row)
    return _queue(staff, filters, rows, truncated=len(found) >= QUEUE_MAX)


def _queue(
    staff: StaffPrincipal,
    filters: QueueFilters,
    rows: list[dict[str, Any]],
    *,
    error: str | None = None,
    status_code: int = 200,
    truncated: bool = False,
) -> HTMLResponse:
    start = (filters.page - 1) * PAGE_SIZE
    shown = rows[start : start + PAGE_SIZE]

    def link(page: int) -> str:
        parts = {
            "status": filters.state.value if filters.state else "",
            "kind": filters.kind.value if filters.kind else "",
            "due": filters.due,
            "channel": filters.channel.value if filters.channel else "",
            "page": str(page),
        }
        return "/staff/requests?" + "&".join(f"{k}={v}" for k, v in parts.items() if v)

    return render(
        "staff/requests.html",
        status_code=status_code,
        staff=staff,
        filters=filters,
        rows=shown,
        total=len(rows),
        newer=link(filters.page - 1) if filters.page > 1 else None,
        later=link(filters.page + 1) if start + PAGE_SIZE < len(rows) else None,
        states=STATE_WORDS,
        kinds=[k.value for k in RequestKind],
        channels=CHANNEL_WORDS,
        due_words=DUE_WORDS,
        truncated=truncated,
        queue_max=QUEUE_MAX,
        error=error,
        can_log=RightsPermission.DSR_MANAGE in staff.permissions,
    )


# ---------------------------------------------------------------------- a new request
def _new_form(
    staff: StaffPrincipal | PageStaff | None, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        "staff/request_new.html",
        status_code=status_code,
        staff=staff,
        kinds=[k.value for k in RequestKind],
        channels={c.value: CHANNEL_WORDS[c] for c in STAFF_CHANNELS},
        scopes=[s.value for s in ObjectionScope],
        labels=NEW_LABELS,
        error=error,
    )


def _new_again(retry: FormRetry) -> HTMLResponse:
    return _new_form(retry.staff, error="; ".join(retry.errors), status_code=422)


@router.get("/requests/new")
def new_request_page(staff: ManagePage) -> HTMLResponse:
    """The form for a request taken by phone or letter."""
    return _new_form(staff)


@router.post("/requests/new")
@form_page(_new_again, NEW_LABELS)
def new_request(
    staff: ManagePage,
    uow: UowDep,
    customer_reference: Annotated[str, Form(min_length=1, max_length=16)],
    kind: Annotated[str, Form(min_length=1, max_length=16)],
    channel: Annotated[str, Form(min_length=1, max_length=16)],
    scope: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Log the request (a code goes to the address on the account; the clock pauses)."""
    try:
        asked = _choice(kind, RequestKind, "kind")
        how = _choice(channel, IntakeChannel, "channel")
        about = _choice(scope, ObjectionScope, "scope") if scope else None
        details = {"note": " ".join(note.split())} if note.strip() else None
        made = intake.submit_for_customer(
            uow, customer_reference, asked, how, scope=about, details=details
        )
    except service.DuplicateRequest as duplicate:
        uow.keep_only_refusal(partial(service.record_duplicate, uow, duplicate))
        return _new_form(staff, error=duplicate.detail, status_code=duplicate.status)
    except KlaremontError as exc:
        uow.session.rollback()
        return _new_form(staff, error=_said(exc, NEW_LABELS), status_code=exc.status)
    reference = made.reference
    finish(uow)
    return RedirectResponse(f"/staff/requests/{reference}?done=logged", status_code=303)


def _said(exc: KlaremontError, labels: dict[str, str]) -> str:
    """The service's refusal, naming a form field by its label."""
    if exc.problems:
        return "; ".join(f"{labels.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


# ---------------------------------------------------------------------- the case page
def case_view(uow: UnitOfWork, reference: str, *, show_details: bool = True) -> dict[str, Any]:
    """What the case page shows, as plain values; the requester's details are read as the
    API reads them (recorded as a personal-data read when there are any)."""
    request = service.find(uow, reference)
    today = uk_date(uow.clock.now())
    deadline = service.deadline_of(uow, request, today)
    details = service.details_of(request) if show_details else {}
    if details:
        audit_rights(
            uow,
            RightsEvent.EXPORT_READ,
            resource=request_resource(request.id),
            details={"part": "request details", "by": "staff", "keys": sorted(details)},
        )
    history = [("Received", uk_time(request.received_at))]
    if request.verified_at is not None:
        method = request.identity_method.value.replace("_", " ") if request.identity_method else ""
        history.append((f"Identity verified ({method})", uk_time(request.verified_at)))
    if request.extension_notified_at is not None:
        history.append(("Extension: requester told", uk_time(request.extension_notified_at)))
    if request.closed_at is not None:
        history.append((STATE_WORDS[request.state], uk_time(request.closed_at)))
    return {
        **_row(uow, request, today),
        "resource": request_resource(request.id),
        "kind_value": request.kind,
        "state_value": request.state,
        "scope": request.scope.value if request.scope else None,
        "original_due": uk_day(deadline.original_due),
        "extension_notice_by": uk_day(deadline.extension_notice_by),
        "paused_days": deadline.paused_days,
        "extension_months": request.extension_months,
        "extension_reason": sealed_reason(request, "extension_reason"),
        "refusal_reason": sealed_reason(request, "refusal_reason"),
        "outcome": json.loads(request.outcome) if request.outcome else None,
        "details": {k: v for k, v in details.items() if k != "identity_note"},
        "identity_note": bool(details.get("identity_note")),
        "history": history,
        "open": request.state in OPEN,
        "workable": request.state in WORKABLE,
        "pending": request.state is RequestState.IDENTITY_PENDING,
        "formats": delivery.formats(uow, request.id),
    }


DONE_WORDS = {
    "logged": "Request logged: a code went to the address on the account; the clock is "
    "paused until identity is confirmed.",
    "verified": "Identity verified: the clock runs again.",
    "code-sent": "A fresh code went to the address on the account.",
    "extended": "Deadline extended; the requester was told.",
    "refused": "Request refused; the requester was told.",
    "fulfilled": "Done.",
    "decided": "Decision recorded.",
}


def draw_case(
    staff: StaffPrincipal | PageStaff | None,
    reference: str,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    erased: dict[str, Any] | None = None,
    only: str | None = None,
) -> HTMLResponse:
    """The case page; ``only`` draws just one action's form (the case could not be read)."""
    permissions = staff.permissions if staff is not None else frozenset()
    return render(
        "staff/request_case.html",
        status_code=status_code,
        staff=staff,
        reference=reference,
        case=view,
        error=error,
        notice=notice,
        erased=erased,
        only=only,
        can_manage=RightsPermission.DSR_MANAGE in permissions,
        can_erase=CustomerPermission.CUSTOMERS_ERASE in permissions,
        can_copy=CustomerPermission.CUSTOMERS_EXPORT in permissions,
        can_audit=AuditPermission.AUDIT_READ in permissions,
        max_months=2,
    )


@router.get("/requests/{reference}")
def case_page(reference: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One request: what was asked, its clock, identity, history, and the actions."""
    view = case_view(uow, reference)
    finish(uow)
    return draw_case(staff, reference, view, notice=DONE_WORDS.get(done))


@router.get("/requests/{reference}/copy.{fmt}")
def case_copy(reference: str, fmt: str, _: CopyPage, uow: UowDep) -> Response:
    """A prepared copy (access: json, html; portability: json, zip), as the API serves it."""
    found = service.find(uow, reference)
    artifact = delivery.for_staff(uow, found.id, fmt)
    finish(uow)
    headers = {"content-disposition": f'attachment; filename="{artifact.filename}"'}
    if artifact.fmt == "html":
        headers["content-security-policy"] = HTML_CSP
    return Response(artifact.content, media_type=artifact.media_type, headers=headers)
