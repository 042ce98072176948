"""Data subject requests in the staff console: the queue, a request logged by phone or
letter, and the case page (DP-PROMPT, DP-DPO).

Thin over the same services as ``/api/rights``: the queue is
:func:`~klaremont.rights.service.list_requests` with the live deadline of
:func:`~klaremont.rights.service.deadline_of`; a request is logged by
:func:`~klaremont.rights.intake.submit_for_customer` (``dsr:log``, as the API); the case
page reads the requester's sealed details with :func:`~klaremont.rights.service.details_of`
and records the read as the API does. The actions on a case are in
:mod:`klaremont.rights.web.case_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.clock import uk_date
from klaremont.customers.permissions import CustomerPermission
from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.rights import delivery, intake, service
from klaremont.rights.access import HTML_CSP
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.states import (
    OPEN,
    IntakeChannel,
    ObjectionScope,
    RequestKind,
    RequestState,
)
from klaremont.rights.web.views import (
    CHANNEL_WORDS,
    DONE_WORDS,
    STATE_WORDS,
    case_view,
    draw_case,
    queue_row,
    reads_details,
)
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.rights.models import RightsRequest

router = APIRouter(prefix="/staff", include_in_schema=False)
E = TypeVar("E", bound=StrEnum)

ReadPage = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_READ, page=True))]
LogPage = Annotated[StaffPrincipal, Depends(require(RightsPermission.DSR_LOG, page=True))]
CopyPage = Annotated[
    StaffPrincipal,
    Depends(require(RightsPermission.DSR_READ, CustomerPermission.CUSTOMERS_EXPORT, page=True)),
]
PAGE_SIZE = 25
QUEUE_MAX = 500
SOON_DAYS = 7
DUE_WORDS = {"overdue": "Overdue", "week": f"Due within {SOON_DAYS} days"}
STAFF_CHANNELS = (IntakeChannel.PHONE, IntakeChannel.LETTER)
NEW_LABELS = {
    "customer_reference": "Customer reference",
    "kind": "What they asked for",
    "channel": "How they asked",
    "scope": "An objection to",
    "note": "Their words (optional)",
}


def _choice(value: str, enum: type[E], field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        words = ", ".join(member.value for member in enum)
        raise ValidationFailed.single(field, f"one of {words}") from None


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
        row = queue_row(uow, item, today)
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
        can_log=RightsPermission.DSR_LOG in staff.permissions,
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
        can_manage=staff is not None and RightsPermission.DSR_MANAGE in staff.permissions,
    )


def _new_again(retry: FormRetry) -> HTMLResponse:
    return _new_form(retry.staff, error="; ".join(retry.errors), status_code=422)


@router.get("/requests/new")
def new_request_page(staff: LogPage) -> HTMLResponse:
    """The form for a request taken by phone or letter."""
    return _new_form(staff)


@router.post("/requests/new")
@form_page(_new_again, NEW_LABELS)
def new_request(
    staff: LogPage,
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


@router.get("/requests/{reference}")
def case_page(reference: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One request: what was asked, its clock, identity, history, and the actions."""
    view = case_view(uow, reference, show_details=reads_details(staff.roles))
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
