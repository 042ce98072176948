"""Retention under ``/api/retention``: the schedule, dry runs and runs, litigation holds.

Thin over the services. ``retention:read`` reads the schedule and the runs and asks for a
dry run; ``retention:run`` carries a run out now (the nightly job does it anyway);
``retention:hold`` (the DPO) places and lifts litigation holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select

from klaremont.retention import engine, litigation
from klaremont.retention.models import RetentionRun
from klaremont.retention.permissions import RetentionPermission
from klaremont.retention.schedule import schedule
from klaremont.retention.schemas import (
    HoldIn,
    HoldOut,
    LiftIn,
    ReportOut,
    RunOut,
    ScheduleRowOut,
)
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/retention", tags=["retention"])

Reader = Annotated[StaffPrincipal, Depends(require(RetentionPermission.RETENTION_READ))]
Runner = Annotated[StaffPrincipal, Depends(require(RetentionPermission.RETENTION_RUN))]
Holder = Annotated[StaffPrincipal, Depends(require(RetentionPermission.RETENTION_HOLD))]


@router.get("/schedule", response_model=list[ScheduleRowOut])
def get_schedule(_: Reader, uow: UowDep) -> list[ScheduleRowOut]:
    """The retention schedule, one row per data category."""
    return [
        ScheduleRowOut(
            category=r.category,
            period=r.period,
            after=r.after,
            action=r.action,
            justification=r.justification,
            legal_holds=list(r.legal_holds),
            carried_out_by=r.carried_out_by,
        )
        for r in schedule(uow.policy)
    ]


@router.get("/runs", response_model=list[RunOut])
def list_runs(
    _: Reader, uow: UowDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[RunOut]:
    """Runs and dry runs, newest first."""
    newest = (RetentionRun.started_at.desc(), RetentionRun.reference.desc())
    query = select(RetentionRun).order_by(*newest).limit(limit)
    return [RunOut.model_validate(r) for r in uow.session.scalars(query)]


@router.post("/dry-run", response_model=ReportOut)
def post_dry_run(_: Reader, uow: UowDep) -> ReportOut:
    """What a run would do now: rows due by pseudonymous id, and what each hold keeps."""
    finish(uow)
    report = engine.dry_run(uow.platform, actor=uow.actor)
    return ReportOut.model_validate(report.as_dict())


@router.post("/runs", response_model=ReportOut, status_code=201)
def post_run(
    _: Runner,
    uow: UowDep,
    batch_size: Annotated[int, Query(ge=1, le=engine.MAX_BATCH)] = engine.DEFAULT_BATCH,
) -> ReportOut:
    """Carry out the schedule now (each batch its own transaction; refused while a run works)."""
    finish(uow)
    report = engine.run(uow.platform, actor=uow.actor, batch_size=batch_size)
    return ReportOut.model_validate(report.as_dict())


@router.get("/holds", response_model=list[HoldOut])
def list_holds(
    _: Reader, uow: UowDep, include_lifted: Annotated[bool, Query()] = False
) -> list[HoldOut]:
    """Litigation holds in force (or all)."""
    return [HoldOut.of(h) for h in litigation.listing(uow, include_lifted=include_lifted)]


@router.post("/holds", response_model=HoldOut, status_code=201)
def place_hold(body: HoldIn, _: Holder, uow: UowDep) -> HoldOut:
    """Place a litigation hold on a customer."""
    answer = HoldOut.of(litigation.place(uow, body.customer, body.reason))
    finish(uow)
    return answer


@router.post("/holds/{reference}/lift", response_model=HoldOut)
def lift_hold(
    body: LiftIn,
    _: Holder,
    uow: UowDep,
    reference: Annotated[str, Path(min_length=1, max_length=16)],
) -> HoldOut:
    """Lift a litigation hold."""
    answer = HoldOut.of(litigation.lift(uow, reference, body.reason))
    finish(uow)
    return answer
