"""A size limit on every request body, checked before anything reads it.

Without one, a client could send a body of any size: the card-data guard reads a body whole
before a route runs, and a multipart form spools its files to the system temp directory.
:class:`BodyLimitMiddleware` refuses a body larger than ``KLAREMONT_MAX_REQUEST_KILOBYTES``
(1 MiB by default) with 413 problem+json naming the limit: at once when ``Content-Length``
says so, otherwise as soon as the bytes streamed in pass it. Nothing reaches a route.

Routes that take a file allow their own size, declared by their capability at the
``upload_limits`` extension point: ``limits(settings) -> [(method, path pattern, bytes)]``
(incident evidence: its configured maximum plus room for the form). Uploads up to the
largest of those are held in memory while they are parsed (Starlette's spool size is set to
it), so an upload never passes through the system temp directory in the clear.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, cast

from starlette.formparsers import MultiPartParser
from starlette.requests import Request

from klaremont import capabilities
from klaremont.errors import KlaremontError
from klaremont.web.problems import problem_response

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from klaremont.config import Settings

POINT: Final = "upload_limits"
KIBIBYTE: Final = 1024
#: ``limits(settings) -> [(method, path pattern, bytes)]``
UploadLimits = Callable[["Settings"], Sequence[tuple[str, str, int]]]


class RequestTooLarge(KlaremontError):
    """The request body is larger than this address accepts."""

    code = "request-too-large"
    status = 413
    title = "Request too large"


def _words(size: int) -> str:
    if size % (KIBIBYTE * KIBIBYTE) == 0:
        return f"{size // (KIBIBYTE * KIBIBYTE)} MiB"
    return f"{size // KIBIBYTE} KiB"


class BodyLimitMiddleware:
    """Refuse a request body over its route's limit before anything reads it."""

    def __init__(
        self, app: ASGIApp, *, default: int, uploads: Sequence[tuple[str, str, int]] = ()
    ) -> None:
        self.app = app
        self.default = default
        self.uploads = [(method, re.compile(path), size) for method, path, size in uploads]

    def limit_for(self, method: str, path: str) -> int:
        """The largest body accepted for ``method`` on ``path``."""
        for route_method, pattern, size in self.uploads:
            if method == route_method and pattern.match(path):
                return size
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body counted, or refuse it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(cast("list[tuple[bytes, bytes]]", scope["headers"])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise RequestTooLarge(self._detail(limit))
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except RequestTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    def _detail(limit: int) -> str:
        return f"the request body must be at most {_words(limit)} for this address"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = RequestTooLarge(self._detail(limit))
        response = problem_response(
            Request(scope, receive),
            status=error.status,
            code=error.code,
            title=error.title,
            detail=error.detail,
            headers={"connection": "close"},
        )
        await response(scope, receive, send)


def upload_limits(settings: Settings) -> list[tuple[str, str, int]]:
    """Every capability's upload routes with their sizes."""
    found: list[tuple[str, str, int]] = []
    for provider in capabilities.extensions(POINT):
        found.extend(cast("UploadLimits", provider)(settings))
    return found


def install(app: FastAPI, settings: Settings) -> None:
    """Add the limit to ``app`` (outside the card-data guard, which reads whole bodies)."""
    default = settings.max_request_kilobytes * KIBIBYTE
    uploads = upload_limits(settings)
    largest = max([default, *(size for _, _, size in uploads)])
    # Files up to the largest accepted upload stay in memory while the form is parsed.
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, largest)
    app.add_middleware(BodyLimitMiddleware, default=default, uploads=uploads)
