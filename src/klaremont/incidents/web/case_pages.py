"""The forms on an incident's case page, each posting to the same service as the API.

Moving the case, appointing the team, deciding a notification, the assessment and the
lessons learned need ``incidents:manage`` (the ISO); logging an action and answering a
preservation step need a seat on the team (or the ISO), checked by the service. A refusal
draws the case page again with the service's words (a move names everything still
missing); nothing of the refused action is kept, but the refusal is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.incidents import appoint, casework, clocks, notify, service, workflow
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.ports import PluggedDirectory
from klaremont.incidents.states import (
    ActionKind,
    ChecklistAnswer,
    ChecklistItem,
    Decision,
    IcoPhase,
    IncidentState,
    Recipient,
)
from klaremont.incidents.team import SEATS
from klaremont.incidents.visibility import Viewer
from klaremont.incidents.web.pages import ReportPage, viewer_of
from klaremont.incidents.web.views import LABELS, draw_case, page_view, said
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page

if TYPE_CHECKING:
    from klaremont.incidents.models import Incident
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

ManagePage = Annotated[
    StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_MANAGE, page=True))
]
Short = Annotated[str, Form(max_length=64)]
Long = Annotated[str, Form(max_length=4000)]


def _again(action: str) -> Callable[[FormRetry], HTMLResponse]:
    def draw(retry: FormRetry) -> HTMLResponse:
        reference = str(retry.request.path_params.get("reference", ""))
        staff = retry.staff
        viewer = (
            Viewer.of(staff.username, staff.permissions) if staff else Viewer(None, frozenset())
        )
        try:
            view: dict[str, Any] | None = retry.read(lambda uow: page_view(uow, viewer, reference))
        except KlaremontError:
            view = None
        return draw_case(
            staff,
            reference,
            view,
            error="; ".join(retry.errors),
            status_code=422,
            only=None if view else action,
        )

    return draw


def _refused(
    uow: UnitOfWork, staff: StaffPrincipal, reference: str, exc: KlaremontError, action: str
) -> HTMLResponse:
    uow.session.rollback()
    try:
        view: dict[str, Any] | None = page_view(uow, viewer_of(staff), reference)
    except KlaremontError:
        view = None
    finish(uow)
    error = said(exc, LABELS.get(action, {}))
    return draw_case(
        staff, reference, view, error=error, status_code=exc.status, only=None if view else action
    )


def _done(uow: UnitOfWork, reference: str, word: str) -> Response:
    finish(uow)
    return RedirectResponse(f"/staff/incidents/{reference}?done={word}", status_code=303)


def _act(
    uow: UnitOfWork,
    staff: StaffPrincipal,
    reference: str,
    action: str,
    work: Callable[[Incident], object],
    word: str,
) -> Response:
    try:
        incident = service.find(uow, viewer_of(staff), reference)
        reference = incident.reference
        work(incident)
    except NotFound:
        raise  # not one this person may see: the console's 404 page (the look was audited)
    except KlaremontError as exc:
        return _refused(uow, staff, reference, exc, action)
    return _done(uow, reference, word)


def _enum(value: str, enum: type[Any], field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed.single(field, "choose one of the options") from None


def _move(to: IncidentState) -> Callable[..., Response]:
    def move(reference: str, staff: ManagePage, uow: UowDep) -> Response:
        viewer = viewer_of(staff)
        return _act(
            uow, staff, reference, to.value, lambda i: workflow.move(uow, viewer, i, to), to.value
        )

    move.__doc__ = f"Move the case to {to.value} (refused naming what is missing)."
    move.__name__ = f"move_{to.value}"
    return move


for _state, _path in (
    (IncidentState.INVESTIGATING, "investigate"),
    (IncidentState.CONTAINED, "contain"),
    (IncidentState.RECOVERED, "recover"),
    (IncidentState.CLOSED, "close"),
):
    router.post(f"/incidents/{{reference}}/{_path}")(_move(_state))


@router.post("/incidents/{reference}/dismiss")
@form_page(_again("dismiss"), LABELS["dismiss"])
def dismiss(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Not an incident: dismissed, the reason on record."""
    viewer = viewer_of(staff)
    work = lambda i: workflow.move(uow, viewer, i, IncidentState.DISMISSED, reason)  # noqa: E731
    return _act(uow, staff, reference, "dismiss", work, "dismissed")


