"""The stale-data review under ``/api/accuracy`` (DP-ACCURATE).

The report of records overdue or due soon for review needs ``accuracy:review`` (the DPO).
Seeing one record's review clock and recording that the customer confirmed their details
need ``customers:update``: whoever may correct a record may confirm it. Records are named
by reference (``C0001234``) or id; answers carry references, dates and categories only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from klaremont.accuracy import report as stale
from klaremont.accuracy import service
from klaremont.accuracy.models import ReviewChannel
from klaremont.accuracy.permissions import AccuracyPermission
from klaremont.accuracy.schemas import (
    ConfirmationOut,
    ConfirmIn,
    ReviewStatusOut,
    StaleReportOut,
)
from klaremont.customers.permissions import CustomerPermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/accuracy", tags=["accuracy"])

Reviewer = Annotated[StaffPrincipal, Depends(require(AccuracyPermission.ACCURACY_REVIEW))]
Updater = Annotated[StaffPrincipal, Depends(require(CustomerPermission.CUSTOMERS_UPDATE))]
CustomerKey = Annotated[
    str, Path(min_length=1, max_length=36, description="customer reference or id")
]


@router.get("/stale", response_model=StaleReportOut)
def stale_report(
    _: Reviewer,
    uow: UowDep,
    within_days: Annotated[
        int | None,
        Query(ge=0, le=stale.WITHIN_MAX, description="due soon: within this many days"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=stale.LIMIT_MAX)] = stale.DEFAULT_LIMIT,
) -> StaleReportOut:
    """Records whose details are overdue for review, then those due soon (oldest first)."""
    return StaleReportOut.of(stale.stale_records(uow, within_days=within_days, limit=limit))


@router.get("/customers/{key}", response_model=ReviewStatusOut)
def review_status(key: CustomerKey, _: Updater, uow: UowDep) -> ReviewStatusOut:
    """One record's review clock and its review history."""
    return ReviewStatusOut.of(service.review_status(uow, key))


@router.post("/customers/{key}/confirm", response_model=ConfirmationOut, status_code=201)
def confirm(key: CustomerKey, body: ConfirmIn, _: Updater, uow: UowDep) -> ConfirmationOut:
    """Record that the customer confirmed their details are accurate (by phone, e-mail, ...)."""
    done = service.confirm_accurate(uow, key, channel=ReviewChannel(body.channel))
    finish(uow)
    return ConfirmationOut.of(done)
