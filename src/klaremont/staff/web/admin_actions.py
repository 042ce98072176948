"""The actions on a staff account's page, each a form posting to the same service, with the
same permission, as the ``/api/staff`` route of the same name (IS-SENS-VET, IS-AC-LEAVER,
IS-PW-LOCK3, IS-RA-2FA, DP-AWARE).

Roles need ``staff:roles``; vetting and training ``staff:vetting``; the line manager,
disabling and enabling ``staff:update``; unlocking ``staff:unlock``; a password or
authenticator reset ``staff:reset_password``; offboarding ``staff:offboard``; revoking a
remote-access grant ``remote:revoke``. The guard asks for a fresh password entry where the
permission is sensitive (back to the account page after). The services audit each change
and refuse what they refuse (vetting before a data role, nobody acting on their own roles,
lock or offboarding); a refusal draws the account page again with the message, nothing of
the action kept. A one-time password and the offboarding report are the answer to their
form, shown once; every other action goes back to the account page saying what was done.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.staff import (
    service_accounts,
    service_job,
    service_lifecycle,
    service_passwords,
    service_remote,
)
from klaremont.staff.permissions import Role, StaffPermission
from klaremont.staff.web.admin_pages import by, choice
from klaremont.staff.web.admin_views import (
    PersonView,
    draw_offboarded,
    draw_one_time,
    draw_person,
    manager_id,
    person_view,
)
from klaremont.staff.web.admin_words import day_start, grade, known_role, parse_day, said
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount

router = APIRouter(prefix="/staff", include_in_schema=False)


RolesPage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_ROLES, page=True))]
VettingPage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_VETTING, page=True))]
UpdatePage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_UPDATE, page=True))]
UnlockPage = Annotated[StaffPrincipal, Depends(require(StaffPermission.STAFF_UNLOCK, page=True))]
ResetPage = Annotated[
    StaffPrincipal, Depends(require(StaffPermission.STAFF_RESET_PASSWORD, page=True))
]
OffboardPage = Annotated[
    StaffPrincipal, Depends(require(StaffPermission.STAFF_OFFBOARD, page=True))
]
RevokePage = Annotated[StaffPrincipal, Depends(require(StaffPermission.REMOTE_REVOKE, page=True))]

LABELS: dict[str, dict[str, str]] = {
    "grant-role": {"role": "Role to grant"},
    "revoke-role": {"role": "Role"},
    "vetting": {"vetted_on": "Background check completed on"},
    "training": {"training_on": "Training completed on", "completed_at": "Training completed on"},
    "line-manager": {"line_manager": "Line manager", "line_manager_id": "Line manager"},
    "job": {"job_title": "Job title", "seniority": "Seniority grade"},
    "disable": {"reason": "Reason for disabling"},
    "offboard": {"confirm": "They have left: revoke everything now"},
    "revoke-remote": {"grant": "Grant", "reason": "Reason for revoking"},
}


def _again(action: str) -> Callable[[FormRetry], HTMLResponse]:
    """The account page drawn again after a refused input (only the form if none is found)."""

    def draw(retry: FormRetry) -> HTMLResponse:
        username = str(retry.request.path_params.get("username", ""))
        viewer = retry.staff.account_id if retry.staff is not None else None
        try:
            view: PersonView | None = retry.read(lambda uow: person_view(uow, username, viewer))
        except KlaremontError:
            view = None
        return draw_person(
            retry.staff,
            username,
            view,
            error="; ".join(retry.errors),
            status_code=422,
            only=None if view is not None else action,
        )

    return draw


def _act(
    uow: UnitOfWork,
    staff: StaffPrincipal,
    username: str,
    action: str,
    work: Callable[[StaffAccount], str],
    role: Role | None = None,
) -> Response:
    """Run ``work`` on the account; back to its page saying what was done, or the refusal
    (``role``: the role a grant asked for, named in a refusal for want of vetting)."""
    try:
        account = service_accounts.account_by_username(uow, username)
        done = work(account)
    except KlaremontError as exc:
        return _refused(uow, staff, username, exc, action, role)
    name = account.username
    finish(uow)
    return RedirectResponse(f"/staff/people/{name}?done={done}", status_code=303)


def _refused(
    uow: UnitOfWork,
    staff: StaffPrincipal,
    username: str,
    exc: KlaremontError,
    action: str,
    role: Role | None = None,
) -> HTMLResponse:
    """The account page again with the service's refusal (nothing of the action kept)."""
    uow.session.rollback()
    try:
        view: PersonView | None = person_view(uow, username, staff.account_id)
    except NotFound:
        view = None
    finish(uow)
    error = said(exc, LABELS.get(action, {}), role)
    only = None if view is not None else action
    return draw_person(staff, username, view, error=error, status_code=exc.status, only=only)


