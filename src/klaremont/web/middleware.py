"""Pure ASGI middleware: request ids, security headers and one structured log line per request."""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import TYPE_CHECKING

import structlog

from klaremont.db.engine import ARRIVED, SERVING_THREAD
from klaremont.detectors.cards import contains_card_data
from klaremont.detectors.cards import redact as mask_card_data
from klaremont.logging import get_logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
log = get_logger("klaremont.http")


class SecurityMiddleware:
    """Adds a request id, security headers and ``no-store``; logs method, path, status, time."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (
                b"permissions-policy",
                b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
            ),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        SERVING_THREAD.set(threading.get_ident())  # no database work on this thread
        ARRIVED.set(time.monotonic())  # the write gate serves the oldest request first
        request_id = _incoming_request_id(scope) or secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        started = time.perf_counter()
        status_holder = [500]
        cacheable = path.startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                # No "server" header: the software behind the answer is nobody's business.
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in self._headers if h[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                log.info(
                    "request",
                    method=scope["method"],
                    # the path only (query strings may carry personal data), card data masked
                    path=mask_card_data(path),
                    status=status_holder[0],
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )


def _incoming_request_id(scope: Scope) -> str | None:
    """The client's ``X-Request-ID`` if it is safe to keep, else ``None`` (a fresh one is made)."""
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            return safe_request_id(value.decode("latin-1"))
    return None


def safe_request_id(text: str) -> str | None:
    """``text`` when it is 8-64 characters of ``[A-Za-z0-9._-]`` and holds no card number.

    A request id is stored in every audit event of the request (append only) and echoed in
    the response, so anything else is replaced, never kept, echoed or logged.
    """
    if _SAFE_REQUEST_ID.fullmatch(text) and not contains_card_data(text):
        return text
    return None
