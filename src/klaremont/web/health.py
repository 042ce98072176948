"""Health: ``/health`` (both databases respond), ``/health/live`` (the process answers) and
``/health/ready`` (databases, migrations and keys ready to serve)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text

import klaremont
from klaremont.db import migrate
from klaremont.db.engine import READ_ONLY
from klaremont.web.deps import PlatformDep
from klaremont.web.problems import PROBLEM_MEDIA_TYPE, problem_response

if TYPE_CHECKING:
    from klaremont.platform import Platform

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Health report."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    keystore: Literal["ok", "unavailable"]
    version: str


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(platform: PlatformDep) -> JSONResponse:
    """Report whether the data store and the keystore answer.

    A plain read: on SQLite it begins DEFERRED, so it never waits for (or takes) the
    write lock a long request may hold, and a load balancer's probe is never queued.
    """
    states: dict[str, Literal["ok", "unavailable"]] = {}
    for name, engine in (("database", platform.engine), ("keystore", platform.keystore_engine)):
        try:
            with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
                conn.execute(text("SELECT 1"))
            states[name] = "ok"
        except Exception:  # noqa: BLE001 - any failure means unavailable; the reason is not exposed
            states[name] = "unavailable"
    ok = all(v == "ok" for v in states.values())
    body = Health(
        status="ok" if ok else "degraded",
        database=states["database"],
        keystore=states["keystore"],
        version=klaremont.__version__,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/health/live")
async def live() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing else (no database, no file), so a
    slow database never gets a healthy process restarted."""
    return {"status": "ok"}


class Readiness(BaseModel):
    """What the readiness probe checked."""

    status: Literal["ready"]
    checks: dict[str, str]


def _readiness_checks(platform: Platform) -> dict[str, str]:
    """Each part's state: ``ok`` or a short reason (no host, no path, no value)."""
    found: dict[str, str] = {}
    targets = (
        ("database", platform.engine, migrate.DATA),
        ("keystore", platform.keystore_engine, migrate.KEYSTORE),
    )
    for name, engine, target in targets:
        try:
            at = set(migrate.current_revisions(engine))
        except Exception:  # noqa: BLE001 - any failure means unreachable; the reason is not exposed
            found[name] = "unreachable"
            found[f"{name}_migrations"] = "unknown"
            continue
        found[name] = "ok"
        heads = set(migrate.script_directory(target).get_heads())
        found[f"{name}_migrations"] = "ok" if at == heads else "not at the latest migration"
    try:
        loaded = platform.keyring.active_id in platform.keyring.kek_ids
        loaded = loaded and len(platform.keyring.index_key) > 0
    except Exception:  # noqa: BLE001 - a keyring that cannot answer is not loaded
        loaded = False
    found["keys"] = "ok" if loaded else "not loaded"
    return found


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"content": {PROBLEM_MEDIA_TYPE: {}}, "description": "not ready"}},
)
async def ready(request: Request, platform: PlatformDep) -> Response:
    """Readiness: both databases answer, both are at the latest migration and the keys are
    loaded. Otherwise 503 problem+json naming each part that failed."""
    checks = await run_in_threadpool(_readiness_checks, platform)
    failed = {name: state for name, state in checks.items() if state != "ok"}
    if failed:
        return problem_response(
            request,
            status=503,
            code="not-ready",
            title="Not ready",
            detail="; ".join(f"{name}: {state}" for name, state in failed.items()),
        )
    return JSONResponse(Readiness(status="ready", checks=checks).model_dump())
