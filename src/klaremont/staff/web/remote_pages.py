"""Remote access in the staff console (IS-RA-2FA): ask for it, approve it, revoke it.

``/staff/remote-access`` is open to every signed-in member of staff. It shows their own
grants in words, a form to ask for remote access, the requests they may approve (as the
grantee's line manager, or as technical operations with ``remote:approve``) and, for
holders of ``remote:revoke``, the grants active now. Each form calls the service the API
route of the same name calls (:mod:`klaremont.staff.service_remote`: ``request_grant``,
``approve_grant``, ``revoke_grant``), so the two approvals by two different people,
neither the grantee, stay the service's rule. Approving is administrative whatever the
roles (``require(fresh=True)``, as ``POST /api/auth/remote-grants/{id}/approve``) and
revoking needs the sensitive ``remote:revoke``: both ask for the password again when it
was not entered in the last few minutes. A refused approval is recorded as
``authz.denied`` (:func:`~klaremont.staff.service_remote.record_refused_approval`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, PermissionDenied, ValidationFailed
from klaremont.staff import service_remote
from klaremont.staff.permissions import StaffPermission
from klaremont.staff.service_accounts import get_account
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.staff.web.remote_words import RemotePage, read_page
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE = "/staff/remote-access"
Page = Annotated[StaffPrincipal, Depends(require(page=True))]
#: approving is administrative for anyone (a recent password entry), as in the API
ApprovePage = Annotated[StaffPrincipal, Depends(require(page=True, fresh=True))]
RevokePage = Annotated[StaffPrincipal, Depends(require(StaffPermission.REMOTE_REVOKE, page=True))]

REQUEST_LABELS = {"reason": "Why you need remote access", "days": "For how many days (1 to 365)"}
APPROVE_LABELS = {"grant": "The request to approve"}
REVOKE_LABELS = {"grant": "The remote access to revoke", "reason": "Why it is revoked"}
DONE = {
    "requested": "Asked. Your line manager and technical operations will see it waiting.",
    "approved": "Approved. The request now waits for its other approval.",
    "active": "Approved. Both approvals are in: the remote access is active now.",
    "revoked": "Revoked. Any remote session of that person stops at its next request.",
}


def _draw(
    staff: StaffPrincipal | PageStaff | None,
    page: RemotePage,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    return render(
        "staff/remote_access.html",
        status_code=status_code,
        staff=staff,
        page=page,
        error=error,
        notice=notice,
    )


def _page(
    staff: StaffPrincipal,
    uow: UnitOfWork,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    page = read_page(uow, staff.account, staff.permissions)
    return _draw(staff, page, status_code=status_code, error=error, notice=notice)


def _again(retry: FormRetry) -> HTMLResponse:
    """The page again after bad input, read in a unit of work of its own."""
    staff = retry.staff
    if staff is None or staff.account_id is None:  # pragma: no cover - the guard admitted them
        msg = "nobody signed in to draw the page for"
        raise RuntimeError(msg)  # the generic error page answers, still naming the fields
    account_id = staff.account_id
    page = retry.read(lambda uow: read_page(uow, get_account(uow, account_id), staff.permissions))
    return _draw(staff, page, status_code=422, error="; ".join(retry.errors))


def _said(exc: KlaremontError, labels: dict[str, str]) -> str:
    """A service refusal in words, each field named by the label the form shows."""
    if exc.problems:
        return "; ".join(f"{labels.get(p.field, p.field)}: {p.rule}" for p in exc.problems)
    return exc.detail


def _days(typed: str) -> int:
    text = typed.strip()
    if not text.isdigit() or not 1 <= int(text) <= service_remote.GRANT_MAX_DAYS:
        raise ValidationFailed.single(
            "days", f"a whole number of days from 1 to {service_remote.GRANT_MAX_DAYS}"
        )
    return int(text)


@router.get("/remote-access")
def remote_access_page(staff: Page, uow: UowDep, done: str = "") -> HTMLResponse:
    """My remote access, the form to ask for it, and what waits for my approval."""
    return _page(staff, uow, notice=DONE.get(done))


@router.post("/remote-access/request")
@form_page(_again, REQUEST_LABELS)
def remote_access_request(
    staff: Page,
    uow: UowDep,
    reason: Annotated[str, Form(max_length=200)],
    days: Annotated[str, Form(max_length=3)],
) -> Response:
    """Ask for remote access; refused when no line manager is recorded (nobody to approve)."""
    try:
        service_remote.request_grant(uow, staff.account, reason=reason, days=_days(days))
    except KlaremontError as exc:
        uow.session.rollback()
        return _page(staff, uow, status_code=exc.status, error=_said(exc, REQUEST_LABELS))
    finish(uow)
    return RedirectResponse(f"{PAGE}?done=requested", status_code=303)


@router.post("/remote-access/approve")
@form_page(_again, APPROVE_LABELS)
def remote_access_approve(
    staff: ApprovePage, uow: UowDep, grant: Annotated[uuid.UUID, Form()]
) -> Response:
    """Approve as the grantee's line manager or as technical operations (the service decides
    which, and refuses the grantee, a second approval by one person, and anyone else)."""
    account = staff.account
    try:
        approved = service_remote.approve_grant(uow, grant, account, staff.permissions)
    except PermissionDenied as exc:
        refused = exc
        uow.keep_only_refusal(
            lambda: service_remote.record_refused_approval(uow, grant, account, refused)
        )
        return _page(staff, uow, status_code=exc.status, error=exc.detail)
    except KlaremontError as exc:
        uow.session.rollback()
        return _page(staff, uow, status_code=exc.status, error=_said(exc, APPROVE_LABELS))
    active = service_remote.is_active(approved, uow)
    finish(uow)
    return RedirectResponse(f"{PAGE}?done={'active' if active else 'approved'}", status_code=303)


@router.post("/remote-access/revoke")
@form_page(_again, REVOKE_LABELS)
def remote_access_revoke(
    staff: RevokePage,
    uow: UowDep,
    grant: Annotated[uuid.UUID, Form()],
    reason: Annotated[str, Form(max_length=64)],
) -> Response:
    """Revoke a grant now (``remote:revoke``: the ISO and technical operations)."""
    try:
        service_remote.revoke_grant(uow, grant, reason=reason)
    except KlaremontError as exc:
        uow.session.rollback()
        return _page(staff, uow, status_code=exc.status, error=_said(exc, REVOKE_LABELS))
    finish(uow)
    return RedirectResponse(f"{PAGE}?done=revoked", status_code=303)
