"""The one authorisation gate for API routes and pages: ``Depends(require(Permission.X))``.

This is the web adapter of staff access control (it imports FastAPI; services do not).
``require(...)`` authenticates the request -- the ``klaremont_staff`` session cookie or a
bearer API token -- then, in order:

* remote requests (outside ``settings.office_networks``) need TLS, a session or token
  made with a second factor, and a remote-access grant that is active right now
  (IS-RA-2FA, IS-RA-CRYPTO);
* cookie-authenticated unsafe requests need the session's anti-forgery token, in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field;
* a session that must change its password reaches only routes that allow it
  (every other route: 403 ``password-change-required``, IS-PW-60);
* every named permission must be held; a refusal is audited as ``authz.denied``
  (IS-USE-SCAN) and committed before the 403 goes out;
* sensitive permissions need a password entered in the last few minutes; an API token
  needs the request's scope, admin being a fresh login (:mod:`~klaremont.staff.token_scopes`).

It sets ``uow.actor`` and ``request.state.actor`` to the staff member. Each route's
:class:`AccessRule` is readable from its dependencies (:func:`access_rule_of`), which is
how the permission-matrix test walks every route of the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.routing import Match

from klaremont.audit.events import Outcome
from klaremont.audit.fields import route_resource
from klaremont.errors import AuthenticationRequired, KlaremontError, PermissionDenied
from klaremont.staff import token_scopes
from klaremont.staff.errors import (
    CsrfRejected,
    PasswordChangeRequired,
    ReauthenticationRequired,
)
from klaremont.staff.events import StaffEvent, audit_staff
from klaremont.staff.permissions import (
    Permission,
    Role,
    sensitive_permissions,
)
from klaremont.staff.second_factor import SecondFactorRequired
from klaremont.staff.service_sessions import (
    csrf_matches,
    is_fresh,
)
from klaremont.staff.web.principal import (
    SAFE_METHODS,
    StaffPrincipal,
    authenticate_request,
    presented_csrf,
)
from klaremont.web.deps import UowDep
from klaremont.web.form_pages import remember_staff

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


@dataclass(frozen=True)
class AccessRule:
    """What a route demands: public, or a signed-in staff member with these permissions."""

    permissions: frozenset[Permission] = frozenset()
    public: bool = False
    allow_password_change: bool = False
    allow_mfa_enrolment: bool = False
    page: bool = False
    fresh: bool = False  # administrative whatever the permissions (remote-access approval)

    @property
    def sensitive(self) -> bool:
        """True when a recent password entry is needed."""
        return self.fresh or bool(self.permissions & sensitive_permissions())


def deny(
    uow: UnitOfWork,
    request: Request,
    principal: StaffPrincipal,
    error: KlaremontError,
    **details: Any,
) -> None:
    """Audit a refusal as ``authz.denied`` and commit it, so the 403 cannot roll it back."""
    account = principal.account
    uow.keep_only_refusal(
        lambda: audit_staff(
            uow,
            StaffEvent.PERMISSION_DENIED,
            account,
            outcome=Outcome.DENIED,
            resource=route_resource(request.method, request.url.path),
            details={"code": error.code, **details},
        )
    )
    raise error


class Require:
    """A FastAPI dependency enforcing one :class:`AccessRule`; build it with :func:`require`."""

    def __init__(self, rule: AccessRule) -> None:
        self.rule = rule

    def __repr__(self) -> str:
        names = ", ".join(sorted(p.value for p in self.rule.permissions)) or "signed-in"
        return f"require({names})"

    def __call__(
        self,
        request: Request,
        uow: UowDep,
        csrf: Annotated[str | None, Depends(presented_csrf)],
    ) -> StaffPrincipal:
        """Authenticate and authorise; the route runs in another job: end the transaction."""
        principal = self.check(request, uow, csrf)
        uow.commit_step()
        return principal

    def check(self, request: Request, uow: UnitOfWork, csrf: str | None) -> StaffPrincipal:
        """The check itself (blocking: it reads the credential from the database)."""
        try:
            principal = authenticate_request(request, uow)
        except AuthenticationRequired:
            if self.rule.page:
                raise _see_other("/staff/login?next=", _return_path(request)) from None
            raise
        uow.actor = principal.actor
        request.state.actor = principal.actor
        request.state.staff = principal
        remember_staff(request)  # plain values for a page drawn after this unit of work
        if (
            principal.session_key is not None
            and request.method not in SAFE_METHODS
            and not csrf_matches(uow, principal.session_key, csrf)
        ):
            deny(
                uow,
                request,
                principal,
                CsrfRejected("The form expired; reload the page and try again."),
            )
        if principal.must_change_password and not self.rule.allow_password_change:
            raise PasswordChangeRequired(
                "Your password has expired or was reset: change it before doing anything else."
            )
        if not (
            self.rule.allow_mfa_enrolment or self.rule.allow_password_change
        ) and principal.lacks_second_factor(uow):
            if self.rule.page:
                raise _see_other("/staff/mfa", "")
            raise SecondFactorRequired(
                "Your roles need an authenticator: enrol one (POST /api/auth/mfa/enrol), "
                "then sign in again with its code."
            )
        missing = sorted(p.value for p in self.rule.permissions - principal.permissions)
        if missing:
            deny(
                uow,
                request,
                principal,
                PermissionDenied(_PAGE_REFUSED if self.rule.page else _needs(missing)),
                required=missing,
                roles=sorted(r.value for r in principal.roles),
            )
        self._check_fresh(request, uow, principal)
        return principal

    def _check_fresh(self, request: Request, uow: UnitOfWork, principal: StaffPrincipal) -> None:
        """Administrative actions need a fresh authentication whatever the credential: a
        token's scope and age, a console session's recent password entry."""
        if principal.token is not None:  # scopes, and a fresh login for admin
            method = request.method
            token = (principal.token.scopes, principal.token.issued_at)
            refusal = token_scopes.refusal(uow, token, self.rule.sensitive, method)
            if refusal is not None:
                deny(uow, request, principal, refusal, via="api-token")
        if (
            self.rule.sensitive
            and principal.session is not None
            and not is_fresh(uow, principal.session)
        ):
            if self.rule.page:
                raise _see_other("/staff/reauth?next=", _return_path(request))
            raise ReauthenticationRequired(
                "Enter your password again to confirm this action (POST /api/auth/reauth)."
            )


_PAGE_REFUSED = (
    "Your role does not include this part of the console. If your work needs it, ask the "
    "Information Security Officer; the refusal has been recorded."
)


def _needs(missing: list[str]) -> str:
    return f"Your roles do not allow this (needs {', '.join(missing)})."


class Caller:
    """The staff member of a route whose access check runs in its unit of work.

    Known once :meth:`RequireInUnit.__call__`'s deferred check has passed, that is inside
    the ``work`` of :func:`klaremont.web.deps.committed`; reading it earlier is a
    programming error and raises.
    """

    __slots__ = ("_principal",)

    def __init__(self) -> None:
        self._principal: StaffPrincipal | None = None

    def __repr__(self) -> str:
        return f"Caller({self._principal!r})"

    @property
    def principal(self) -> StaffPrincipal:
        """The authenticated and authorised staff member."""
        if self._principal is None:
            raise RuntimeError("the access check has not run yet: read the caller in committed()")
        return self._principal

    @property
    def roles(self) -> frozenset[Role]:
        """The staff member's roles."""
        return self.principal.roles


