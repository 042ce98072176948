"""The FastAPI app factory."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter, FastAPI

import klaremont
from klaremont.platform import Platform
from klaremont.web import api, problems
from klaremont.web.middleware import SecurityMiddleware


def discover_routers() -> list[APIRouter]:
    """Every ``router`` in ``klaremont.web.api.*``: a new capability adds a module, nothing else."""
    routers: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(api.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{api.__name__}.{info.name}")
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
    app.add_middleware(SecurityMiddleware, hsts=platform.settings.public_url.startswith("https://"))
    return app
