"""The card-data guard on the web: every request is scanned before any route sees it.

:class:`CardDataGuard` is pure ASGI middleware. It reads the whole request body, scans the
path, the query string and the body (JSON, form or text) with
:mod:`klaremont.detectors.card_fields`, and refuses card data with a 422 problem+json naming
each field and rule. The refusal is audited as ``card.refused`` (field names and rules only)
in a unit of work of its own; the value is never stored, logged, echoed or audited. Install
it with :func:`install`; the card routers also carry :func:`card_data_guard` as a
dependency, so they are covered even on an app without the middleware (the dependency
skips requests the middleware passed).

Only the card tokenise endpoint (``POST /api/customers/{customer}/cards``) may carry a
card number, in its ``pan`` field; CVVs and track data are refused there too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from klaremont import capabilities, jsondepth
from klaremont.audit.events import Actor, ActorType, Outcome, action_tag
from klaremont.audit.fields import route_resource
from klaremont.detectors.card_fields import CardDataRefused, Finding, Rule, scan, value_rule
from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.web.card_pages import form_again
from klaremont.web.problems import problem_response
from klaremont.web.refusal_first import FORM_TYPES

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from klaremont.platform import Platform

GUARDED: Final = "klaremont.card_guard"
#: Where a card number may be posted: (method, path pattern) -> the fields that may hold it.
TOKENISE_ROUTES: Final[tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]] = (
    ("POST", re.compile(r"^/api/customers/[^/]+/cards/?$"), frozenset({"pan"})),
)
_JSON: Final = re.compile(r"^application/(?:[\w.+-]+\+)?json\b")
ANONYMOUS: Final = Actor(ActorType.ANONYMOUS, "anonymous")


def allowed_pan_fields(method: str, path: str) -> frozenset[str]:
    """The body fields where this route accepts a card number (usually none)."""
    for route_method, pattern, fields in TOKENISE_ROUTES:
        if method == route_method and pattern.match(path):
            return fields
    return frozenset()


async def scan_request(request: Request, body: bytes) -> list[Finding]:
    """Every field of the path, query string and body of ``request`` that holds card data
    (:class:`ValidationFailed` for a JSON body nesting too deeply to be read safely)."""
    scope = request.scope
    findings: list[Finding] = []
    if value_rule(scope["path"]) is not None:
        findings.append(Finding("path", Rule.PAN))
    query = scope.get("query_string", b"")
    if query:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        findings += scan(_grouped(pairs), path="query")
    if not body:
        return findings
    return findings + await _scan_body(request, body)


async def _scan_body(request: Request, body: bytes) -> list[Finding]:
    """The body's card data: a form's fields, JSON's values and keys, or its text."""
    scope = request.scope
    allowed = allowed_pan_fields(scope["method"], scope["path"])
    content_type = _header(scope, b"content-type").lower()
    if content_type.startswith(FORM_TYPES):
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - malformed form (no boundary, bad parts): scanned as text below
            form = None
        if form is not None:
            fields = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
            await form.close()
            return scan(_grouped(fields), allow_pan_fields=allowed)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return []  # binary uploads are not text a person typed
    if _JSON.match(content_type):
        try:
            return scan(jsondepth.loads(text), allow_pan_fields=allowed)
        except jsondepth.TooDeep:
            raise ValidationFailed.single("body", jsondepth.TOO_DEEP) from None
        except ValueError:
            pass  # malformed JSON: scan it as text; the route will refuse it anyway
    return scan(text, path="body")


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Repeated names as lists, so no value escapes the scan (``a=1&a=2``)."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def record_refusal(platform: Platform, request: Request, findings: list[Finding]) -> None:
    """Audit ``card.refused`` with field names and rules only, in a unit of work of its own."""
    origin = request.client.host if request.client else None
    request_id = request.scope.get("state", {}).get("request_id")
    with platform.unit_of_work(actor=ANONYMOUS, origin=origin, request_id=request_id) as uow:
        uow.actor = _caller(request, uow)
        path = "<withheld>" if any(f.field == "path" for f in findings) else request.scope["path"]
        uow.audit(
            action_tag("card.refused"),
            Outcome.DENIED,
            resource=route_resource(request.method, path),
            details={
                "fields": [f.field for f in findings],
                "rules": [f.rule.value for f in findings],
            },
        )


#: The extension point through which capabilities say who a request comes from:
#: ``identify(request, uow) -> Actor | None`` (staff credentials, a customer's session).
REQUEST_ACTOR: Final = "request_actor"


def _caller(request: Request, uow: Any) -> Actor:
    """Whoever the request's credentials name (staff or customer), else anonymous."""
    for identify in capabilities.extensions(REQUEST_ACTOR):
        try:
            actor: Actor | None = identify(request, uow)
        except KlaremontError:
            continue
        if actor is not None:
            return actor
    return ANONYMOUS


class CardDataGuard:
    """ASGI middleware refusing card data in every request (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Scan one HTTP request; refuse it, or pass it on with its body replayed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replay_receive() -> Message:
            return next(replay, None) or await receive()

        request = Request(scope, replay_receive)
        error: KlaremontError | None = None
        try:
            findings = await scan_request(request, bytes(body))
        except ValidationFailed as unreadable:
            findings, error = [], unreadable
        if findings:
            platform: Platform = scope["app"].state.platform
            await run_in_threadpool(record_refusal, platform, request, findings)
            error = CardDataRefused(findings)
            again = await form_again(request, findings)
            if again is not None:  # a person at a console form: the form, naming the fields
                await again(scope, receive, send)
                return
        if error is not None:
            response = problem_response(
                request,
                status=error.status,
                code=error.code,
                title=error.title,
                detail=error.detail,
                problems=error.problems,
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[GUARDED] = True
        replay = iter(messages)
        await self.app(scope, replay_receive, send)


async def card_data_guard(request: Request) -> None:
    """FastAPI dependency: the same scan for one router, unless the middleware already ran."""
    if request.scope.get("state", {}).get(GUARDED):
        return
    findings = await scan_request(request, await request.body())
    if findings:
        await run_in_threadpool(record_refusal, request.app.state.platform, request, findings)
        raise CardDataRefused(findings)


def install(app: FastAPI) -> None:
    """Add :class:`CardDataGuard` to ``app`` (once); add it before the security middleware so
    refusals carry the request id and the security headers."""
    if not is_installed(app):
        app.add_middleware(CardDataGuard)


def is_installed(app: FastAPI) -> bool:
    """True when ``app`` already runs the guard."""
    return any(cast("object", m.cls) is CardDataGuard for m in app.user_middleware)