def _role(value: str, field: str = "role") -> Role:
    return choice(value, Role, field, "the roles listed")


@router.post("/people/{username}/grant-role")
@form_page(_again("grant-role"), LABELS["grant-role"])
def grant_role(
    username: str, staff: RolesPage, uow: UowDep, role: Annotated[str, Form(max_length=32)]
) -> Response:
    """Grant a role (refused without a background check for a role reading personal data)."""

    def work(account: StaffAccount) -> str:
        service_accounts.grant_role(
            uow, account.id, _role(role), granted_by=by(staff), granter_id=staff.account_id
        )
        return "granted"

    return _act(uow, staff, username, "grant-role", work, known_role(role))


@router.post("/people/{username}/revoke-role")
@form_page(_again("revoke-role"), LABELS["revoke-role"])
def revoke_role(
    username: str, staff: RolesPage, uow: UowDep, role: Annotated[str, Form(max_length=32)]
) -> Response:
    """Remove a role."""

    def work(account: StaffAccount) -> str:
        service_accounts.revoke_role(
            uow, account.id, _role(role), revoked_by=by(staff), revoker_id=staff.account_id
        )
        return "revoked"

    return _act(uow, staff, username, "revoke-role", work)


@router.post("/people/{username}/vetting")
@form_page(_again("vetting"), LABELS["vetting"])
def record_vetting(
    username: str, staff: VettingPage, uow: UowDep, vetted_on: Annotated[str, Form(max_length=10)]
) -> Response:
    """Record the date of a background check (IS-SENS-VET)."""

    def work(account: StaffAccount) -> str:
        day = parse_day("vetted_on", vetted_on, required=True)
        assert day is not None  # noqa: S101 - required=True never gives None
        service_accounts.record_vetting(uow, account.id, day, by=by(staff))
        return "vetting"

    return _act(uow, staff, username, "vetting", work)


@router.post("/people/{username}/training")
@form_page(_again("training"), LABELS["training"])
def record_training(
    username: str,
    staff: VettingPage,
    uow: UowDep,
    training_on: Annotated[str, Form(max_length=10)],
) -> Response:
    """Record data-protection training and policy acknowledgement (DP-AWARE)."""

    def work(account: StaffAccount) -> str:
        day = parse_day("training_on", training_on, required=True)
        assert day is not None  # noqa: S101 - required=True never gives None
        service_accounts.record_training(uow, account.id, day_start(day), by=by(staff))
        return "training"

    return _act(uow, staff, username, "training", work)


