"""The Data Protection Officer's litigation holds in the console (``/staff/retention/holds``):
the holds in force and lifted, a form to place one (customer by account reference or
e-mail address, and why), each hold's page with a form to lift it.

Thin over :mod:`klaremont.retention.litigation`. A refusal draws the page again with the
service's words, naming the field by the label the form shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound
from klaremont.retention import litigation
from klaremont.retention.models import REASON_MAX
from klaremont.retention.permissions import RetentionPermission
from klaremont.retention.web import views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

#: included by :mod:`klaremont.retention.web.pages` under its ``/staff`` prefix
router = APIRouter(include_in_schema=False)

ReadPage = Annotated[
    StaffPrincipal, Depends(require(RetentionPermission.RETENTION_READ, page=True))
]
HoldPage = Annotated[
    StaffPrincipal, Depends(require(RetentionPermission.RETENTION_HOLD, page=True))
]
CUSTOMER_MAX = 320  # an e-mail address at its longest
DONE = {
    "placed": "Litigation hold placed: nothing of this customer's is deleted until it is lifted.",
    "lifted": "Litigation hold lifted: the retention schedule applies to this customer again.",
}


def _read(retry: FormRetry, work: Callable[[UnitOfWork], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return retry.read(work)
    except KlaremontError:
        return None


def _safe(work: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return work()
    except KlaremontError:
        return None


# --- the holds ---------------------------------------------------------------------------


def _holds(staff: Any, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    return views.draw("retention_holds.html", staff, view, **kw)


def _place_again(retry: FormRetry) -> HTMLResponse:
    view = _read(retry, views.holds_view)
    return _holds(retry.staff, view, error="; ".join(retry.errors), status_code=422)


@router.get("/retention/holds")
def retention_holds_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The litigation holds in force and lifted; the DPO's form to place one."""
    return _holds(staff, views.holds_view(uow))


@router.post("/retention/holds")
@form_page(_place_again, views.PLACE_LABELS)
def retention_hold_place(
    staff: HoldPage,
    uow: UowDep,
    customer: Annotated[str, Form(min_length=1, max_length=CUSTOMER_MAX)],
    reason: Annotated[str, Form(min_length=1, max_length=REASON_MAX)],
) -> Response:
    """Place a litigation hold; then the hold's page."""
    try:
        reference = litigation.place(uow, customer, reason).reference
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: views.holds_view(uow))
        finish(uow)
        error = views.said(exc, views.PLACE_LABELS)
        return _holds(staff, view, error=error, status_code=exc.status)
    finish(uow)
    return RedirectResponse(f"/staff/retention/holds/{reference}?done=placed", status_code=303)


# --- one hold ----------------------------------------------------------------------------


def _hold(staff: Any, reference: str, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    return views.draw("retention_hold.html", staff, view, reference=reference, **kw)


def _lift_again(retry: FormRetry) -> HTMLResponse:
    reference = str(retry.request.path_params.get("reference", ""))
    view = _read(retry, lambda uow: views.hold_view(uow, reference))
    shown = view["reference"] if view else reference
    return _hold(retry.staff, shown, view, error="; ".join(retry.errors), status_code=422)


@router.get("/retention/holds/{reference}")
def retention_hold_page(
    reference: str, staff: ReadPage, uow: UowDep, done: str = ""
) -> HTMLResponse:
    """One litigation hold: whom it holds, why, since when; the DPO's form to lift it."""
    view = views.hold_view(uow, reference)
    return _hold(staff, view["reference"], view, notice=DONE.get(done))


@router.post("/retention/holds/{reference}/lift")
@form_page(_lift_again, views.LIFT_LABELS)
def retention_hold_lift(
    reference: str,
    staff: HoldPage,
    uow: UowDep,
    reason: Annotated[str, Form(min_length=1, max_length=REASON_MAX)],
) -> Response:
    """Lift a litigation hold; then the hold's page."""
    wanted = views.reference_of(reference, "litigation hold")
    try:
        lifted = litigation.lift(uow, wanted, reason).reference
    except NotFound:
        raise
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: views.hold_view(uow, wanted))
        finish(uow)
        error = views.said(exc, views.LIFT_LABELS)
        return _hold(staff, wanted, view, error=error, status_code=exc.status)
    finish(uow)
    return RedirectResponse(f"/staff/retention/holds/{lifted}?done=lifted", status_code=303)
