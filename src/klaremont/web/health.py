"""Health: the process answers and both databases respond."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

import klaremont
from klaremont.db.engine import READ_ONLY
from klaremont.web.deps import PlatformDep

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
