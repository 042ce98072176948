"""Stale-data review pages: the DPO's report as HTML and CSV, and recording a confirmation
(DP-ACCURATE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from klaremont.accuracy import report as stale
from klaremont.accuracy import service
from klaremont.accuracy.models import STAFF_CHANNELS, ReviewChannel
from klaremont.accuracy.permissions import AccuracyPermission
from klaremont.accuracy.render import to_csv
from klaremont.customers.permissions import CustomerPermission
from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReviewPage = Annotated[
    StaffPrincipal, Depends(require(AccuracyPermission.ACCURACY_REVIEW, page=True))
]
ConfirmPage = Annotated[
    StaffPrincipal,
    Depends(
        require(AccuracyPermission.ACCURACY_REVIEW, CustomerPermission.CUSTOMERS_UPDATE, page=True)
    ),
]
CHANNELS = sorted(c.value for c in STAFF_CHANNELS)


#: What a record's last review was (the report's ``basis``).
BASIS_WORDS = {
    "created": "Account opened",
    "confirmed": "Confirmed",
    "rectified": "Corrected",
}


def _page(
    staff: StaffPrincipal,
    uow: UowDep,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    report = stale.stale_records(uow, formats=("html",))
    return render(
        "staff/accuracy_review.html",
        status_code=status_code,
        staff=staff,
        report=report,
        channels=CHANNELS,
        can_confirm=CustomerPermission.CUSTOMERS_UPDATE in staff.permissions,
        error=error,
        notice=notice,
        basis_words=BASIS_WORDS,
    )


@router.get("/accuracy-review")
def accuracy_review_page(staff: ReviewPage, uow: UowDep, confirmed: str | None = None) -> Response:
    """Records overdue and due soon for review, with a form to record a confirmation."""
    notice = None
    if confirmed and confirmed.isalnum() and len(confirmed) <= 16:  # noqa: PLR2004 - a reference
        notice = f"Recorded: {confirmed} confirmed accurate."
    return _page(staff, uow, notice=notice)


@router.get("/accuracy-review.csv")
def accuracy_review_csv(_: ReviewPage, uow: UowDep) -> Response:
    """The report as CSV, for a spreadsheet or an auditor."""
    report = stale.stale_records(uow, formats=("csv",))
    name = f"stale-data-review-{report.today:%Y%m%d}.csv"
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _confirm_again(retry: FormRetry) -> HTMLResponse:
    report = retry.read(lambda uow: stale.stale_records(uow, formats=("html",)))
    permissions = retry.staff.permissions if retry.staff is not None else frozenset()
    return render(
        "staff/accuracy_review.html",
        status_code=422,
        staff=retry.staff,
        report=report,
        channels=CHANNELS,
        can_confirm=CustomerPermission.CUSTOMERS_UPDATE in permissions,
        error="; ".join(retry.errors),
        notice=None,
        basis_words=BASIS_WORDS,
    )


@router.post("/accuracy-review/confirm")
@form_page(
    _confirm_again,
    {"reference": "Customer reference", "channel": "The customer confirmed their details by"},
)
def accuracy_review_confirm(
    staff: ConfirmPage,
    uow: UowDep,
    reference: Annotated[str, Form(min_length=1, max_length=36)],
    channel: Annotated[str, Form(max_length=24)],
) -> Response:
    """Record that the customer confirmed their details (refusals shown on the page)."""
    try:
        if channel not in CHANNELS:
            raise ValidationFailed.single("channel", f"one of {', '.join(CHANNELS)}")
        done = service.confirm_accurate(uow, reference, channel=ReviewChannel(channel))
    except KlaremontError as exc:
        uow.session.rollback()
        return _page(staff, uow, status_code=exc.status, error=exc.detail)
    uow.session.commit()
    return RedirectResponse(f"/staff/accuracy-review?confirmed={done.reference}", status_code=303)
