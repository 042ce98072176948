"""``GET /metrics`` for Prometheus, and the request metrics behind it.

Requests are counted by method and route *template* (``/api/customers/{customer_id}``),
never by the raw path, which may hold an id or a card number someone pasted into a URL;
a request no route matched is counted as ``unmatched``. Who may scrape: a client whose
address is inside ``KLAREMONT_METRICS_NETWORKS`` (the loopback by default) and, when
``KLAREMONT_METRICS_TOKEN`` is set, that also sends ``Authorization: Bearer <token>``.
The metrics hold counts and times only, never personal data.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from starlette.routing import Match, Mount

from klaremont.metrics import exposition
from klaremont.web.problems import PROBLEM_MEDIA_TYPE, problem_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from klaremont.platform import Platform

router = APIRouter(tags=["health"])
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SERVER_ERROR = 500
# Seconds: a page or API answer is expected well under a second; the long tail matters.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """This app's request metrics (kept out of prometheus-client's global registry, so each
    app built in one process counts its own requests)."""

    def __init__(self) -> None:
        self.requests = Counter(
            "klaremont_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            ["method", "route", "status_class"],
            registry=None,
        )
        self.latency = Histogram(
            "klaremont_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=None,
        )
        self.errors = Counter(
            "klaremont_http_errors",
            "Server errors (5xx) and problem+json answers, by status.",
            ["status"],
            registry=None,
        )

    def collectors(self) -> tuple[Any, ...]:
        """The metric objects, for a scrape in single-process mode."""
        return (self.requests, self.latency, self.errors)

    def observe(
        self, scope: Scope, original: Scope, status: int, *, problem: bool, seconds: float
    ) -> None:
        """Record one answered request."""
        method = scope.get("method", "")
        method = method if method in _METHODS else "OTHER"
        route = route_template(scope, original)
        self.requests.labels(method, route, f"{status // 100}xx").inc()
        self.latency.labels(method, route).observe(seconds)
        if problem or status >= _SERVER_ERROR:
            self.errors.labels(str(status)).inc()


def route_template(scope: Scope, original: Scope | None = None) -> str:
    """The template of the route that answered (``unmatched`` when none did).

    A mount (the static files) does not record itself in the scope, so a request without
    a recorded route is matched against the app's mounts, with ``original`` (the scope's
    path as it arrived, before a mount rewrote its root path).
    """
    route = scope.get("route")
    if route is None and original is not None:
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            if isinstance(candidate, Mount) and candidate.matches(original)[0] is Match.FULL:
                route = candidate
                break
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    if isinstance(route, Mount):
        return f"{path}/{{path}}"
    return path


class MetricsMiddleware:
    """Counts every HTTP request once it is answered (outermost, so it sees the final status)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = {"status": _SERVER_ERROR, "problem": False}
        original = {
            "type": "http",
            "path": scope.get("path", ""),
            "root_path": scope.get("root_path", ""),
            "method": scope.get("method", ""),
        }

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["problem"] = any(
                    key.lower() == b"content-type" and value.startswith(PROBLEM_MEDIA_TYPE.encode())
                    for key, value in message.get("headers", [])
                )
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(
                scope,
                original,
                int(answer["status"]),
                problem=bool(answer["problem"]),
                seconds=time.perf_counter() - started,
            )


def may_scrape(request: Request, platform: Platform) -> tuple[bool, str]:
    """Whether this request may read the metrics, and the reason when it may not."""
    settings = platform.settings
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False, "the client address is unknown"
    networks = (ipaddress.ip_network(net, strict=False) for net in settings.metrics_networks)
    if not any(address in net for net in networks):
        return False, "the client is outside KLAREMONT_METRICS_NETWORKS"
    if settings.metrics_token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.metrics_token.get_secret_value()
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            return False, "a bearer token is required"
    return True, ""


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: request counts and latency, errors, the audit chain head and
    last checkpoint, staff lockouts, the mail outbox and every capability's contribution."""
    platform: Platform = request.app.state.platform
    allowed, reason = may_scrape(request, platform)
    if not allowed:
        token = "token" in reason
        return problem_response(
            request,
            status=401 if token else 403,
            code="metrics-forbidden",
            title="Not allowed to read the metrics",
            detail=reason,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'} if token else None,
        )
    measured: RequestMetrics = request.app.state.request_metrics
    body = await run_in_threadpool(exposition, platform, measured.collectors())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
