"""Staff authentication API under ``/api/auth``: login, password, MFA, API tokens, remote grants.

Every password check goes through :func:`klaremont.staff.service_authn.authenticate`, and
every failure -- unknown user, wrong password, locked, disabled, expired, missing second
factor -- gets the one fixed response :func:`login_failed` builds, byte for byte.

State-changing endpoints commit (:func:`finish`) before answering, so a new session
exists before its cookie is used and an ended one is gone before the answer arrives.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from klaremont.display import login_retry_notice
from klaremont.errors import PermissionDenied
from klaremont.staff import lockout, service_mfa, service_remote, service_sessions, token_scopes
from klaremont.staff.errors import LOGIN_FAILED_DETAIL, LOGIN_FAILED_TITLE
from klaremont.staff.network import is_remote
from klaremont.staff.permissions import Role, purposes_of
from klaremont.staff.schemas import (
    CodeIn,
    CsrfOut,
    EnrolmentOut,
    GrantOut,
    GrantRequest,
    LoginRequest,
    LoginResponse,
    MeOut,
    NewTokenOut,
    PasswordChangeRequest,
    PasswordCheck,
    ProblemOut,
    RecoveryCodesOut,
    TokenOut,
    TokenRequest,
)
from klaremont.staff.service_authn import AuthResult, Channel, Credentials, authenticate
from klaremont.staff.service_passwords import change_password as change_password_service
from klaremont.staff.service_passwords import password_expires_at
from klaremont.staff.web.guard import StaffDep, public, require
from klaremont.staff.web.principal import SESSION_COOKIE, StaffPrincipal
from klaremont.web.deps import UowDep, client_origin, commit_now, finish
from klaremont.web.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import ApiToken, RemoteGrant

router = APIRouter(prefix="/api/auth", tags=["auth"])

FAILED: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemOut, "description": "login failed (one answer for every reason)"}
}
PasswordChangeAllowed = Annotated[StaffPrincipal, Depends(require(allow_password_change=True))]
EnrolAllowed = Annotated[StaffPrincipal, Depends(require(allow_mfa_enrolment=True))]
Approver = Annotated[StaffPrincipal, Depends(require(fresh=True))]


def login_failed(uow: UnitOfWork, result: AuthResult | None = None) -> Response:
    """The one answer to every failed password check: same shape whatever the reason.

    It carries when the caller may try again if the name is locked (see
    :mod:`klaremont.staff.lockout`); that time never tells a real name from an unknown one.
    """
    retry = result.retry_after if result is not None else None
    retry = retry or lockout.retry_after(uow, None)
    minutes = uow.policy.lockout.lockout_minutes
    body = {
        "type": PROBLEM_BASE + "login-failed",
        "title": LOGIN_FAILED_TITLE,
        "status": 401,
        "detail": f"{LOGIN_FAILED_DETAIL} {login_retry_notice(retry, minutes)}",
        "retry_after": retry.astimezone(UTC).isoformat(timespec="minutes"),
    }
    return Response(
        content=json.dumps(body, separators=(",", ":")).encode(),
        status_code=401,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"WWW-Authenticate": 'Cookie realm="klaremont"'},
    )


def credentials(
    request: Request, uow: UnitOfWork, username: str, password: str, code: str | None
) -> Credentials:
    """Credentials with where they come from (office or remote, TLS or not)."""
    return Credentials(
        username=username,
        password=password,
        second_factor=code or None,
        remote=is_remote(client_origin(request), uow.platform.settings.office_networks),
        secure_transport=request.url.scheme == "https",
    )


def set_session_cookie(response: Response, uow: UnitOfWork, key: str) -> None:
    """The session cookie: HttpOnly, Secure, SameSite=Strict, whole site, session lifetime."""
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=uow.policy.sessions.absolute_timeout_hours * 3600,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def open_session(
    uow: UnitOfWork, result: AuthResult, remote: bool
) -> service_sessions.IssuedSession:
    """A new session for a successful login."""
    assert result.account is not None  # noqa: S101 - only called for successful results
    return service_sessions.start_session(
        uow,
        result.account,
        mfa=result.mfa,
        remote=remote,
        must_change_password=result.must_change_password,
    )


@router.post(
    "/login", response_model=LoginResponse, responses=FAILED, dependencies=[Depends(public())]
)
def login(body: LoginRequest, request: Request, uow: UowDep) -> Response:
    """Sign in; the session key is set in the ``klaremont_staff`` cookie."""
    creds = credentials(
        request,
        uow,
        body.username,
        body.password.get_secret_value(),
        body.code.get_secret_value() if body.code else None,
    )
    result = authenticate(uow, creds, Channel.API)
    if not result.ok or result.account is None:
        finish(uow)
        return login_failed(uow, result)
    issued = open_session(uow, result, creds.remote)
    finish(uow)
    out = LoginResponse(
        account_id=result.account.id,
        username=result.account.username,
        must_change_password=result.must_change_password,
        csrf_token=issued.csrf_token,
        expires_at=issued.session.expires_at,
        idle_timeout_minutes=uow.policy.sessions.idle_timeout_minutes,
    )
    response = JSONResponse(out.model_dump(mode="json"))
    set_session_cookie(response, uow, issued.key)
    return response


@router.post("/logout", status_code=204)
def logout(staff: PasswordChangeAllowed, uow: UowDep) -> Response:
    """End this session."""
    if staff.session is not None:
        service_sessions.logout(uow, staff.session, staff.account)
    finish(uow)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


@router.get("/me", response_model=MeOut)
def me(staff: StaffDep, uow: UowDep) -> MeOut:
    """Who is signed in, with roles, permissions, purposes and password expiry."""
    account = staff.account
    return MeOut(
        account_id=account.id,
        username=account.username,
        full_name=account.full_name or "",
        job_role=Role(account.job_role),
        roles=sorted(staff.roles),
        permissions=sorted(staff.permissions),
        purposes=sorted(p.value for p in purposes_of(staff.roles)),
        password_expires_at=password_expires_at(uow, account),
        mfa_enrolled=service_mfa.has_confirmed_mfa(uow, account.id),
        remote=staff.remote,
        via="token" if staff.token is not None else "session",
    )


@router.post("/password", response_model=CsrfOut, responses=FAILED)
def change_password(
    body: PasswordChangeRequest, request: Request, staff: PasswordChangeAllowed, uow: UowDep
) -> Response:
    """Change the password (the only thing allowed while a change is required)."""
    creds = credentials(
        request, uow, staff.account.username, body.current_password.get_secret_value(), None
    )
    result = authenticate(uow, creds, Channel.PASSWORD_CHANGE)
    commit_now(uow)
    if not result.ok:
        return login_failed(uow, result)
    change_password_service(
        uow, staff.account, body.new_password.get_secret_value(), keep_session=None
    )
    if staff.session is None:
        finish(uow)
        return JSONResponse(CsrfOut(csrf_token=None).model_dump())
    issued = service_sessions.start_session(
        uow,
        staff.account,
        mfa=staff.session.mfa,
        remote=staff.session.remote,
        must_change_password=False,
    )
    finish(uow)
    response = JSONResponse(CsrfOut(csrf_token=issued.csrf_token).model_dump())
    set_session_cookie(response, uow, issued.key)
    return response


@router.post("/reauth", status_code=204, responses=FAILED)
def reauthenticate(body: PasswordCheck, request: Request, staff: StaffDep, uow: UowDep) -> Response:
    """Confirm the password before sensitive actions (valid for a few minutes)."""
    creds = credentials(
        request, uow, staff.account.username, body.password.get_secret_value(), None
    )
    result = authenticate(uow, creds, Channel.REAUTH)
    if result.ok and staff.session is not None:
        service_sessions.mark_reauthenticated(uow, staff.session)
    finish(uow)
    return Response(status_code=204) if result.ok else login_failed(uow, result)


@router.post("/mfa/enrol", response_model=EnrolmentOut, responses=FAILED)
def mfa_enrol(body: PasswordCheck, request: Request, staff: EnrolAllowed, uow: UowDep) -> Response:
    """Start TOTP enrolment (password required); the secret is shown once."""
    creds = credentials(
        request, uow, staff.account.username, body.password.get_secret_value(), None
    )
    result = authenticate(uow, creds, Channel.MFA_ENROL)
    commit_now(uow)
    if not result.ok:
        return login_failed(uow, result)
    enrolment = service_mfa.begin_enrolment(uow, staff.account)
    finish(uow)
    return JSONResponse(
        EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri).model_dump()
    )


@router.post("/mfa/confirm", response_model=RecoveryCodesOut)
def mfa_confirm(body: CodeIn, staff: EnrolAllowed, uow: UowDep) -> RecoveryCodesOut:
    """Confirm enrolment with a first code; returns recovery codes (shown once)."""
    codes = service_mfa.confirm_enrolment(
        uow, staff.account, body.code.get_secret_value(), session=staff.session
    )
    finish(uow)
    return RecoveryCodesOut(recovery_codes=codes)


def _token_out(row: ApiToken) -> TokenOut:
    return TokenOut.model_validate(row, from_attributes=True)


@router.post(
    "/tokens",
    response_model=NewTokenOut,
    status_code=201,
    responses=FAILED,
    dependencies=[Depends(public())],
)
def create_token(body: TokenRequest, request: Request, uow: UowDep) -> Response:
    """Issue an API token for scripts (a password login of its own); shown once.

    It may do what its ``scopes`` say (read, write, admin; see ``staff.token_scopes``).
    """
    creds = credentials(
        request,
        uow,
        body.username,
        body.password.get_secret_value(),
        body.code.get_secret_value() if body.code else None,
    )
    result = authenticate(uow, creds, Channel.API_TOKEN)
    commit_now(uow)  # the login is recorded whatever becomes of the token
    if not result.ok or result.account is None or result.must_change_password:
        return login_failed(uow, result)
    # Checked once the caller is known: nobody learns the token rules without a login.
    token_scopes.lifetime(uow.policy.sessions, frozenset(body.scopes), body.days)
    issued = service_sessions.create_api_token(
        uow, result.account, name=body.name, scopes=body.scopes, days=body.days, mfa=result.mfa
    )
    finish(uow)
    out = NewTokenOut(**_token_out(issued.row).model_dump(), token=issued.token)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(staff: StaffDep, uow: UowDep) -> list[TokenOut]:
    """Your API tokens (never the tokens themselves)."""
    return [_token_out(row) for row in service_sessions.api_tokens(uow, staff.account.id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> Response:
    """Revoke one of your API tokens."""
    service_sessions.revoke_api_token(uow, staff.account.id, token_id)
    finish(uow)
    return Response(status_code=204)


def grant_out(uow: UnitOfWork, grant: RemoteGrant) -> GrantOut:
    """A grant with whether it is active now."""
    return GrantOut(
        id=grant.id,
        account_id=grant.account_id,
        reason=grant.reason,
        requested_at=grant.requested_at,
        expires_at=grant.expires_at,
        manager_approved_by=grant.manager_approved_by,
        techops_approved_by=grant.techops_approved_by,
        revoked_at=grant.revoked_at,
        active=service_remote.is_active(grant, uow),
    )


@router.post("/remote-grants", response_model=GrantOut, status_code=201)
def request_remote_access(body: GrantRequest, staff: StaffDep, uow: UowDep) -> GrantOut:
    """Ask for remote access; your line manager and technical operations approve it."""
    grant = service_remote.request_grant(uow, staff.account, reason=body.reason, days=body.days)
    return grant_out(uow, grant)


@router.get("/remote-grants", response_model=list[GrantOut])
def my_remote_grants(staff: StaffDep, uow: UowDep) -> list[GrantOut]:
    """Your grants, and the grants waiting for your approval."""
    own = list(service_remote.grants_of(uow, staff.account.id))
    waiting = service_remote.pending_for(uow, staff.account, staff.permissions)
    return [grant_out(uow, g) for g in [*own, *waiting]]


@router.post("/remote-grants/{grant_id}/approve", response_model=GrantOut)
def approve_remote_access(grant_id: uuid.UUID, staff: Approver, uow: UowDep) -> GrantOut:
    """Approve as the grantee's line manager, or as technical operations (administrative:
    a recent password entry, or an admin API token)."""
    account = staff.account
    try:
        grant = service_remote.approve_grant(uow, grant_id, account, staff.permissions)
    except PermissionDenied as exc:  # recorded as authz.denied, as the console page does
        refused = exc
        uow.keep_only_refusal(
            lambda: service_remote.record_refused_approval(uow, grant_id, account, refused)
        )
        raise
    finish(uow)
    return grant_out(uow, grant)
