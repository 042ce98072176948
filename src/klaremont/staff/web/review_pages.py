"""Access review pages: the report as HTML and CSV, and the reviewer's sign-off (IS-AC-REVIEW)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from klaremont.display import uk_date, uk_datetime
from klaremont.errors import KlaremontError
from klaremont.staff import service_review as review
from klaremont.staff.permissions import StaffPermission
from klaremont.staff.web.admin_words import FLAG_WORDS, role_words
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

router = APIRouter(prefix="/staff", include_in_schema=False)

ReviewPage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_REVIEW, page=True))]
SignOffPage = Annotated[
    StaffPrincipal, Depends(require(StaffPermission.STAFF_REVIEW_SIGNOFF, page=True))
]


#: What the page reads stored values with: roles, flags and times in words, UK time.
REVIEW_WORDS: dict[str, Any] = {
    "role_words": role_words,
    "flag_words": FLAG_WORDS,
    "when": lambda text: uk_datetime(datetime.fromisoformat(text)) if text else "never",
    "day": lambda text: uk_date(date.fromisoformat(text[:10])) if text else "never",
}


def _page(
    staff: StaffPrincipal | PageStaff | None,
    report: review.ReviewReport,
    *,
    can_sign: bool = True,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/access_review.html",
        status_code=status_code,
        staff=staff,
        report=report,
        flags=list(review.Flag),
        can_sign=can_sign,
        error=error,
        **REVIEW_WORDS,
    )


@router.get("/access-review")
def access_review_page(staff: ReviewPage, uow: UowDep) -> HTMLResponse:
    """Every account with its roles, dates and flags; sign-off for those who may."""
    report = review.build_report(uow)
    review.record_export(uow, report, "html")
    return _page(staff, report, can_sign=StaffPermission.STAFF_REVIEW_SIGNOFF in staff.permissions)


@router.get("/access-review.csv")
def access_review_csv(_: ReviewPage, uow: UowDep) -> Response:
    """The report as CSV, for a spreadsheet or an auditor."""
    report = review.build_report(uow)
    review.record_export(uow, report, "csv")
    name = f"access-review-{report.generated_at:%Y%m%d}.csv"
    return Response(
        review.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _sign_off_again(retry: FormRetry) -> HTMLResponse:
    report = retry.read(review.build_report)
    return _page(retry.staff, report, error="; ".join(retry.errors), status_code=422)


@router.post("/access-review/sign-off")
@form_page(
    _sign_off_again,
    {
        "digest": "The report signed (reload it and sign again)",
        "notes": "Notes (actions taken, accounts to follow up)",
    },
)
def access_review_sign_off(
    staff: SignOffPage,
    uow: UowDep,
    digest: Annotated[str, Form(min_length=64, max_length=64)],
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Sign off the report shown (refused if the accounts changed since)."""
    try:
        review.sign_off(uow, staff.account, digest=digest, notes=notes.strip() or None)
    except KlaremontError as exc:
        uow.session.rollback()
        report = review.build_report(uow)
        return _page(staff, report, error=exc.detail, status_code=exc.status)
    uow.session.commit()
    return RedirectResponse("/staff/access-review", status_code=303)
