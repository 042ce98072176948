"""What an API token may do: its scopes, and how long an administrative one lasts.

A token is a password login of its own, made by a script. It carries the scopes its
owner stated when asking for it, each one a kind of request:

* ``read`` -- safe requests (GET, HEAD) that need no administrative permission;
* ``write`` -- unsafe requests (POST, PUT, PATCH, DELETE) that need none either;
* ``admin`` -- requests needing a permission the console guards with a fresh password
  entry (:func:`~klaremont.staff.permissions.sensitive_permissions`: creating staff,
  roles, unlocking, password resets, offboarding, maintenance accounts, remote-access
  approvals, key management, exports, erasure ...).

Scopes do not nest: a request needs its one scope, so a read-only script cannot write.
An ``admin`` token is the same fresh authentication the console asks for: the whole
token lives ``sessions.api_token_admin_minutes`` (never longer than the console's
``reauth_for_sensitive_minutes``), and an administrative request is refused for any
token whose password entry is older than that window. Other tokens live up to
``sessions.api_token_max_days``. Only an account whose roles hold an administrative
permission may ask for ``admin``. A refusal is audited (``authz.denied``) by the gate.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from klaremont.errors import FieldProblem, PermissionDenied, ValidationFailed
from klaremont.staff.permissions import Permission, sensitive_permissions

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import SessionPolicy

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_DAYS = 30


class Scope(StrEnum):
    """A kind of request an API token may make."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class TokenScopeRefused(PermissionDenied):
    """An API token without the scope a request needs."""

    code = "token-scope-required"
    title = "The API token may not do this"


class TokenNotFresh(PermissionDenied):
    """An administrative request with a token whose password entry is too old."""

    code = "token-reauthentication-required"
    title = "A fresh API token is needed"


def encode(scopes: Iterable[Scope]) -> str:
    """The stored form: scope names, sorted, comma-separated."""
    return ",".join(sorted({Scope(s).value for s in scopes}))


def decode(stored: str | None) -> frozenset[Scope]:
    """The scopes of a stored token (unknown names are ignored, never widened)."""
    names = (stored or "").split(",")
    return frozenset(Scope(n) for n in names if n in Scope.__members__.values())


def needed(administrative: bool, method: str) -> Scope:
    """The scope a request needs: admin for an administrative route, else by method."""
    if administrative:
        return Scope.ADMIN
    return Scope.READ if method.upper() in SAFE_METHODS else Scope.WRITE


def lifetime(policy: SessionPolicy, scopes: frozenset[Scope], days: int | None) -> timedelta:
    """How long a new token lives; validates ``days`` against the policy."""
    if Scope.ADMIN in scopes:
        if days is not None:
            raise ValidationFailed(
                "days: an admin token lives minutes, not days",
                problems=[
                    FieldProblem(
                        "days",
                        "leave it out for an admin token: it lasts "
                        f"{policy.api_token_admin_minutes} minutes",
                    )
                ],
            )
        return timedelta(minutes=policy.api_token_admin_minutes)
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= policy.api_token_max_days:
        raise ValidationFailed.single("days", f"must be from 1 to {policy.api_token_max_days}")
    return timedelta(days=days)


def check_request(
    policy: SessionPolicy,
    scopes: frozenset[Scope],
    issued_at: datetime,
    now: datetime,
    scope: Scope,
) -> PermissionDenied | None:
    """Why a token may not make a request needing ``scope``; ``None`` when it may."""
    if scope not in scopes:
        return TokenScopeRefused(
            f"This API token has no {scope.value} scope. Ask for a token with the "
            f"{scope.value} scope (administrative actions need an admin token, issued with "
            "your password, which lasts a few minutes)."
        )
    window = timedelta(minutes=policy.reauth_for_sensitive_minutes)
    if scope is Scope.ADMIN and now - issued_at >= window:
        return TokenNotFresh(
            "Administrative actions need a password entered in the last "
            f"{policy.reauth_for_sensitive_minutes} minutes: ask for a new admin token."
        )
    return None


def refusal(
    uow: UnitOfWork,
    token: tuple[frozenset[Scope], datetime],
    administrative: bool,
    method: str,
) -> PermissionDenied | None:
    """Why a token (its scopes and when it was issued) may not make this request, if so
    (``administrative``: the route needs
    a fresh password entry, see ``AccessRule.sensitive``)."""
    scope = needed(administrative, method)
    scopes, issued_at = token
    return check_request(uow.policy.sessions, scopes, issued_at, uow.clock.now(), scope)


def check_allowed(scopes: frozenset[Scope], permissions: frozenset[Permission]) -> None:
    """Refuse scopes the account's roles cannot use (and a token with none)."""
    if not scopes:
        raise ValidationFailed.single("scopes", "name at least one of read, write, admin")
    if Scope.ADMIN in scopes and not permissions & sensitive_permissions():
        raise ValidationFailed.single(
            "scopes", "admin needs a role with administrative permissions"
        )
