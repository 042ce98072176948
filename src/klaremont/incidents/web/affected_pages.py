"""The affected customers of an incident in the console (``/staff/incidents/{ref}/affected``):
who is listed, the legal hold on their data, the reads seen on high alert, and the
customer notice (Art. 34) or the reason it is not required.

Thin over :mod:`klaremont.incidents.affected` and :mod:`klaremont.incidents.customer_notice`,
the services the API calls: the case is found through
:func:`klaremont.incidents.service.find` first (404, audited, for anyone who may not see
it); every form is the ISO's (``incidents:manage``). A refusal draws the page again with
the service's words; nothing of the refused action is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound
from klaremont.incidents import affected, affected_read, clocks, customer_notice, service
from klaremont.incidents.affected_models import WHY_MAX
from klaremont.incidents.models import TEXT_MAX
from klaremont.incidents.permissions import IncidentPermission
from klaremont.incidents.visibility import Viewer
from klaremont.incidents.web.pages import ReportPage, viewer_of
from klaremont.incidents.web.views import said
from klaremont.mail.templates import NOTICE_TEXT_MAX
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.incidents.affected_read import AffectedView
    from klaremont.incidents.models import Incident
    from klaremont.incidents.web.views import Staff
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)
ManagePage = Annotated[
    StaffPrincipal, Depends(require(IncidentPermission.INCIDENTS_MANAGE, page=True))
]
Reason = Annotated[str, Form(min_length=1, max_length=TEXT_MAX)]
NoticeField = Annotated[str, Form(min_length=1, max_length=NOTICE_TEXT_MAX)]

LABELS: dict[str, dict[str, str]] = {
    "add": {
        "customers": "Account references or e-mail addresses",
        "why": "Why they are affected",
    },
    "hold": {"reason": "Why their data must be kept"},
    "lift": {"reason": "Why the hold can be lifted"},
    "notices": {
        "nature": "What happened",
        "consequences": "What this may mean for them",
        "measures": "What we have done and what they can do",
        "late_reason": "Why it is late",
    },
    "exempt": {"ground": "Ground", "reasoning": "Why it applies here"},
}
DONE = {
    "added": "Customers listed as affected.",
    "held": "Legal hold placed: their data is kept until it is lifted.",
    "lifted": "Legal hold lifted.",
    "sent": "Breach notice queued for each affected customer not told before.",
    "exempt": "Recorded: telling the customers is not required, with the reasoning.",
}
GROUNDS = customer_notice.GROUND_WORDS


def _viewer(staff: Staff) -> Viewer:
    return Viewer.of(staff.username, staff.permissions) if staff else Viewer(None, frozenset())


def draw(
    staff: Staff,
    reference: str,
    view: AffectedView | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    only: str | None = None,
) -> HTMLResponse:
    """The page (``view`` ``None``: the form ``only`` alone, the case could not be read)."""
    return render(
        "staff/incident_affected.html",
        status_code=status_code,
        staff=staff,
        reference=view.reference if view else reference,
        view=view,
        labels=LABELS,
        grounds=GROUNDS,
        error=error,
        notice=notice,
        only=only,
        uk_short=clocks.uk_short,
    )


def _again(action: str) -> Callable[[FormRetry], HTMLResponse]:
    def again(retry: FormRetry) -> HTMLResponse:
        reference = str(retry.request.path_params.get("reference", ""))
        viewer = _viewer(retry.staff)
        try:
            view: AffectedView | None = retry.read(
                lambda uow: affected_read.find_view(uow, viewer, reference)
            )
        except KlaremontError:
            view = None
        return draw(
            retry.staff,
            reference,
            view,
            error="; ".join(retry.errors),
            status_code=422,
            only=None if view else action,
        )

    return again


def _act(
    uow: UnitOfWork,
    staff: StaffPrincipal,
    reference: str,
    action: str,
    work: Callable[[Incident], object],
    word: str,
) -> Response:
    viewer = viewer_of(staff)
    try:
        incident = service.find(uow, viewer, reference)
        reference = incident.reference
        work(incident)
    except NotFound:
        raise  # not one this person may see: the console's 404 page (the look was audited)
    except KlaremontError as exc:
        uow.session.rollback()
        try:
            view: AffectedView | None = affected_read.find_view(uow, viewer, reference)
        except KlaremontError:
            view = None
        finish(uow)
        return draw(
            staff,
            reference,
            view,
            error=said(exc, LABELS[action]),
            status_code=exc.status,
            only=None if view else action,
        )
    finish(uow)
    return RedirectResponse(f"/staff/incidents/{reference}/affected?done={word}", status_code=303)


@router.get("/incidents/{reference}/affected")
def affected_page(reference: str, staff: ReportPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """The affected customers, the legal hold, high alert and the customer notice."""
    view = affected_read.find_view(uow, viewer_of(staff), reference)
    finish(uow)
    return draw(staff, reference, view, notice=DONE.get(done))


@router.post("/incidents/{reference}/affected")
@form_page(_again("add"), LABELS["add"])
def add_customers(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    customers: Annotated[str, Form(min_length=1, max_length=20_000)],
    why: Annotated[str, Form(max_length=WHY_MAX)] = "",
) -> Response:
    """List customers as affected (the ISO)."""
    viewer = viewer_of(staff)
    work = lambda i: affected.add(uow, viewer, i, customers, why)  # noqa: E731
    return _act(uow, staff, reference, "add", work, "added")


@router.post("/incidents/{reference}/hold")
@form_page(_again("hold"), LABELS["hold"])
def place_hold(reference: str, staff: ManagePage, uow: UowDep, reason: Reason) -> Response:
    """Place the legal hold on the affected customers' data (the ISO)."""
    viewer = viewer_of(staff)
    work = lambda i: affected.place_hold(uow, viewer, i, reason)  # noqa: E731
    return _act(uow, staff, reference, "hold", work, "held")


@router.post("/incidents/{reference}/hold/lift")
@form_page(_again("lift"), LABELS["lift"])
def lift_hold(reference: str, staff: ManagePage, uow: UowDep, reason: Reason) -> Response:
    """Lift the legal hold (the ISO)."""
    viewer = viewer_of(staff)
    work = lambda i: affected.lift_hold(uow, viewer, i, reason)  # noqa: E731
    return _act(uow, staff, reference, "lift", work, "lifted")


@router.post("/incidents/{reference}/customer-notices")
@form_page(_again("notices"), LABELS["notices"])
def send_notices(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    nature: NoticeField,
    consequences: NoticeField,
    measures: NoticeField,
    late_reason: Annotated[str, Form(max_length=TEXT_MAX)] = "",
) -> Response:
    """Send the breach notice to each affected customer not told yet (the ISO)."""
    viewer = viewer_of(staff)
    text = customer_notice.NoticeText(nature, consequences, measures, late_reason or None)
    work = lambda i: customer_notice.send(uow, viewer, i, text)  # noqa: E731
    return _act(uow, staff, reference, "notices", work, "sent")


@router.post("/incidents/{reference}/customer-notices/not-required")
@form_page(_again("exempt"), LABELS["exempt"])
def notices_not_required(
    reference: str,
    staff: ManagePage,
    uow: UowDep,
    ground: Annotated[str, Form(min_length=1, max_length=24)],
    reasoning: Reason,
) -> Response:
    """Record that the customers need not be told, the ground and the reasoning (the ISO)."""
    viewer = viewer_of(staff)
    work = lambda i: customer_notice.exempt(uow, viewer, i, ground, reasoning)  # noqa: E731
    return _act(uow, staff, reference, "exempt", work, "exempt")
