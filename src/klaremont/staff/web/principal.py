"""Who is calling: the staff member a request's session cookie or bearer token names.

:func:`authenticate_request` resolves the credential (a console session, or an API token
checked from plain columns), refuses remote requests without TLS, a second factor and an
active remote-access grant (IS-RA-2FA, IS-RA-CRYPTO), and returns the
:class:`StaffPrincipal`; :mod:`klaremont.staff.web.guard` then authorises the route.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from klaremont.audit.events import Actor, ActorType
from klaremont.errors import AuthenticationRequired
from klaremont.staff import second_factor, service_remote
from klaremont.staff.errors import (
    RemoteAccessRefused,
    SessionEnded,
)
from klaremont.staff.models import StaffAccount
from klaremont.staff.network import is_remote
from klaremont.staff.permissions import (
    Permission,
    Role,
    permissions_of,
)
from klaremont.staff.service_sessions import (
    TokenUse,
    csrf_token_for,
    resolve_api_token,
    resolve_session,
)
from klaremont.web.deps import client_origin
from klaremont.web.refusal_first import presented_token

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffSession

SESSION_COOKIE = "klaremont_staff"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class StaffPrincipal:
    """The signed-in staff member of this request.

    ``account`` is the ORM row: a console session has it loaded already; for a bearer
    token, which is checked from plain columns, it is loaded on first use (most API
    routes never need it).
    """

    account_id: uuid.UUID
    username: str
    roles: frozenset[Role]
    permissions: frozenset[Permission]
    remote: bool
    session: StaffSession | None = None
    token: TokenUse | None = None
    session_key: str | None = field(default=None, repr=False)
    csrf_token: str | None = field(default=None, repr=False)
    load_account: Callable[[], StaffAccount | None] | None = field(default=None, repr=False)
    loaded: StaffAccount | None = field(default=None, repr=False)

    @property
    def account(self) -> StaffAccount:
        """The staff member's account row."""
        if self.loaded is None:
            found = self.load_account() if self.load_account is not None else None
            if found is None:
                raise SessionEnded("Your account is no longer available.")
            self.loaded = found
        return self.loaded

    @property
    def actor(self) -> Actor:
        """The audit actor."""
        return Actor(ActorType.STAFF, str(self.account_id), self.username)

    @property
    def must_change_password(self) -> bool:
        """True when the session may do nothing but change its password."""
        return self.session is not None and self.session.must_change_password

    def lacks_second_factor(self, uow: UnitOfWork) -> bool:
        """True when the roles need a second factor this sign-in did not use (PCI DSS 8.4.1)."""
        if not second_factor.required_for(uow.policy, self.roles):
            return False
        if self.session is not None:
            return not self.session.mfa
        return self.token is not None and not self.token.mfa


async def presented_csrf(request: Request) -> str | None:
    """The anti-forgery token sent with an unsafe request (header, or form field)."""
    if request.method in SAFE_METHODS:
        return None
    return await presented_token(request)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def authenticate_request(request: Request, uow: UnitOfWork) -> StaffPrincipal:
    """Who is calling; raises :class:`AuthenticationRequired` or :class:`RemoteAccessRefused`."""
    remote = is_remote(client_origin(request), uow.platform.settings.office_networks)
    token_text = _bearer(request)
    if token_text is not None:
        token, roles = resolve_api_token(uow, token_text)
        principal = StaffPrincipal(
            account_id=token.account_id,
            username=token.username,
            roles=roles,
            permissions=permissions_of(roles),
            remote=remote,
            token=token,
            load_account=lambda: uow.session.get(StaffAccount, token.account_id),
        )
        if remote and not (token.mfa and _granted(uow, token.account_id, request)):
            raise RemoteAccessRefused(
                "Remote use of an API token needs an approved remote-access grant and a token "
                "issued with a second factor."
            )
        return principal
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        raise AuthenticationRequired("Sign in to the staff console first.")
    session, account, roles = resolve_session(uow, key)
    if remote and not (session.mfa and session.remote and _granted(uow, account.id, request)):
        raise SessionEnded("Remote access needs a sign-in with your authenticator code.")
    principal = _principal(account, roles, remote)
    principal.session = session
    principal.session_key = key
    principal.csrf_token = csrf_token_for(uow, key)
    return principal


def _granted(uow: UnitOfWork, account_id: uuid.UUID, request: Request) -> bool:
    return (
        request.url.scheme == "https" and service_remote.active_grant(uow, account_id) is not None
    )


def _principal(account: StaffAccount, roles: frozenset[Role], remote: bool) -> StaffPrincipal:
    return StaffPrincipal(
        account_id=account.id,
        username=account.username,
        roles=roles,
        permissions=permissions_of(roles),
        remote=remote,
        loaded=account,
    )


def request_actor(request: Request, uow: UnitOfWork) -> Actor | None:
    """The staff member a request's credentials name (for the card guard's audit), if any."""
    return authenticate_request(request, uow).actor
