"""The staff console pages under ``/staff``: login, logout, home, password, re-authentication, MFA.

Forms post back with a ``csrf_token`` field: the login form uses a double-submit cookie
(there is no session yet), every other form the session's token, checked by ``require``.
Pages are plain HTML with the stylesheet under ``/static``: no inline script or style.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from klaremont.display import login_retry_notice, plain_words
from klaremont.errors import KlaremontError
from klaremont.staff import lockout, service_mfa, service_remote, service_sessions
from klaremont.staff.permissions import Role
from klaremont.staff.service_authn import AuthResult, Channel, authenticate
from klaremont.staff.service_passwords import change_password, password_expires_at
from klaremont.staff.web.auth_api import (
    clear_session_cookie,
    credentials,
    open_session,
    set_session_cookie,
)
from klaremont.staff.web.guard import public, require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, commit_now, finish
from klaremont.web.form_pages import FormRetry, form_page
from klaremont.web.render import render
from klaremont.work import gather

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

LOGIN_CSRF_COOKIE = "klaremont_login_csrf"
LOGIN_FAILED_MESSAGE = (
    "Sign-in failed. Check your username, password and authenticator code (needed for "
    "administrative and card-handling roles, and outside the office)."
)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_NEXT = re.compile(r"/staff/[A-Za-z0-9/_.-]*")

# Roles as the home page names them (the others read as their words: "support agent").
ROLE_WORDS = {
    Role.DPO: "data protection officer",
    Role.ISO: "information security officer",
}

Page = Annotated[StaffPrincipal, Depends(require(page=True))]
PasswordPage = Annotated[StaffPrincipal, Depends(require(page=True, allow_password_change=True))]
EnrolPage = Annotated[StaffPrincipal, Depends(require(page=True, allow_mfa_enrolment=True))]


def login_failed_message(uow: UnitOfWork, result: AuthResult) -> str:
    """The one message of every failed password check, with the same retry sentence."""
    retry = result.retry_after or lockout.retry_after(uow, None)
    return f"{LOGIN_FAILED_MESSAGE} {login_retry_notice(retry, uow.policy.lockout.lockout_minutes)}"


def safe_next(value: str | None) -> str:
    """A local console path to go to after sign-in (anything else goes home)."""
    if value and _NEXT.fullmatch(value) and "//" not in value and ".." not in value:
        return value
    return "/staff/"


def redirect(path: str) -> RedirectResponse:
    """A 303 See Other to ``path``."""
    return RedirectResponse(path, status_code=303)


def _login_form(
    request: Request,
    *,
    status_code: int = 200,
    error: str | None = None,
    next_path: str = "/staff/",
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not _TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(32)
    response = render(
        "staff/login.html", status_code=status_code, csrf_token=token, next=next_path, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/staff/login",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login", dependencies=[Depends(public())])
def login_page(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query name
    """The sign-in form."""
    return _login_form(request, next_path=safe_next(next))


def _login_again(retry: FormRetry) -> HTMLResponse:
    return _login_form(
        retry.request,
        status_code=422,
        error="; ".join(retry.errors),
        next_path=safe_next(retry.submitted.get("next")),
    )


@router.post("/login", dependencies=[Depends(public())])
@form_page(
    _login_again,
    {"username": "Username", "password": "Password", "code": "Authenticator code"},
)
def login_submit(
    *,
    request: Request,
    uow: UowDep,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=200)] = "/staff/",  # noqa: A002 - the form field name
) -> Response:
    """Check the credentials; on success open a session and go on."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _login_form(
            request, status_code=400, error="The form expired; please sign in again."
        )
    creds = credentials(request, uow, username, password, code.strip() or None)
    result = authenticate(uow, creds, Channel.CONSOLE)
    if not result.ok:
        finish(uow)
        return _login_form(
            request,
            status_code=401,
            error=login_failed_message(uow, result),
            next_path=safe_next(next),
        )
    issued = open_session(uow, result, creds.remote)
    finish(uow)
    target = safe_next(next)
    if result.must_change_password:
        target = "/staff/password"
    elif result.enrolment_only:
        target = "/staff/mfa"
    response = redirect(target)
    set_session_cookie(response, uow, issued.key)
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, path="/staff/login", secure=True, httponly=True, samesite="strict"
    )
    return response


