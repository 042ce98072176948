"""The problem responses every operation can give, declared in the OpenAPI document.

Every route can answer a malformed body (400), a missing or refused sign-in (401, 403),
something that does not exist or no longer can be read (404, 410), a clash with the
current state (409) and invalid input (422), always as ``application/problem+json``
(:mod:`klaremont.web.problems`). FastAPI declares only its own 422 shape, as plain JSON;
this replaces it, and adds the others to every operation, so that a client -- or a fuzzer
checking conformance -- knows every answer it can get.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from klaremont.web import input_text
from klaremont.web.problems import PROBLEM_MEDIA_TYPE

PROBLEMS: dict[str, str] = {
    "400": "The body could not be parsed",
    "401": "Sign-in required, or the credentials are not valid",
    "403": "Refused: role, purpose, anti-forgery token, remote access or password state (audited)",
    "404": "Not found, or not yours to know about",
    "409": "Clashes with the current state",
    "410": "Gone: the data was erased",
    "422": "Input is not valid: each field and the rule it broke",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem; never echoes a submitted value.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "instance": {"type": "string"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule"],
                "properties": {"field": {"type": "string"}, "rule": {"type": "string"}},
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def add_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declare :data:`PROBLEMS` on every operation of ``document`` (changed in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEMS.items():
                declared = responses.get(code, {})
                responses[code] = {
                    "description": declared.get("description") or description,
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
                }
    return document


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with the problem responses declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = add_problems(input_text.declare(document))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way to extend it
