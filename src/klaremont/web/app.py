"""The FastAPI app factory."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import klaremont
from klaremont import capabilities
from klaremont.platform import Platform
from klaremont.web import (
    body_limit,
    card_guard,
    docs,
    health,
    input_text,
    metrics,
    openapi_problems,
    problems,
)
from klaremont.web.head import HeadAsGet
from klaremont.web.metrics import MetricsMiddleware, RequestMetrics
from klaremont.web.middleware import SecurityMiddleware

STATIC_DIR = Path(__file__).parent / "static"


def discover_routers() -> list[APIRouter]:
    """The platform's own routes (health), then every router the capabilities declare.

    A new capability names its routers in its declaration; nothing central changes.
    """
    routers: list[APIRouter] = [health.router, metrics.router]
    for declared in capabilities.capabilities():
        for reference in declared.routers:
            router = capabilities.resolve(reference)
            if not isinstance(router, APIRouter):
                msg = f"capability {declared.name!r}: {reference} is not an APIRouter"
                raise TypeError(msg)
            routers.append(router)
    return routers


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes to the app's own route table.

    ``app.include_router`` keeps each router as a nested dispatcher that, on every request,
    tests the routes of every router before the right one and then the chosen router's
    routes a second time: for a route late in the table that was a sixth of the web
    layer's work per request. Our routers set their prefix, tags and dependencies on the
    routes themselves when they are declared (FastAPI bakes a router's settings into each
    route), and pass nothing at inclusion, so the routes are the same either way; they are
    just matched once, in one list.
    """
    if router.on_startup or router.on_shutdown:
        msg = f"router with {router.routes[0]!r} has event handlers: include it with include_router"
        raise ValueError(msg)
    app.router.routes.extend(router.routes)


def create_app(platform: Platform) -> FastAPI:
    """Build the web app around an already-built platform."""
    app = FastAPI(
        title="Klaremont",
        version=klaremont.__version__,
        description="Klaremont's privacy, data-protection and security controls.",
        docs_url=None,  # FastAPI's pages load scripts from a CDN; klaremont.web.docs serves /docs
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.platform = platform
    problems.install(app)
    for router in discover_routers():
        include_flat(app, router)
    # Text input with control characters: refused after each route's access check.
    input_text.install(app)
    openapi_problems.install(app)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost: a HEAD reaches the routes as a GET, its answer sent without the body.
    app.add_middleware(HeadAsGet)
    # Card data guard inside the security middleware, so its refusals carry the headers.
    card_guard.install(app)
    # Outside the guard, which reads whole bodies: no body over its route's size is read.
    body_limit.install(app, platform.settings)
    # Any exception raised inside (a middleware, body parsing, a route) becomes a problem
    # response here, inside the security middleware, so it carries the security headers.
    app.add_middleware(problems.ProblemMiddleware)
    app.add_middleware(SecurityMiddleware, hsts=platform.settings.public_url.startswith("https://"))
    # Outermost: requests are counted with their final status (GET /metrics reads them).
    app.state.request_metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.request_metrics)
    # The client's address and scheme from X-Forwarded-For/-Proto, when (and only when)
    # the request comes from a trusted reverse proxy (KLAREMONT_TRUSTED_PROXIES).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=platform.settings.trusted_proxies)
    return app


def uvicorn_options() -> dict[str, object]:
    """Options the serve command passes to uvicorn: the app itself reads X-Forwarded-*
    from ``KLAREMONT_TRUSTED_PROXIES`` only (see :func:`create_app`), so uvicorn's own
    proxy-header handling (which trusts 127.0.0.1 unless told otherwise) is off."""
    return {"proxy_headers": False}


def settle_for_serving() -> None:
    """Take everything built at start-up out of the garbage collector's rounds.

    The app, the platform and the imported modules live as long as the process. Left in
    the collector's oldest generation, each full collection walks all of them again: about
    90 ms with the whole app loaded, during which no request is answered -- the slowest
    hundredth of requests in the customer-read benchmark. ``gc.freeze()`` moves them to a
    permanent generation (CPython's documented practice for servers); objects made later
    are collected as usual. Call it once, just before serving.
    """
    gc.collect()
    gc.freeze()