@router.post("/incidents/{reference}/team")
@form_page(_again("team"), LABELS["team"])
def team(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    seat_iso: Short = "",
    seat_senior_engineer: Short = "",
    seat_development_manager: Short = "",
    seat_director: Short = "",
    seat_account_manager: Short = "",
) -> Response:
    """Appoint every seat; from the initial investigation this also activates the team."""
    viewer = viewer_of(staff)
    given = (
        seat_iso,
        seat_senior_engineer,
        seat_development_manager,
        seat_director,
        seat_account_manager,
    )
    chosen = {seat: (name.strip() or None) for seat, name in zip(SEATS, given, strict=True)}

    def work(incident: Incident) -> object:
        if incident.state is IncidentState.INVESTIGATING:
            return appoint.activate(uow, viewer, incident, chosen, PluggedDirectory(uow))
        return appoint.appoint(uow, viewer, incident, chosen, PluggedDirectory(uow))

    return _act(uow, staff, reference, "team", work, "team_activated")


@router.post("/incidents/{reference}/actions")
@form_page(_again("actions"), LABELS["actions"])
def log_action(
    reference: str,
    staff: ReportPage,
    uow: UowDep,
    kind: Annotated[str, Form(min_length=1, max_length=16)],
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """Append an action to the log (the team and the ISO)."""
    viewer = viewer_of(staff)
    work = lambda i: casework.log_action(uow, viewer, i, _enum(kind, ActionKind, "kind"), text)  # noqa: E731
    return _act(uow, staff, reference, "actions", work, "action")


@router.post("/incidents/{reference}/checklist")
@form_page(_again("checklist"), LABELS["checklist"])
def answer_step(
    reference: str,
    staff: ReportPage,
    uow: UowDep,
    item: Annotated[str, Form(min_length=1, max_length=24)],
    answer: Annotated[str, Form(min_length=1, max_length=16)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Answer one preservation step (the team and the ISO)."""
    viewer = viewer_of(staff)

    def work(incident: Incident) -> object:
        step = _enum(item, ChecklistItem, "item")
        return casework.answer_step(
            uow, viewer, incident, step, _enum(answer, ChecklistAnswer, "answer"), note
        )

    return _act(uow, staff, reference, "checklist", work, "step")


@router.post("/incidents/{reference}/notify")
@form_page(_again("notify"), LABELS["notify"])
def decide(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    recipient: Annotated[str, Form(min_length=1, max_length=24)],
    decision: Annotated[str, Form(min_length=1, max_length=16)],
    sent_at: Annotated[str, Form(max_length=32)] = "",
    their_reference: Annotated[str, Form(max_length=100)] = "",
    reasoning: Long = "",
    late_reason: Long = "",
    phase: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Record a party as told, or as not required with the reasoning."""
    viewer = viewer_of(staff)

    def work(incident: Incident) -> object:
        when = None
        if sent_at.strip():
            try:
                when = clocks.from_uk_local(sent_at)
            except ValueError as bad:
                raise ValidationFailed.single("sent_at", str(bad)) from None
        chosen = notify.NotificationDecision(
            recipient=_enum(recipient, Recipient, "recipient"),
            decision=_enum(decision, Decision, "decision"),
            sent_at=when,
            their_reference=their_reference,
            reasoning=reasoning,
            late_reason=late_reason,
            phase=_enum(phase, IcoPhase, "phase") if phase else None,
        )
        return notify.decide(uow, viewer, incident, chosen)

    return _act(uow, staff, reference, "notify", work, "decided")


def _count(value: str, field: str) -> int | None:
    text = value.replace(",", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed.single(field, "must be a whole number")
    return int(text)


@router.post("/incidents/{reference}/assessment")
@form_page(_again("assessment"), LABELS["assessment"])
def assess(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    people_categories: Annotated[str, Form(max_length=500)] = "",
    people_count: Annotated[str, Form(max_length=12)] = "",
    record_categories: Annotated[str, Form(max_length=500)] = "",
    record_count: Annotated[str, Form(max_length=12)] = "",
    consequences: Long = "",
    measures_proposed: Long = "",
) -> Response:
    """The ISO's assessment for the ICO report."""
    viewer = viewer_of(staff)

    def work(incident: Incident) -> object:
        found = casework.Assessment(
            people_categories=people_categories,
            people_count=_count(people_count, "people_count"),
            record_categories=record_categories,
            record_count=_count(record_count, "record_count"),
            consequences=consequences,
            measures_proposed=measures_proposed,
        )
        return casework.assess(uow, viewer, incident, found)

    return _act(uow, staff, reference, "assessment", work, "assessed")


@router.post("/incidents/{reference}/lessons")
@form_page(_again("lessons"), LABELS["lessons"])
def lessons(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """The lessons learned (needed before closing)."""
    viewer = viewer_of(staff)
    return _act(
        uow,
        staff,
        reference,
        "lessons",
        lambda i: casework.record_lessons(uow, viewer, i, text),
        "lessons",
    )