@router.post("/people/{username}/job")
@form_page(_again("job"), LABELS["job"])
def set_job(
    username: str,
    staff: UpdatePage,
    uow: UowDep,
    job_title: Annotated[str, Form(max_length=100)] = "",
    seniority: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Record the job title and seniority grade (either may be left blank)."""

    def work(account: StaffAccount) -> str:
        service_job.set_job(
            uow, account, job_title=job_title, seniority=grade(seniority), by=by(staff)
        )
        return "job"

    return _act(uow, staff, username, "job", work)


@router.post("/people/{username}/line-manager")
@form_page(_again("line-manager"), LABELS["line-manager"])
def set_line_manager(
    username: str,
    staff: UpdatePage,
    uow: UowDep,
    line_manager: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Change or clear the line manager (another, active account)."""

    def work(account: StaffAccount) -> str:
        chosen = manager_id(uow, line_manager)
        service_accounts.set_line_manager(uow, account.id, chosen, by=by(staff))
        return "manager"

    return _act(uow, staff, username, "line-manager", work)


@router.post("/people/{username}/unlock")
@form_page(_again("unlock"), {})
def unlock(username: str, staff: UnlockPage, uow: UowDep) -> Response:
    """Lift a lockout before it ends by itself (IS-PW-LOCK3)."""

    def work(account: StaffAccount) -> str:
        was_locked = service_lifecycle.unlock_account(
            uow, account.id, by=by(staff), unlocker_id=staff.account_id
        )
        return "unlocked" if was_locked else "not-locked"

    return _act(uow, staff, username, "unlock", work)


@router.post("/people/{username}/reset-password")
@form_page(_again("reset-password"), {})
def reset_password(username: str, staff: ResetPage, uow: UowDep) -> Response:
    """Set a one-time password, shown once on the answer; lifts a lock, ends every session."""
    try:
        account = service_accounts.account_by_username(uow, username)
        one_time = service_passwords.admin_reset(
            uow, account, by=by(staff), resetter_id=staff.account_id
        )
    except KlaremontError as exc:
        return _refused(uow, staff, username, exc, "reset-password")
    username, full_name = account.username, account.full_name
    finish(uow)
    heading = f"Password reset: {username}"
    return draw_one_time(staff, heading, username, full_name, one_time, window=None)


@router.post("/people/{username}/reset-authenticator")
@form_page(_again("reset-authenticator"), {})
def reset_authenticator(username: str, staff: ResetPage, uow: UowDep) -> Response:
    """Remove the authenticator (a lost phone); every session ends."""

    def work(account: StaffAccount) -> str:
        service_lifecycle.reset_mfa(uow, account.id, by=by(staff))
        return "authenticator"

    return _act(uow, staff, username, "reset-authenticator", work)


@router.post("/people/{username}/disable")
@form_page(_again("disable"), LABELS["disable"])
def disable(
    username: str,
    staff: UpdatePage,
    uow: UowDep,
    reason: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """Disable the account now; its sessions end at once."""

    def work(account: StaffAccount) -> str:
        service_lifecycle.disable_account(uow, account, reason=reason, by=by(staff))
        return "disabled"

    return _act(uow, staff, username, "disable", work)


@router.post("/people/{username}/enable")
@form_page(_again("enable"), {})
def enable(username: str, staff: UpdatePage, uow: UowDep) -> Response:
    """Let a disabled account sign in again."""

    def work(account: StaffAccount) -> str:
        service_lifecycle.enable_account(uow, account.id, by=by(staff))
        return "enabled"

    return _act(uow, staff, username, "enable", work)


@router.post("/people/{username}/offboard")
@form_page(_again("offboard"), LABELS["offboard"])
def offboard(
    username: str,
    staff: OffboardPage,
    uow: UowDep,
    confirm: Annotated[str, Form(min_length=1, max_length=3)],
) -> Response:
    """A leaver: everything revoked at once; the answer lists what was (IS-AC-LEAVER)."""
    try:
        if confirm != "yes":
            raise ValidationFailed.single("confirm", "must be ticked")
        account = service_accounts.account_by_username(uow, username)
        report = service_lifecycle.offboard(
            uow, account.id, by=by(staff), offboarder_id=staff.account_id
        )
    except KlaremontError as exc:
        return _refused(uow, staff, username, exc, "offboard")
    name = account.username
    finish(uow)
    return draw_offboarded(staff, name, report)


@router.post("/people/{username}/revoke-remote")
@form_page(_again("revoke-remote"), LABELS["revoke-remote"])
def revoke_remote(
    username: str,
    staff: RevokePage,
    uow: UowDep,
    grant: Annotated[uuid.UUID, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """Revoke one of this person's remote-access grants now (IS-RA-2FA)."""

    def work(account: StaffAccount) -> str:
        if grant not in {g.id for g in service_remote.grants_of(uow, account.id)}:
            raise NotFound("That remote-access grant is not this person's; reload the page.")
        service_remote.revoke_grant(uow, grant, reason=reason)
        return "remote-revoked"

    return _act(uow, staff, username, "revoke-remote", work)
