"""The problem responses operations can give, declared in the OpenAPI document.

Every route can answer a malformed body (400), something that does not exist or no longer
can be read (404, 410), a clash with the current state (409), invalid input (422) and a
busy database (503 with ``Retry-After``); a route that needs a caller (an operation with a
``security`` requirement) or signs one in also answers 401 and 403. Always as
``application/problem+json`` (:mod:`klaremont.web.problems`), with the ``Problem`` schema,
and 422 with ``ValidationProblem``: each field and the rule it broke. FastAPI declares only
its own 422 shape, as plain JSON; this replaces it, so that a client -- or a fuzzer
checking conformance -- knows every answer it can get. The examples are answers the app
gives (``tests/foundation/test_openapi_contract.py`` checks them against the real ones).

Capabilities add to the document through the ``openapi`` extension point (a callable
taking the document and the app's routes): the staff capability declares the security
schemes and each operation's requirement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.openapi.utils import get_openapi

from klaremont import capabilities
from klaremont.errors import ValidationFailed
from klaremont.web import input_text
from klaremont.web.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from fastapi import FastAPI

PROBLEMS: dict[str, str] = {
    "400": "The body could not be parsed",
    "401": "Sign-in required, or the credentials are not valid",
    "403": "Refused: role, purpose, anti-forgery token, remote access or password state (audited)",
    "404": "Not found, or not yours to know about",
    "409": "Clashes with the current state",
    "410": "Gone: the data was erased",
    "422": "Input is not valid: each field and the rule it broke",
    "503": "The database was busy: nothing was changed; try again after Retry-After seconds",
}
_NEEDS_A_CALLER = frozenset({"401", "403"})
_REQUEST_ID = "5f0c2e9a41d7b368"

_FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["field", "rule"],
    "properties": {
        "field": {
            "type": "string",
            "description": "The field, dotted for nested ones (`scopes.0`); `request` for "
            "the body as a whole.",
        },
        "rule": {"type": "string", "description": "The rule it broke; never the value."},
    },
    "additionalProperties": False,
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem; never echoes a submitted value.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {
            "type": "string",
            "description": f"`{PROBLEM_BASE}` and a stable code (`not-found`, "
            "`permission-denied`, `token-scope-required`, ...).",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "instance": {"type": "string", "description": "The request path, percent-encoded."},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "Also in the X-Request-ID header."},
        "errors": {"type": "array", "items": _FIELD_ERROR},
        "retry_after": {
            "type": "string",
            "description": "A failed sign-in: when a locked name may try again (UTC, to the "
            "minute; the same answer whether or not the name exists).",
        },
    },
    "additionalProperties": True,  # RFC 9457 extension members; clients ignore unknown ones
}
VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "Input is not valid: every field that broke a rule, and the rule.",
    "type": "object",
    "required": ["type", "title", "status", "errors"],
    "properties": {
        **PROBLEM_SCHEMA["properties"],
        "type": {"type": "string", "const": f"{PROBLEM_BASE}validation-failed"},
        "status": {"type": "integer", "const": 422},
        "errors": {"type": "array", "items": _FIELD_ERROR, "minItems": 1},
    },
    "additionalProperties": False,
}


def _refusals_of_input(kind: type[ValidationFailed] = ValidationFailed) -> set[str]:
    """The problem codes of ``kind`` and every refusal of input derived from it (a card
    number refused, a wrong verification code...): all are 422 with ``errors``."""
    codes = {kind.code}
    for sub in kind.__subclasses__():
        codes |= _refusals_of_input(sub)
    return codes


def _validation_problem_schema() -> dict[str, Any]:
    """:data:`VALIDATION_PROBLEM_SCHEMA` with ``type`` one of the refusals of input known
    once every capability is loaded."""
    types = sorted(PROBLEM_BASE + code for code in _refusals_of_input())
    properties = {**VALIDATION_PROBLEM_SCHEMA["properties"], "type": {"enum": types}}
    return {**VALIDATION_PROBLEM_SCHEMA, "properties": properties}


def _example(code: str, title: str, status: int, path: str, detail: str) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "instance": path,
        "detail": detail,
        "request_id": _REQUEST_ID,
    }


#: What the app answers (as checked by tests/foundation/test_openapi_contract.py).
EXAMPLES: dict[str, dict[str, Any]] = {
    "400": _example(
        "http-error",
        "Request failed",
        400,
        "/api/auth/login",
        "There was an error parsing the body",
    ),
    "401": _example(
        "authentication-required",
        "Authentication required",
        401,
        "/api/staff",
        "Sign in to the staff console first.",
    ),
    "403": _example(
        "token-scope-required",
        "The API token may not do this",
        403,
        "/api/auth/logout",
        "This API token has no write scope. Ask for a token with the write scope "
        "(administrative actions need an admin token, issued with your password, which "
        "lasts a few minutes).",
    ),
    "404": _example(
        "not-found",
        "Not found",
        404,
        "/api/staff/0b6f4c1e-3d2a-4f57-9c8e-5a1d2b3c4d5e",
        "No such staff account.",
    ),
    "409": _example(
        "conflict",
        "Conflict",
        409,
        "/api/staff",
        "That username is taken (usernames are unique whatever their case).",
    ),
    "410": _example(
        "subject-erased",
        "Personal data erased",
        410,
        "/api/customers/3c9e7a52-1f0b-4d6e-8a47-b2c5d9e1f036",
        "personal data of subject 9a1f5e7c-64d2-4b8e-a0c3-7e5b2d9f1c48 was crypto-shredded "
        "on 2026-11-30 and cannot be read",
    ),
    "422": {
        **_example(
            "validation-failed",
            "Input is not valid",
            422,
            "/api/auth/tokens",
            "scopes.0: Input should be 'read', 'write' or 'admin'",
        ),
        "errors": [{"field": "scopes.0", "rule": "Input should be 'read', 'write' or 'admin'"}],
    },
    "401-sign-in": {
        "type": PROBLEM_BASE + "login-failed",
        "title": "Login failed",
        "status": 401,
        "detail": "The username, password or authenticator code is not correct, or this account "
        "cannot sign in from here. Repeated failures lock the account. Repeated failures lock "
        "an account for 30 minutes: if this account is locked, you may try again after 10:00 "
        "(UK time).",
        "retry_after": "2026-03-02T10:00+00:00",
    },
    "503": _example(
        "busy",
        "Busy, try again",
        503,
        "/api/customers",
        "The service was too busy to finish this request; nothing was changed. "
        "Try again in a moment.",
    ),
}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def _declared(code: str, description: str, *, path: str, signs_in: bool) -> dict[str, Any]:
    schema = "ValidationProblem" if code == "422" else "Problem"
    example = EXAMPLES["401-sign-in" if signs_in and code == "401" else code]
    if "instance" in example and "{" not in path:  # this operation's own path
        example = {**example, "instance": path}
    declared: dict[str, Any] = {
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": f"#/components/schemas/{schema}"},
                "example": example,
            }
        },
    }
    if code == "503":
        declared["headers"] = {
            "Retry-After": {
                "description": f"Seconds to wait ({RETRY_AFTER_SECONDS}).",
                "schema": {"type": "string"},
            }
        }
    return declared


def add_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declare :data:`PROBLEMS` on the operations of ``document`` that can give them
    (changed in place): 401 and 403 where a caller is needed or signed in."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ValidationProblem"] = _validation_problem_schema()
    schemas.pop("HTTPValidationError", None)  # FastAPI's own 422 shape, never sent
    schemas.pop("ValidationError", None)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEMS.items():
                declared = responses.get(code)
                if code in _NEEDS_A_CALLER and declared is None and "security" not in operation:
                    continue  # public, and the route does not say it signs anyone in
                text = (declared or {}).get("description") or description
                if text == "Validation Error":  # FastAPI's own wording
                    text = description
                # a route declaring its own 401 checks a password: the sign-in failure
                signs_in = code == "401" and declared is not None
                responses[code] = _declared(code, text, path=path, signs_in=signs_in)
    return document


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with the capabilities' additions and the problem
    responses declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document = input_text.declare(document)
            for contribute in capabilities.extensions("openapi"):
                contribute(document, app.routes)
            app.openapi_schema = add_problems(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way to extend it
