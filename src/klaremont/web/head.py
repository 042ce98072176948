"""HEAD answered everywhere GET is (RFC 9110 section 9.3.2: the same status and headers,
no body).

FastAPI's routes declare GET alone, so ``HEAD /api/customers`` answered 405 although the
``read`` scope names HEAD among the safe methods it covers. :class:`HeadAsGet` sits
innermost, next to the router: the security, metrics and log middleware outside it see the
HEAD as sent; the route, its access check and audit see a GET; the body is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Route a HEAD as a GET and send its answer without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything on; a HEAD as a GET whose body parts are sent empty."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed part: nothing is sent until the end
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
