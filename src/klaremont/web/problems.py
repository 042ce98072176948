"""RFC 9457 problem+json for every error, mapped from domain exceptions in one place.

No stack trace, secret or submitted value is ever echoed: validation problems name the
field and the rule, never the input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from klaremont.detectors.cards import redact as mask_card_data
from klaremont.errors import FieldProblem, KlaremontError
from klaremont.logging import get_logger
from klaremont.web.form_pages import (
    FormRetry,
    field_of,
    form_page_of,
    page_staff,
    plain_rule,
    submitted_fields,
)
from klaremont.web.problem_pages import error_page, page_template
from klaremont.web.refusal_first import settle_access

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://klaremont.example/problems/"
_PATH_SAFE = "/:@!$&'()*+,;=-._~{}[]"  # the path as sent, with anything else percent-encoded
log = get_logger(__name__)


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build one problem+json response, or for a browser on a console page an HTML page
    saying the same (title, detail, status and request id; never a submitted value)."""
    request_id = getattr(request.state, "request_id", None)
    template = page_template(request)
    if template is not None:
        return error_page(
            request,
            template,
            status=status,
            code=code,
            title=title,
            detail=detail,
            problems=problems,
            headers=headers,
        )
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "instance": quote(mask_card_data(request.url.path), safe=_PATH_SAFE),  # never card data
    }
    if detail:
        body["detail"] = detail
    if problems:
        body["errors"] = [{"field": p.field, "rule": p.rule} for p in problems]
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


#: a field's name as echoed in a problem: a caller's unknown key can be any text (a 200,000
#: character key came back twice in full, and a key is no place for a secret either)
FIELD_NAME_MAX = 64


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    name = ".".join(parts) or "request"
    return name if len(name) <= FIELD_NAME_MAX else name[: FIELD_NAME_MAX - 1] + "…"


def _rule(error: dict[str, Any]) -> str:
    # pydantic's msg never contains the input value; ctx may (e.g. pattern), so we keep msg only.
    return str(error.get("msg", "invalid value"))


def _problem(error: dict[str, Any]) -> FieldProblem:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":  # its location is a character offset, not a field
        reason = str((error.get("ctx") or {}).get("error", "")).strip().lower()
        at = f" at character {loc[-1]}" if loc and isinstance(loc[-1], int) else ""
        return FieldProblem("body", f"is not valid JSON{': ' + reason if reason else ''}{at}")
    return FieldProblem(_field_name(loc), _rule(error))


def validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    """Field and rule for each validation error, without the submitted value (a body that
    is not JSON at all is named as the body, with the parser's reason and where)."""
    return [_problem(e) for e in exc.errors()]


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KlaremontError)  # noqa: S101 - registered for this class only
    headers = {"WWW-Authenticate": 'Cookie realm="klaremont"'} if exc.status == 401 else None  # noqa: PLR2004
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        problems=exc.problems,
        headers=headers,
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this class only
    try:
        await settle_access(request)  # a refusal wins over a validation error
    except (KlaremontError, StarletteHTTPException) as refused:
        return await answer(request, refused)
    retried = await _form_again(request, exc)
    if retried is not None:
        return retried
    problems = validation_problems(exc)
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        title="Input is not valid",
        detail="; ".join(f"{p.field}: {p.rule}" for p in problems),
        problems=problems,
    )


async def _form_again(request: Request, exc: RequestValidationError) -> Response | None:
    """For a browser on a form that declared its page: that page again, naming each field
    by its label with the rule (``None``: answer as for any other request)."""
    page = form_page_of(request)
    if page is None or page_template(request) is None:
        return None
    errors = [
        f"{page.label(field_of(tuple(e.get('loc', ()))))}: {plain_rule(e)}" for e in exc.errors()
    ]
    retry = FormRetry(
        submitted=await submitted_fields(request),
        request=request,
        staff=page_staff(request),
        errors=list(dict.fromkeys(errors)),
    )
    try:
        return await run_in_threadpool(page.draw, retry)
    except Exception as failed:  # noqa: BLE001 - the generic error page still names the fields
        log.warning(
            "form_page_failed",
            path=request.url.path,
            error_type=type(failed).__name__,
            request_id=getattr(request.state, "request_id", None),
        )
        return None


