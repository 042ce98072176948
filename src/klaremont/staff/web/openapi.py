"""How a caller authenticates, declared in the OpenAPI document (the ``openapi`` extension).

Every route guarded by :func:`~klaremont.staff.web.guard.require` accepts either credential:

* ``apiToken`` -- ``Authorization: Bearer kt_...``, a token from ``POST /api/auth/tokens``.
  The token's scope a request needs (:func:`klaremont.staff.token_scopes.needed`) is listed
  in the operation's security requirement (OpenAPI 3.1 lets a non-OAuth scheme name the
  roles it needs) and said in its description, with the permissions the caller's roles
  must hold;
* ``staffSession`` -- the console's ``klaremont_staff`` cookie; an unsafe request also
  sends the session's anti-forgery token in ``X-CSRF-Token``.

Public routes (sign-in, token issuance, health) carry no requirement. The scopes are not
declared as OAuth2 scopes: ``POST /api/auth/tokens`` is not an OAuth2 token endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute

from klaremont.staff import token_scopes
from klaremont.staff.web.guard import access_rule_of
from klaremont.staff.web.principal import SESSION_COOKIE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.routing import BaseRoute

    from klaremont.staff.web.guard import AccessRule

TOKEN_SCHEME = "apiToken"  # noqa: S105 - the name of a security scheme, not a secret
SESSION_SCHEME = "staffSession"
SCHEMES: dict[str, dict[str, Any]] = {
    TOKEN_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API token issued by `POST /api/auth/tokens` (username, password, scopes). "
            "Scopes do not nest: `read` for GET and HEAD, `write` for POST, PUT, PATCH and "
            "DELETE, `admin` for administrative operations (a short-lived token, issued "
            "only to roles holding an administrative permission). Each operation names the "
            "scope it needs."
        ),
    },
    SESSION_SCHEME: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": (
            "The staff console's session cookie (`POST /api/auth/login`). Unsafe requests "
            "also send the session's anti-forgery token in the `X-CSRF-Token` header."
        ),
    },
}


def _access_note(rule: AccessRule, scope: token_scopes.Scope) -> str:
    permissions = ", ".join(f"`{p.value}`" for p in sorted(rule.permissions, key=str))
    who = f"roles holding {permissions}" if permissions else "any signed-in staff member"
    fresh = (
        " Administrative: a console session must have entered its password in the last few minutes."
        if rule.sensitive
        else ""
    )
    return f"**Access:** {who}; API token scope `{scope.value}`.{fresh}"


def document_security(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Declare the security schemes, and each guarded operation's requirement and scope."""
    document.setdefault("components", {})["securitySchemes"] = SCHEMES
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        rule = access_rule_of(route)
        if rule is None or rule.public:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            scope = token_scopes.needed(rule.sensitive, method)
            operation["security"] = [{TOKEN_SCHEME: [scope.value]}, {SESSION_SCHEME: []}]
            operation["x-token-scope"] = scope.value
            note = _access_note(rule, scope)
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{note}" if described else note