@router.post("/logout")
def logout(staff: PasswordPage, uow: UowDep) -> Response:
    """End this session and go back to the sign-in form."""
    if staff.session is not None:
        service_sessions.logout(uow, staff.session, staff.account)
    finish(uow)
    response = redirect("/staff/login")
    clear_session_cookie(response)
    return response


@router.get("/")
def home(staff: Page, uow: UowDep) -> HTMLResponse:
    """My work: what waits for this person's roles (every capability's ``my_work``), most
    urgent first, and a small summary of their own account."""
    account = staff.account
    work = gather(uow, staff)
    grant = service_remote.active_grant(uow, account.id)
    return render(
        "staff/home.html",
        staff=staff,
        account=account,
        work=work,
        roles=sorted(ROLE_WORDS.get(r, plain_words(r)) for r in staff.roles),
        password_expires=password_expires_at(uow, account),
        mfa=service_mfa.has_confirmed_mfa(uow, account.id),
        grant=grant,
        sessions=len(service_sessions.live_sessions(uow, account.id)),
        now=uow.clock.now(),
    )


@router.get("/password")
def password_page(staff: PasswordPage) -> HTMLResponse:
    """The password change form."""
    return render("staff/password.html", staff=staff, errors=[], error=None)


def _password_again(retry: FormRetry) -> HTMLResponse:
    return render(
        "staff/password.html", status_code=422, staff=retry.staff, errors=retry.errors, error=None
    )


