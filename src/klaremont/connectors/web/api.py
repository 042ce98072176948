"""External stores under ``/api/connectors``.

``connectors:read`` lists the declared stores, checks them and reads the erasure runs;
``connectors:manage`` retries a request's failed stores. Errors are problem+json.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from klaremont.connectors import service
from klaremont.connectors.models import REFERENCE_MAX
from klaremont.connectors.permissions import ConnectorPermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/connectors", tags=["connectors"])

Reader = Annotated[StaffPrincipal, Depends(require(ConnectorPermission.CONNECTORS_READ))]
Manager = Annotated[StaffPrincipal, Depends(require(ConnectorPermission.CONNECTORS_MANAGE))]
Reference = Annotated[
    str, Path(min_length=1, max_length=REFERENCE_MAX, description="a request reference")
]


class TableOut(BaseModel):
    """One declared table."""

    name: str
    categories: list[str]
    identity: str | None
    erasure: str
    masked: list[str]


class StoreOut(BaseModel):
    """One declared store: where its URL comes from (the environment variable's name, never
    the URL), or the SQLite file beside the declarations that holds it."""

    name: str
    country: str
    url_env: str | None
    sqlite_file: str | None
    description: str
    tables: list[TableOut]


class RunOut(BaseModel):
    """One store's part of one erasure."""

    store: str
    request: str
    state: str
    counts: dict[str, Any]
    error_class: str | None
    attempts: int
    finished_at: str


@router.get("/stores", response_model=list[StoreOut])
def list_stores(_: Reader, uow: UowDep) -> list[StoreOut]:
    """The declared stores."""
    return [
        StoreOut(
            name=d.name,
            country=d.country,
            url_env=d.url_env,
            sqlite_file=d.sqlite_file.name if d.sqlite_file is not None else None,
            description=d.description,
            tables=[
                TableOut(
                    name=t.name,
                    categories=sorted(set(t.categories) | set(t.columns.values())),
                    identity=f"{t.identity.column}={t.identity.match.value}"
                    if t.identity
                    else None,
                    erasure=t.erasure.value,
                    masked=sorted(t.mask),
                )
                for t in d.tables.values()
            ],
        )
        for d in service.declared(uow)
    ]


@router.get("/check")
def check_stores(_: Reader, uow: UowDep) -> list[dict[str, Any]]:
    """Reach and reflect each store: erasure order, transfer verdict, problems."""
    return service.check(uow)


@router.get("/runs", response_model=list[RunOut])
def list_runs(
    _: Reader,
    uow: UowDep,
    request: Annotated[str | None, Query(max_length=REFERENCE_MAX)] = None,
) -> list[RunOut]:
    """Recorded erasure runs, newest first (of one request when given)."""
    return [RunOut(**service.summary(run)) for run in service.runs(uow, request)]


@router.post("/runs/{reference}/retry", response_model=list[RunOut])
def retry_runs(reference: Reference, _: Manager, uow: UowDep) -> list[RunOut]:
    """Erase again every store that failed for the request."""
    results = [RunOut(**r) for r in service.retry(uow, reference)]
    finish(uow)
    return results