#: the framework's words for a body it could not read at all, and the rule a caller can act on
_UNREADABLE_BODY = {
    "There was an error parsing the body": "could not be read: send JSON as UTF-8 text",
    "Invalid multipart data.": "is not readable multipart form data (a part or its name is "
    "malformed or too long)",
}


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this class only
    if exc.status_code == 400:  # noqa: PLR2004 - a body that could not be parsed at all
        try:
            await settle_access(request)  # a refusal wins over a malformed body
        except (KlaremontError, StarletteHTTPException) as refused:
            if refused is not exc:
                return await answer(request, refused)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required"}
    headers = getattr(exc, "headers", None)
    if exc.status_code == 400 and exc.detail in _UNREADABLE_BODY:  # noqa: PLR2004
        unreadable = FieldProblem("body", _UNREADABLE_BODY[str(exc.detail)])
        return problem_response(
            request,
            status=400,
            code="validation-failed",
            title="Input is not valid",
            detail=f"body: {unreadable.rule}",
            problems=[unreadable],
        )
    if exc.status_code == 405:  # noqa: PLR2004 - every method of the path, not of one route
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return problem_response(
        request,
        status=exc.status_code,
        code={404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error"),
        title=titles.get(exc.status_code, "Request failed"),
        detail=str(exc.detail) if exc.status_code < 500 else None,  # noqa: PLR2004
        headers=headers,
    )


# SQLite's "database is locked"/"busy", PostgreSQL's lock_not_available (lock_timeout),
# deadlock_detected and serialization_failure: the work was rolled back and may be retried.
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
RETRY_AFTER_SECONDS = "1"


def is_busy(exc: BaseException) -> bool:
    """True when a database error means "busy, try again", not a fault."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _BUSY_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def busy_response(request: Request) -> Response:
    """503 with Retry-After: the database was busy; nothing of the request was saved."""
    return problem_response(
        request,
        status=503,
        code="busy",
        title="Busy, try again",
        detail="The service was too busy to finish this request; nothing was changed. "
        "Try again in a moment.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def _on_database_error(request: Request, exc: Exception) -> Response:
    """Busy: 503 with Retry-After (handled here, inside the app, so the answer is sent
    like any other); any other database error is an internal error."""
    if not is_busy(exc):
        return await _on_unexpected(request, exc)
    log.warning(
        "database_busy",
        path=request.url.path,
        request_id=getattr(request.state, "request_id", None),
    )
    return busy_response(request)


def _allowed_methods(request: Request) -> str:
    """The methods of the resource at this path: of the routes matching it (one per method
    here), those with the most specific template (``/api/customers/search`` is not
    ``/api/customers/{customer}``, though the latter matches it too)."""
    by_template: dict[str, set[str]] = {}
    for route in request.app.router.routes:
        methods: set[str] | None = getattr(route, "methods", None)
        if isinstance(route, BaseRoute) and methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                by_template.setdefault(getattr(route, "path", ""), set()).update(methods)
    if not by_template:
        return ""
    specific = min(by_template, key=lambda template: template.count("{"))
    return ", ".join(sorted(by_template[specific]))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.error(
        "unhandled_error",
        error_type=type(exc).__name__,
        path=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        exc_info=exc,  # rendered without local variables, its message redacted (klaremont.logging)
    )
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal error",
        detail="The error was logged with this request id.",
    )


Handler = Callable[[Request, Exception], Awaitable[Response]]
_HANDLERS: tuple[tuple[type[Exception], Handler], ...] = (
    (KlaremontError, _on_domain_error),
    (RequestValidationError, _on_validation_error),
    (StarletteHTTPException, _on_http_error),
    (OperationalError, _on_database_error),
    (PoolTimeout, _on_database_error),
)


async def answer(request: Request, exc: Exception) -> Response:
    """The problem response for any exception (the handler of its class, else a 500)."""
    for kind, handler in _HANDLERS:
        if isinstance(exc, kind):
            return await handler(request, exc)
    return await _on_unexpected(request, exc)


class ProblemMiddleware:
    """Answers an exception raised anywhere inside it (a middleware, body parsing, a route)
    with a problem response, so the error still passes out through the security middleware
    (headers, request id, the request's log line).

    Starlette's own last-resort handler sits outside every user middleware: without this, an
    error raised in a middleware would leave as a bare 500 without the security headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; turn an exception into a problem response if nothing was sent yet."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise  # the answer is on its way: nothing can replace it now
            try:
                response = await answer(Request(scope), exc)
            except Exception:  # the answer of last resort must not fail
                log.exception("error_response_failed")
                response = JSONResponse(
                    {"type": f"{PROBLEM_BASE}internal-error", "title": "Internal error"},
                    status_code=500,
                    media_type=PROBLEM_MEDIA_TYPE,
                )
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register every handler on the app (add :class:`ProblemMiddleware` inside the security
    middleware as well)."""
    for kind, handler in _HANDLERS:
        app.add_exception_handler(kind, handler)
    app.add_exception_handler(Exception, _on_unexpected)
