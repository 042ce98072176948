"""Incidents in the staff console: the register, reporting one, the case and the ICO draft.

Thin over the services the API calls. Everyone signed in may report
(``/staff/incidents/report``); the register and a case show only what the service lets the
person see (the ISO, directors and the DPO every incident, anyone else the incidents whose
team they sit on). The case's forms are in :mod:`klaremont.incidents.web.case_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.incidents import clocks, ico_report, read, service
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.states import (
    INVOLVEMENT_WORDS,
    KIND_WORDS,
    STATE_WORDS,
    IncidentKind,
    IncidentState,
    Involvement,
)
from klaremont.incidents.visibility import Viewer
from klaremont.incidents.web.views import DONE_WORDS, draw_case, page_view, said
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.incidents.read import RowView

router = APIRouter(prefix="/staff", include_in_schema=False)

ReportPage = Annotated[
    StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_REPORT, page=True))
]
REPORT_LABELS = {
    "kind": "What kind of incident",
    "what_happened": "What happened",
    "noticed_at": "When it was noticed (UK time, optional)",
    "systems": "Systems, records or media affected (optional)",
    "personal_data": "Could personal data be involved?",
    "card_data": "Could card data be involved?",
    "exercise": "This is a test of the response plan (an exercise)",
}
OVERDUE_WORDS = {"overdue": "A notification is overdue"}


def viewer_of(staff: StaffPrincipal) -> Viewer:
    """The service's view of the signed-in member of staff."""
    return Viewer.of(staff.username, staff.permissions)


@dataclass(frozen=True)
class RegisterFilters:
    """The register's filters, checked."""

    state: IncidentState | None = None
    overdue: bool = False


def _filters(request: Request) -> RegisterFilters:
    query = request.query_params
    state = read.is_state(query["state"]) if query.get("state") else None
    if query.get("state") and state is None:
        raise ValidationFailed.single("state", "one of the states listed")
    due = query.get("due", "")
    if due and due not in OVERDUE_WORDS:
        raise ValidationFailed.single("due", "overdue or nothing")
    return RegisterFilters(state, due == "overdue")


def _register(
    staff: StaffPrincipal,
    rows: list[RowView],
    filters: RegisterFilters,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/incidents.html",
        status_code=status_code,
        staff=staff,
        rows=rows,
        filters=filters,
        states={s.value: w for s, w in STATE_WORDS.items()},
        due_words=OVERDUE_WORDS,
        notice=notice,
        error=error,
        oversees=viewer_of(staff).oversees,
        uk_when=clocks.uk_when,
    )


@router.get("/incidents")
def register(request: Request, staff: ReportPage, uow: UowDep, reported: str = "") -> HTMLResponse:
    """The incidents this person may see, newest first, with filters."""
    try:
        filters = _filters(request)
    except ValidationFailed as exc:
        return _register(
            staff,
            [],
            RegisterFilters(),
            error=said(exc, {"state": "State", "due": "Deadlines"}),
            status_code=422,
        )
    found = service.visible(uow, viewer_of(staff), state=filters.state)
    rows = [read.row_of(uow, incident) for incident in found]
    if filters.overdue:
        rows = [row for row in rows if row.overdue]
    done = service.clean_reference(reported) if reported else None
    notice = (
        f"Reported as {done}. The Information Security Officer has been alerted; keep the "
        "reference. Do not switch off, log on to or change an affected system."
        if done
        else None
    )
    return _register(staff, rows, filters, notice=notice)


def _report_form(
    staff: StaffPrincipal | PageStaff | None, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        "staff/incident_report.html",
        status_code=status_code,
        staff=staff,
        kinds={k.value: w for k, w in KIND_WORDS.items()},
        involvement={k.value: w for k, w in INVOLVEMENT_WORDS.items()},
        labels=REPORT_LABELS,
        error=error,
        may_exercise=staff is not None and IncidentPermission.INCIDENTS_MANAGE in staff.permissions,
    )


def _report_again(retry: FormRetry) -> HTMLResponse:
    return _report_form(retry.staff, error="; ".join(retry.errors), status_code=422)


@router.get("/incidents/report")
def report_page(staff: ReportPage) -> HTMLResponse:
    """The form to report a suspected incident."""
    return _report_form(staff)


def _choice(value: str, enum: type[Any], field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed.single(field, "choose one of the options") from None


@router.post("/incidents/report")
@form_page(_report_again, REPORT_LABELS)
def report_incident(
    staff: ReportPage,
    uow: UowDep,
    kind: Annotated[str, Form(min_length=1, max_length=24)],
    what_happened: Annotated[str, Form(min_length=1, max_length=4000)],
    personal_data: Annotated[str, Form(min_length=1, max_length=8)],
    card_data: Annotated[str, Form(min_length=1, max_length=8)],
    noticed_at: Annotated[str, Form(max_length=32)] = "",
    systems: Annotated[str, Form(max_length=1000)] = "",
    exercise: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Record the report and alert the ISO; then the register with the reference."""
    try:
        noticed = None
        if noticed_at.strip():
            try:
                noticed = clocks.from_uk_local(noticed_at)
            except ValueError as bad:
                raise ValidationFailed.single("noticed_at", str(bad)) from None
        made = service.report(
            uow,
            service.NewReport(
                kind=_choice(kind, IncidentKind, "kind"),
                what_happened=what_happened,
                personal_data=_choice(personal_data, Involvement, "personal_data"),
                card_data=_choice(card_data, Involvement, "card_data"),
                noticed_at=noticed,
                systems=systems,
                exercise=bool(exercise),
            ),
            viewer_of(staff),
        )
    except KlaremontError as exc:
        uow.session.rollback()
        return _report_form(staff, error=said(exc, REPORT_LABELS), status_code=exc.status)
    reference = made.reference
    finish(uow)
    if viewer_of(staff).oversees:
        return RedirectResponse(f"/staff/incidents/{reference}?done=reported", status_code=303)
    return RedirectResponse(f"/staff/incidents?reported={reference}", status_code=303)


@router.get("/incidents/{reference}")
def case_page(reference: str, staff: ReportPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One incident: the clock, the tracker, the team, the checklist and the action log."""
    view = page_view(uow, viewer_of(staff), reference)
    finish(uow)
    notice = "Reported: the ISO was alerted." if done == "reported" else DONE_WORDS.get(done)
    return draw_case(staff, view["case"].row.reference, view, notice=notice)


@router.get("/incidents/{reference}/ico-report")
def ico_report_page(reference: str, staff: ReportPage, uow: UowDep) -> HTMLResponse:
    """The ICO report drafted from the case, to check and send (Art. 33(3))."""
    incident = service.find(uow, viewer_of(staff), reference)
    draft = ico_report.draft(uow, incident)
    return render("staff/incident_ico_report.html", staff=staff, draft=draft)