class RequireInUnit(Require):
    """The same rule as :class:`Require`, checked in the route's unit of work.

    For ``async def`` API routes that do their work with
    :func:`klaremont.web.deps.committed`: the check (which reads the credential from the
    database) then runs in the same thread-pool job as the service call and its commit,
    one trip to the thread pool per request instead of two. The dependency itself does no
    I/O. A route that never runs the check fails closed (:func:`klaremont.web.deps.get_uow`).
    """

    async def __call__(  # type: ignore[override] # async: the check runs later, in the unit of work
        self,
        request: Request,
        uow: UowDep,
        csrf: Annotated[str | None, Depends(presented_csrf)],
    ) -> Caller:
        """Queue the check on the unit of work; return the caller it will fill in."""
        caller = Caller()

        def run() -> None:
            caller._principal = self.check(request, uow, csrf)  # noqa: SLF001 - filled in here only

        uow.checks.append(run)
        return caller


def _return_path(request: Request) -> str:
    """Where to come back to: this page, or for a form post the page that showed the form."""
    path = request.url.path
    if request.method not in SAFE_METHODS and not _has_page(request, path):
        path = path.rsplit("/", 1)[0] or "/staff/"
    return path


def _has_page(request: Request, path: str) -> bool:
    """Whether a GET of ``path`` shows a page (a form posted to the URL that drew it)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


def _see_other(prefix: str, path: str) -> HTTPException:
    return HTTPException(status_code=303, headers={"Location": prefix + quote(path, safe="/")})


class Public:
    """A marker dependency for routes anyone may call (login pages and endpoints)."""

    rule = AccessRule(public=True)

    def __repr__(self) -> str:
        return "public()"

    def __call__(self) -> None:
        """Nothing to check."""


def require(
    *permissions: Permission,
    allow_password_change: bool = False,
    allow_mfa_enrolment: bool = False,
    page: bool = False,
    fresh: bool = False,
) -> Require:
    """The dependency for a route needing ``permissions`` (none: any signed-in staff member);
    ``fresh``: an administrative action needing a recent password entry whatever they are."""
    return Require(
        AccessRule(
            frozenset(permissions),
            allow_password_change=allow_password_change,
            allow_mfa_enrolment=allow_mfa_enrolment,
            page=page,
            fresh=fresh,
        )
    )


def opens_for(request: Request, path: str, principal: StaffPrincipal) -> bool:
    """Whether ``principal`` may open the console page at ``path`` (a GET of it): its route
    declares an access rule and they hold every permission it needs. A path no page
    answers, or one whose route declares no rule, does not open."""
    scope = {"type": "http", "method": "GET", "path": urlsplit(path).path, "root_path": ""}
    for route in request.app.router.routes:
        if route.matches(scope)[0] is Match.FULL:
            rule = access_rule_of(route) if isinstance(route, APIRoute) else None
            return rule is not None and (rule.public or rule.permissions <= principal.permissions)
    return False


def require_in_unit(*permissions: Permission) -> RequireInUnit:
    """Like :func:`require`, for routes that run the check in their unit of work."""
    return RequireInUnit(AccessRule(frozenset(permissions)))


def public() -> Public:
    """The dependency declaring a route public."""
    return Public()


def access_rule_of(route: APIRoute) -> AccessRule | None:
    """The access rule a route declared through its dependencies, if any."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if isinstance(call, Require | Public):
            return call.rule
        stack.extend(dependant.dependencies)
    return None


StaffDep = Annotated[StaffPrincipal, Depends(require())]
