"""Support shares under ``/api/processors/shares`` (PP-SUPPORT), for support agents and the
DPO (``processors:support_share``): open, list, read, download the partner's file once,
resolve. Refusals are problem+json naming the field and the rule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from klaremont.processors import support, support_export, support_link
from klaremont.processors.models import KEY_MAX, TEXT_MAX, TICKET_MAX, SupportShare
from klaremont.processors.permissions import ProcessorPermission
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/processors/shares", tags=["processors"])

Sharer = Annotated[StaffPrincipal, Depends(require(ProcessorPermission.SUPPORT_SHARES))]
Ref = Annotated[str, Path(min_length=1, max_length=16, description="the share's reference")]


class SupportShareIn(BaseModel):
    """A support share to open."""

    model_config = ConfigDict(extra="forbid")

    ticket: Annotated[str, Field(min_length=1, max_length=TICKET_MAX)]
    processor: Annotated[str, Field(min_length=1, max_length=KEY_MAX)]
    customers: Annotated[
        list[Annotated[str, Field(max_length=16)]], Field(min_length=1, max_length=25)
    ]
    fields: Annotated[list[support.SupportField], Field(min_length=1, max_length=5)]
    pseudonymised: bool = False
    reason: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class SupportShareOut(BaseModel):
    """A support share as the register shows it (customers as a count only)."""

    reference: str
    ticket: str
    processor: str
    people: int
    fields: list[str]
    pseudonymised: bool
    reason: str
    state: str
    opened_at: datetime
    opened_by: str
    exported_at: datetime | None
    resolved_at: datetime | None
    due_on: date | None
    confirmed_at: datetime | None
    confirmed_by: str | None
    confirmed_method: str | None

    @classmethod
    def of(cls, uow: Any, s: SupportShare) -> SupportShareOut:
        """From the row."""
        return cls(
            reference=s.reference,
            ticket=s.ticket,
            processor=support.partner_of(uow, s).key,
            people=len([c for c in s.customers.split(",") if c]),
            fields=[f for f in s.fields.split(",") if f],
            pseudonymised=s.pseudonymised,
            reason=s.reason,
            state=support.state_of(s, uow.clock.now().date()).value,
            opened_at=s.opened_at,
            opened_by=s.opened_by,
            exported_at=s.exported_at,
            resolved_at=s.resolved_at,
            due_on=s.due_on,
            confirmed_at=s.confirmed_at,
            confirmed_by=s.confirmed_by,
            confirmed_method=s.confirmed_method,
        )


@router.get("", response_model=list[SupportShareOut])
def list_shares(_: Sharer, uow: UowDep) -> list[SupportShareOut]:
    """Support shares, newest first."""
    return [SupportShareOut.of(uow, s) for s in support.listing(uow)]


@router.post("", response_model=SupportShareOut, status_code=201)
def open_share(body: SupportShareIn, _: Sharer, uow: UowDep) -> SupportShareOut:
    """Open a share against a ticket (refused without a DPA, for a country the transfer
    guard refuses, for a processor that is not a support partner, or with identity fields
    when pseudonymised)."""
    made = support.open_share(
        uow,
        ticket=body.ticket,
        processor=body.processor,
        customers=body.customers,
        fields=[f.value for f in body.fields],
        pseudonymised=body.pseudonymised,
        reason=body.reason,
    )
    answer = SupportShareOut.of(uow, made)
    finish(uow)
    return answer


@router.get("/{reference}", response_model=SupportShareOut)
def get_share(reference: Ref, _: Sharer, uow: UowDep) -> SupportShareOut:
    """One share."""
    return SupportShareOut.of(uow, support.find(uow, reference))


@router.get("/{reference}/export")
def export_share(
    reference: Ref,
    _: Sharer,
    uow: UowDep,
    form: Annotated[Literal["json", "csv"], Query(description="the format")] = "json",
) -> Response:
    """The partner's file (once; audited)."""
    name, body = support_export.export(uow, reference, form)
    finish(uow)
    kind = "text/csv; charset=utf-8" if form == "csv" else "application/json"
    return Response(
        body, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{reference}/resolve", response_model=SupportShareOut)
def resolve_share(reference: Ref, _: Sharer, uow: UowDep) -> SupportShareOut:
    """The ticket is resolved: the deletion due date is set and the partner is mailed."""
    made, _path = support_link.resolve(uow, reference)
    answer = SupportShareOut.of(uow, made)
    finish(uow)
    return answer
