"""Guest codes under ``/api/wifi``: issue one or a batch, list, revoke (``wifi:manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from klaremont.errors import ValidationFailed
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.wifi import service_guest
from klaremont.wifi.permissions import WifiPermission
from klaremont.wifi.schemas import CodeOut, IssuedOut, IssueIn, RevokedOut, RevokeIn

router = APIRouter(prefix="/api/wifi", tags=["wifi"])

Manager = Annotated[StaffPrincipal, Depends(require(WifiPermission.WIFI_MANAGE))]


@router.post("/codes", response_model=list[IssuedOut], status_code=201)
def issue_codes(body: IssueIn, staff: Manager, uow: UowDep) -> list[IssuedOut]:
    """Issue guest codes; this answer is the only place the codes appear."""
    issued = service_guest.issue(
        uow,
        count=body.count,
        by=staff.username,
        valid_hours=body.valid_hours,
        max_devices=body.max_devices,
    )
    answer = [IssuedOut.of(made) for made in issued]
    finish(uow)
    return answer


@router.get("/codes", response_model=list[CodeOut])
def list_codes(_: Manager, uow: UowDep) -> list[CodeOut]:
    """The newest guest codes (their last characters) and where each stands."""
    now = uow.clock.now()
    return [CodeOut.of(row, now) for row in service_guest.recent(uow)]


@router.post("/codes/revoke", response_model=RevokedOut)
def revoke_codes(body: RevokeIn, staff: Manager, uow: UowDep) -> RevokedOut:
    """Revoke one code, or every code of a batch."""
    if (body.code is None) == (body.batch is None):
        raise ValidationFailed.single("code", "give a code or a batch, not both")
    count = service_guest.revoke(uow, by=staff.username, code=body.code, batch=body.batch)
    finish(uow)
    return RevokedOut(revoked=count)
