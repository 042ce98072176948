"""The FastAPI app factory."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

import klaremont
from klaremont.cards import asgi as cards_asgi
from klaremont.platform import Platform
from klaremont.web import api, pages, problems
from klaremont.web.middleware import SecurityMiddleware

STATIC_DIR = Path(__file__).parent / "static"


def discover_routers() -> list[APIRouter]:
    """Every ``router`` in ``klaremont.web.api.*`` and ``klaremont.web.pages.*``.

    A new capability adds a module; nothing central changes.
    """
    routers: list[APIRouter] = []
    for package in (api, pages):
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            router = getattr(module, "router", None)
            if isinstance(router, APIRouter):
                routers.append(router)
    return routers


def create_app(platform: Platform) -> FastAPI:
    """Build the web app around an already-built platform."""
    app = FastAPI(
        title="Klaremont",
        version=klaremont.__version__,
        description="Klaremont's privacy, data-protection and security controls.",
        docs_url=None,  # the interactive docs need external scripts, which the CSP forbids
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.platform = platform
    problems.install(app)
    for router in discover_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Card data guard inside the security middleware, so its refusals carry the headers.
    cards_asgi.install(app)
    app.add_middleware(SecurityMiddleware, hsts=platform.settings.public_url.startswith("https://"))
    return app