@router.post("/password")
@form_page(
    _password_again,
    {
        "current_password": "Current password",
        "new_password": "New password",
        "confirm_password": "New password again",
    },
)
def password_submit(
    *,
    request: Request,
    staff: PasswordPage,
    uow: UowDep,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    confirm_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change the password, then continue with a new session."""
    if not hmac.compare_digest(new_password.encode(), confirm_password.encode()):
        return render(
            "staff/password.html",
            status_code=422,
            staff=staff,
            errors=[],
            error="The new passwords do not match.",
        )
    creds = credentials(request, uow, staff.account.username, current_password, None)
    result = authenticate(uow, creds, Channel.PASSWORD_CHANGE)
    commit_now(uow)
    if not result.ok:
        return render(
            "staff/password.html",
            status_code=401,
            staff=staff,
            errors=[],
            error=login_failed_message(uow, result),
        )
    try:
        change_password(uow, staff.account, new_password, keep_session=None)
    except KlaremontError as exc:
        uow.session.rollback()
        rules = [p.rule for p in exc.problems] or [exc.detail]
        return render(
            "staff/password.html", status_code=exc.status, staff=staff, errors=rules, error=None
        )
    session = staff.session
    issued = service_sessions.start_session(
        uow,
        staff.account,
        mfa=bool(session and session.mfa),
        remote=bool(session and session.remote),
        must_change_password=False,
    )
    finish(uow)
    response = redirect("/staff/")
    set_session_cookie(response, uow, issued.key)
    return response


@router.get("/reauth")
def reauth_page(staff: Page, next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query name
    """Confirm the password before a sensitive action."""
    return render("staff/reauth.html", staff=staff, next=safe_next(next), error=None)


def _reauth_again(retry: FormRetry) -> HTMLResponse:
    return render(
        "staff/reauth.html",
        status_code=422,
        staff=retry.staff,
        next=safe_next(retry.submitted.get("next")),
        error="; ".join(retry.errors),
    )


@router.post("/reauth")
@form_page(
    _reauth_again,
    {"password": "Password"},
)
def reauth_submit(
    request: Request,
    staff: Page,
    uow: UowDep,
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=200)] = "/staff/",  # noqa: A002 - the form field name
) -> Response:
    """Check the password and go back to where the action was."""
    result = authenticate(
        uow, credentials(request, uow, staff.account.username, password, None), Channel.REAUTH
    )
    if result.ok and staff.session is not None:
        service_sessions.mark_reauthenticated(uow, staff.session)
    finish(uow)
    if not result.ok:
        return render(
            "staff/reauth.html",
            status_code=401,
            staff=staff,
            next=safe_next(next),
            error=login_failed_message(uow, result),
        )
    return redirect(safe_next(next))


@router.get("/mfa")
def mfa_page(staff: EnrolPage, uow: UowDep) -> HTMLResponse:
    """Authenticator status, and the form to start enrolment."""
    enrolled = service_mfa.has_confirmed_mfa(uow, staff.account.id)
    remaining = service_mfa.remaining_recovery_codes(uow, staff.account.id) if enrolled else 0
    return render(
        "staff/mfa.html",
        staff=staff,
        enrolled=enrolled,
        remaining=remaining,
        enrolment=None,
        error=None,
        must_enrol=not enrolled and staff.lacks_second_factor(uow),
    )


def _mfa_error(
    staff: StaffPrincipal, uow: UnitOfWork, error: str, status_code: int
) -> HTMLResponse:
    enrolled = service_mfa.has_confirmed_mfa(uow, staff.account.id)
    return render(
        "staff/mfa.html",
        status_code=status_code,
        staff=staff,
        enrolled=enrolled,
        remaining=0,
        enrolment=None,
        error=error,
    )


def _mfa_again(retry: FormRetry) -> HTMLResponse:
    account_id = retry.staff.account_id if retry.staff is not None else None
    enrolled = account_id is not None and retry.read(
        lambda uow: service_mfa.has_confirmed_mfa(uow, account_id)
    )
    remaining = (
        retry.read(lambda uow: service_mfa.remaining_recovery_codes(uow, account_id))
        if enrolled and account_id is not None
        else 0
    )
    return render(
        "staff/mfa.html",
        status_code=422,
        staff=retry.staff,
        enrolled=enrolled,
        remaining=remaining,
        enrolment=None,
        error="; ".join(retry.errors),
    )


def _mfa_code_again(retry: FormRetry) -> HTMLResponse:
    errors = [*retry.errors, "Start the enrolment again."]
    return _mfa_again(dataclasses.replace(retry, errors=errors))


@router.post("/mfa")
@form_page(
    _mfa_again,
    {"password": "Your password"},
)
def mfa_enrol(
    request: Request, staff: EnrolPage, uow: UowDep, password: Annotated[str, Form(max_length=1024)]
) -> HTMLResponse:
    """Start enrolment: show the key (and its otpauth URI) once."""
    result = authenticate(
        uow, credentials(request, uow, staff.account.username, password, None), Channel.MFA_ENROL
    )
    commit_now(uow)
    if not result.ok:
        return _mfa_error(staff, uow, login_failed_message(uow, result), 401)
    try:
        enrolment = service_mfa.begin_enrolment(uow, staff.account)
    except KlaremontError as exc:
        uow.session.rollback()
        return _mfa_error(staff, uow, exc.detail, exc.status)
    finish(uow)
    return render(
        "staff/mfa.html", staff=staff, enrolled=False, remaining=0, enrolment=enrolment, error=None
    )


@router.post("/mfa/confirm")
@form_page(
    _mfa_code_again,
    {"code": "The code your app shows now"},
)
def mfa_confirm(
    staff: EnrolPage, uow: UowDep, code: Annotated[str, Form(max_length=16)]
) -> HTMLResponse:
    """Confirm with a first code; show the recovery codes once (the session now has MFA)."""
    try:
        codes = service_mfa.confirm_enrolment(uow, staff.account, code, session=staff.session)
    except KlaremontError:
        uow.session.rollback()
        return _mfa_error(staff, uow, "That code did not match. Start the enrolment again.", 422)
    finish(uow)
    return render("staff/mfa_codes.html", staff=staff, codes=codes)
