"""The media inventory under ``/api/media``: items, movements, stocktakes and disposals.

Thin over the services. ``media:read`` lists and reads; ``media:manage`` registers,
moves, counts, requests and carries out disposals; ``media:approve`` (the ISO) approves.
Refusals are problem+json naming the field and the rule.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from klaremont.media import disposal, register, service, stocktake
from klaremont.media.actions import MediaAction
from klaremont.media.models import MediaDisposalStep
from klaremont.media.permissions import MediaPermission
from klaremont.media.schemas import (
    CarryOutIn,
    ItemIn,
    ItemOut,
    MoveIn,
    RequestIn,
    StepOut,
    StocktakeOut,
)
from klaremont.media.states import ItemState, MediaKind
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish

router = APIRouter(prefix="/api/media", tags=["media"])

Reader = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_READ))]
Manager = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_MANAGE))]
Approver = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_APPROVE))]
Label = Annotated[str, Path(min_length=1, max_length=64, description="the item's label")]


def _step(row: MediaDisposalStep) -> StepOut:
    return StepOut(disposal=row.reference, step=row.step.value, at=row.at, by=row.actor_name)


@router.get("", response_model=list[ItemOut])
def list_items(
    _: Reader,
    uow: UowDep,
    state: Annotated[ItemState | None, Query(description="only items in this state")] = None,
    kind: Annotated[MediaKind | None, Query(description="only items of this kind")] = None,
) -> list[ItemOut]:
    """The inventory, by label."""
    return [ItemOut.of(i) for i in service.items(uow, state=state, kind=kind)]


@router.post("", response_model=ItemOut, status_code=201)
def add_item(body: ItemIn, _: Manager, uow: UowDep) -> ItemOut:
    """Register an item."""
    made = service.register(uow, service.NewItem(**body.model_dump()))
    answer = ItemOut.of(made)
    finish(uow)
    return answer


@router.get("/registers/inventory.csv")
def inventory_csv(_: Reader, uow: UowDep) -> Response:
    """The inventory as CSV."""
    made = register.registers(uow)
    uow.audit(MediaAction.REGISTER_EXPORTED, resource="media:register", details={"form": "csv"})
    finish(uow)
    return Response(
        register.to_csv(register.INVENTORY_HEADER, made.inventory),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="media-inventory.csv"'},
    )


@router.get("/registers/disposals.csv")
def disposals_csv(_: Reader, uow: UowDep) -> Response:
    """The disposal register as CSV."""
    made = register.registers(uow)
    uow.audit(MediaAction.REGISTER_EXPORTED, resource="media:register", details={"form": "csv"})
    finish(uow)
    return Response(
        register.to_csv(register.DISPOSAL_HEADER, made.disposals),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="media-disposals.csv"'},
    )


@router.post("/stocktake", response_model=StocktakeOut, status_code=201)
def start_stocktake(_: Manager, uow: UowDep) -> StocktakeOut:
    """Start a stocktake of every item on hand."""
    count = stocktake.start(uow)
    answer = StocktakeOut(
        reference=count.reference, expected=count.expected, seen=0, missing=0, finished=False
    )
    finish(uow)
    return answer


@router.post("/stocktake/finish", response_model=StocktakeOut)
def finish_stocktake(_: Manager, uow: UowDep) -> StocktakeOut:
    """Finish the stocktake: items not seen become missing and a loss is reported."""
    count, missing = stocktake.finish(uow)
    answer = StocktakeOut(
        reference=count.reference,
        expected=count.expected,
        seen=count.seen,
        missing=count.missing,
        finished=True,
        missing_labels=[i.label for i in missing],
    )
    finish(uow)
    return answer


@router.get("/{label}", response_model=ItemOut)
def show_item(label: Label, _: Reader, uow: UowDep) -> ItemOut:
    """One item."""
    return ItemOut.of(service.find(uow, label))


@router.post("/{label}/moves", response_model=ItemOut, status_code=201)
def move_item(label: Label, body: MoveIn, _: Manager, uow: UowDep) -> ItemOut:
    """Record a movement (approved by an ISO other than you)."""
    service.move(uow, label, **body.model_dump())
    answer = ItemOut.of(service.find(uow, label))
    finish(uow)
    return answer


@router.post("/{label}/seen", response_model=ItemOut)
def mark_seen(label: Label, _: Manager, uow: UowDep) -> ItemOut:
    """Mark the item seen in the stocktake under way."""
    answer = ItemOut.of(stocktake.seen(uow, label))
    finish(uow)
    return answer


@router.post("/{label}/disposal", response_model=StepOut, status_code=201)
def request_disposal(label: Label, body: RequestIn, _: Manager, uow: UowDep) -> StepOut:
    """Request the item's disposal."""
    answer = _step(disposal.request(uow, label, body.reason))
    finish(uow)
    return answer


@router.post("/{label}/disposal/approve", response_model=StepOut)
def approve_disposal(label: Label, staff: Approver, uow: UowDep) -> StepOut:
    """Approve the requested disposal (the ISO; never the requester)."""
    answer = _step(disposal.approve(uow, label, permissions=staff.permissions))
    finish(uow)
    return answer


@router.post("/{label}/disposal/carry-out", response_model=StepOut)
def carry_out_disposal(label: Label, body: CarryOutIn, _: Manager, uow: UowDep) -> StepOut:
    """Record the approved disposal carried out, with its method, witness and certificate."""
    how = disposal.CarryOut(
        body.category.value if body.category else None,
        body.technique.value if body.technique else None,
        body.performed_by,
        body.witness,
        body.certificate,
    )
    answer = _step(disposal.carry_out(uow, label, how))
    finish(uow)
    return answer
