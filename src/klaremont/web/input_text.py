"""Control characters in text input: a 422 naming the field, after the access check.

PostgreSQL refuses a NUL byte in text and no driver can encode a lone surrogate, so such a
value must never reach SQL; a terminal escape or a stray control character is no name,
reference or note either. Every route of the app gets :func:`refuse_control_characters`
as its last dependency (:func:`install`): it runs after the route's access dependency, and
its refusal is a validation error, whose handler runs any deferred access check first. So
a caller who may not use the route is refused (and audited) before their input is judged,
and one who may is told which field broke which rule, never the value.

Path segments and query values may hold no control character at all; body text (JSON
strings, form fields) may hold tabs and line breaks, as a typed note does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.utils import get_dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from klaremont import jsondepth
from klaremont.web.refusal_first import FORM_TYPES

if TYPE_CHECKING:
    from collections.abc import Iterator

RULE = "must not contain control characters"
_IN_URL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # C0, DEL, C1, surrogates
_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # tab, LF, CR allowed
# A JSON body can carry those characters only as \u escapes (raw ones make it invalid JSON).
_JSON_ESCAPE = re.compile(rb"\\u(?:00[0-1]|007f|008|009|d[89a-f])", re.IGNORECASE)
_JSON_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json")

Loc = tuple[str | int, ...]


def _strings(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every string in a parsed JSON value (keys too), with where it sits."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, str(key)), str(key)
            yield from _strings(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*loc, index))


async def _body_strings(request: Request) -> list[tuple[Loc, str]]:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(FORM_TYPES):
        try:
            form = await request.form()  # parsed once per request, shared with the route
        except Exception:  # noqa: BLE001 - a malformed form is the route's body error, not ours
            return []
        return [
            (("body", key), text)
            for key, value in form.multi_items()
            if not isinstance(value, UploadFile)
            for text in (key, value)
        ]
    if not _JSON_TYPE.match(content_type):
        return []
    body = await request.body()
    if not _JSON_ESCAPE.search(body):
        return []
    try:
        parsed = jsondepth.loads(body)
    except ValueError:  # malformed JSON: the route refuses it as such
        return []
    return list(_strings(parsed, ("body",)))


async def refuse_control_characters(request: Request) -> None:
    """Refuse a request whose path, query or body text holds a control character."""
    found: list[Loc] = [
        ("path", name)
        for name, value in request.path_params.items()
        if isinstance(value, str) and _IN_URL.search(value)
    ]
    found += [
        ("query", name)
        for name, value in request.query_params.multi_items()
        if _IN_URL.search(name) or _IN_URL.search(value)
    ]
    found += [("cookie", name) for name, value in request.cookies.items() if _IN_URL.search(value)]
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        found += [loc for loc, text in await _body_strings(request) if _IN_TEXT.search(text)]
    if found:
        unique = list(dict.fromkeys(_printable(loc) for loc in found))
        raise RequestValidationError(
            [{"type": "control_character", "loc": loc, "msg": RULE} for loc in unique]
        )


def _printable(loc: Loc) -> Loc:
    """A field name itself may hold the control character: never echo it."""
    return tuple("?" if isinstance(part, str) and _IN_URL.search(part) else part for part in loc)


def install(app: FastAPI) -> None:
    """Make the check the last dependency of every route, after its access dependency.

    Routes are module-level objects shared by every app built, so this is idempotent. A
    route in the app's own table runs its ``dependant``; one in an included router gets
    its dependant rebuilt from its ``dependencies`` by FastAPI, so it gets the check there.
    """
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            deps = route.dependant.dependencies
            if not any(d.call is refuse_control_characters for d in deps):
                deps.append(get_dependant(path=route.path_format, call=refuse_control_characters))
        else:
            _install_nested(getattr(route, "original_router", None))


def _install_nested(router: APIRouter | None) -> None:
    if router is None:
        return
    for route in router.routes:
        if isinstance(route, APIRoute):
            if not any(d.dependency is refuse_control_characters for d in route.dependencies):
                route.dependencies.append(Depends(refuse_control_characters))
        else:
            _install_nested(getattr(route, "original_router", None))


# The same rules in the OpenAPI document (JSON Schema patterns, ECMA-262 syntax). Lone
# surrogates are left out: no regex engine of a JSON Schema validator can name them, and a
# JSON text can carry them only as escapes that no conforming client sends.
URL_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
_COMPOSITES = ("anyOf", "allOf", "oneOf")


def _constrain(schema: Any, pattern: str, components: dict[str, Any], seen: set[str]) -> None:
    """Give every free-text string in ``schema`` (following references) ``pattern``."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _constrain(components.get(name), pattern, components, seen)
        return
    free_text = schema.get("format") in {None, "password"} and not (
        {"pattern", "enum", "const"} & schema.keys()
    )
    if schema.get("type") == "string" and free_text:
        schema["pattern"] = pattern
    children = [*schema.get("properties", {}).values(), schema.get("items")]
    children.append(schema.get("additionalProperties"))
    for key in _COMPOSITES:
        children.extend(schema.get(key, []))
    for child in children:
        _constrain(child, pattern, components, seen)


def declare(document: dict[str, Any]) -> dict[str, Any]:
    """State the rule in ``document``: a pattern on every free-text parameter and body string."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _constrain(parameter.get("schema"), URL_PATTERN, components, set())
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _constrain(media.get("schema"), TEXT_PATTERN, components, seen)
    return document
