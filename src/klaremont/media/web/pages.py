"""The media console: the inventory (``/staff/media``), one item with its movements and its
disposal as forms (``/staff/media/item/{label}``), the stocktake and the disposal register.

Thin over the services the API and the CLI call. A refusal draws the page again with the
service's words, naming the field by the label the form shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.media import disposal, register, service, stocktake
from klaremont.media.actions import MediaAction
from klaremont.media.models import LABEL_MAX, NAME_MAX, PLACE_MAX, TEXT_MAX
from klaremont.media.permissions import MediaPermission
from klaremont.media.states import ItemState, MediaKind
from klaremont.media.web import views
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, form_page

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_READ, page=True))]
ManagePage = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_MANAGE, page=True))]
ApprovePage = Annotated[StaffPrincipal, Depends(require(MediaPermission.MEDIA_APPROVE, page=True))]
DONE = {
    "added": "Item registered.",
    "moved": "Movement recorded.",
    "requested": "Disposal requested: the Information Security Officer approves it.",
    "approved": "Disposal approved.",
    "disposed": "Disposal recorded: the item is disposed of.",
    "started": "Stocktake started.",
    "seen": "Item marked seen.",
    "finished": "Stocktake finished.",
}


def _item_url(label: str, done: str) -> str:
    return f"/staff/media/item/{quote(label, safe='')}?done={done}"


def _safe(work: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return work()
    except KlaremontError:
        return None


def _read(retry: FormRetry, work: Callable[[UnitOfWork], dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return retry.read(work)
    except KlaremontError:
        return None


def _enum(value: str, enum: type[Any], field: str, words: dict[str, str]) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed.single(field, f"one of {', '.join(words.values())}") from None


def _date(value: str, field: str, *, required: bool) -> date | None:
    if not value.strip():
        if required:
            raise ValidationFailed.single(field, "must be filled in")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.single(field, "must be a date such as 2026-03-02") from None


# --- the inventory -----------------------------------------------------------------------


def _inventory(staff: Any, view: Any, **kw: Any) -> HTMLResponse:
    return views.draw("media_inventory.html", staff, view, **kw)


def _add_again(retry: FormRetry) -> HTMLResponse:
    view = _read(retry, views.inventory_view)
    return _inventory(retry.staff, view, error="; ".join(retry.errors), status_code=422)


@router.get("/media")
def media_page(
    staff: ReadPage, uow: UowDep, state: str = "", kind: str = "", done: str = ""
) -> HTMLResponse:
    """The inventory, filtered by state or kind."""
    wanted_state = ItemState(state) if state in {s.value for s in ItemState} else None
    wanted_kind = MediaKind(kind) if kind in {k.value for k in MediaKind} else None
    view = views.inventory_view(uow, wanted_state, wanted_kind)
    return _inventory(
        staff,
        view,
        notice=DONE.get(done),
        chosen_state=wanted_state.value if wanted_state else "",
        chosen_kind=wanted_kind.value if wanted_kind else "",
    )


@router.post("/media/add")
@form_page(_add_again, views.ADD_LABELS)
def media_add(
    staff: ManagePage,
    uow: UowDep,
    label: Annotated[str, Form(min_length=1, max_length=LABEL_MAX)],
    kind: Annotated[str, Form(min_length=1, max_length=24)],
    holds: Annotated[str, Form(min_length=1, max_length=16)],
    location: Annotated[str, Form(min_length=1, max_length=PLACE_MAX)],
    custodian: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    created_on: Annotated[str, Form(min_length=1, max_length=10)],
    encryption: Annotated[str, Form(max_length=PLACE_MAX)] = "",
    retention_due: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Register an item; then its page."""
    try:
        if holds not in views.HOLDS:
            raise ValidationFailed.single("holds", f"one of {', '.join(views.HOLDS.values())}")
        made = service.register(
            uow,
            service.NewItem(
                label=label,
                kind=_enum(kind, MediaKind, "kind", {k.value: k.value for k in MediaKind}),
                holds_personal_data=holds in {"personal", "both"},
                holds_card_data=holds in {"card", "both"},
                encryption=encryption,
                location=location,
                custodian=custodian,
                created_on=_date(created_on, "created_on", required=True) or date.min,
                retention_due=_date(retention_due, "retention_due", required=False),
            ),
        )
        done_label = made.label
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: views.inventory_view(uow))
        finish(uow)
        return _inventory(
            staff, view, error=views.said(exc, views.ADD_LABELS), status_code=exc.status
        )
    finish(uow)
    return RedirectResponse(_item_url(done_label, "added"), status_code=303)


# --- registers ---------------------------------------------------------------------------


@router.get("/media/disposals")
def media_disposals_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """The disposal register."""
    made = register.registers(uow)
    view = {"header": register.DISPOSAL_HEADER, "rows": made.disposals}
    return views.draw("media_disposals.html", staff, view)


def _csv(uow: UnitOfWork, which: str) -> Response:
    made = register.registers(uow)
    header, rows = (
        (register.INVENTORY_HEADER, made.inventory)
        if which == "inventory"
        else (register.DISPOSAL_HEADER, made.disposals)
    )
    uow.audit(MediaAction.REGISTER_EXPORTED, resource="media:register", details={"register": which})
    finish(uow)
    return Response(
        register.to_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="media-{which}.csv"'},
    )


@router.get("/media/inventory.csv")
def media_inventory_csv(_: ReadPage, uow: UowDep) -> Response:
    """The inventory as CSV."""
    return _csv(uow, "inventory")


@router.get("/media/disposals.csv")
def media_disposals_csv(_: ReadPage, uow: UowDep) -> Response:
    """The disposal register as CSV."""
    return _csv(uow, "disposals")


@router.get("/media/registers.html")
def media_registers_html(_: ReadPage, uow: UowDep) -> Response:
    """Both registers as one standalone HTML page, to print or file."""
    made = register.registers(uow)
    uow.audit(MediaAction.REGISTER_EXPORTED, resource="media:register", details={"form": "html"})
    finish(uow)
    return HTMLResponse(register.to_html(made))


# --- the stocktake -----------------------------------------------------------------------


def _stocktake(staff: Any, view: Any, **kw: Any) -> HTMLResponse:
    return views.draw("media_stocktake.html", staff, view, **kw)


def _seen_again(retry: FormRetry) -> HTMLResponse:
    view = _read(retry, views.stocktake_view)
    return _stocktake(retry.staff, view, error="; ".join(retry.errors), status_code=422)


@router.get("/media/stocktake")
def media_stocktake_page(staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """The stocktake under way, or the last one, with its forms."""
    return _stocktake(staff, views.stocktake_view(uow), notice=DONE.get(done))


def _count_step(
    staff: StaffPrincipal, uow: UnitOfWork, work: Callable[[], object], done: str
) -> Response:
    try:
        work()
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: views.stocktake_view(uow))
        finish(uow)
        return _stocktake(
            staff, view, error=views.said(exc, views.SEEN_LABELS), status_code=exc.status
        )
    finish(uow)
    return RedirectResponse(f"/staff/media/stocktake?done={done}", status_code=303)


@router.post("/media/stocktake/start")
def media_stocktake_start(staff: ManagePage, uow: UowDep) -> Response:
    """Start a stocktake."""
    return _count_step(staff, uow, lambda: stocktake.start(uow), "started")


@router.post("/media/stocktake/seen")
@form_page(_seen_again, views.SEEN_LABELS)
def media_stocktake_seen(
    staff: ManagePage, uow: UowDep, label: Annotated[str, Form(min_length=1, max_length=LABEL_MAX)]
) -> Response:
    """Mark an item seen by its label."""
    return _count_step(staff, uow, lambda: stocktake.seen(uow, label), "seen")


@router.post("/media/stocktake/finish")
def media_stocktake_finish(staff: ManagePage, uow: UowDep) -> Response:
    """Finish the stocktake: items not seen become missing and a loss is reported."""
    return _count_step(staff, uow, lambda: stocktake.finish(uow), "finished")


# --- one item ----------------------------------------------------------------------------


def _item(staff: Any, label: str, view: Any, **kw: Any) -> HTMLResponse:
    return views.draw("media_item.html", staff, view, label=label, **kw)


def _label_of(retry: FormRetry) -> str:
    return str(retry.request.path_params.get("label", ""))


def _item_again(retry: FormRetry) -> HTMLResponse:
    label = _label_of(retry)
    view = _read(retry, lambda uow: views.item_view(uow, label))
    return _item(retry.staff, label, view, error="; ".join(retry.errors), status_code=422)


@router.get("/media/item/{label}")
def media_item_page(label: str, staff: ReadPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """One item: what it is, where it is, its movements and its disposal."""
    view = views.item_view(uow, label)
    return _item(staff, label, view, notice=DONE.get(done))


def _item_step(
    staff: StaffPrincipal,
    uow: UnitOfWork,
    label: str,
    work: Callable[[], object],
    done: str,
    labels: dict[str, str],
) -> Response:
    try:
        work()
    except NotFound:
        raise
    except KlaremontError as exc:
        uow.session.rollback()
        view = _safe(lambda: views.item_view(uow, label))
        finish(uow)
        return _item(staff, label, view, error=views.said(exc, labels), status_code=exc.status)
    finish(uow)
    return RedirectResponse(_item_url(label, done), status_code=303)


@router.post("/media/item/{label}/move")
@form_page(_item_again, views.MOVE_LABELS)
def media_move(
    label: str,
    staff: ManagePage,
    uow: UowDep,
    to_location: Annotated[str, Form(min_length=1, max_length=PLACE_MAX)],
    handed_to: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    approved_by: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    direction: Annotated[str, Form(min_length=1, max_length=16)],
) -> Response:
    """Record a movement approved by an ISO other than you."""

    def work() -> object:
        if direction not in views.DIRECTIONS:
            words = ", ".join(views.DIRECTIONS.values())
            raise ValidationFailed.single("direction", f"one of {words}")
        return service.move(
            uow,
            label,
            to_location=to_location,
            handed_to=handed_to,
            approved_by=approved_by,
            returned=direction == "returned",
        )

    return _item_step(staff, uow, label, work, "moved", views.MOVE_LABELS)


@router.post("/media/item/{label}/dispose/request")
@form_page(_item_again, views.REQUEST_LABELS)
def media_dispose_request(
    label: str,
    staff: ManagePage,
    uow: UowDep,
    reason: Annotated[str, Form(min_length=1, max_length=TEXT_MAX)],
) -> Response:
    """Request the item's disposal."""
    return _item_step(
        staff, uow, label, lambda: disposal.request(uow, label, reason), "requested", {}
    )


@router.post("/media/item/{label}/dispose/approve")
def media_dispose_approve(label: str, staff: ApprovePage, uow: UowDep) -> Response:
    """Approve the requested disposal (the ISO; never the requester)."""
    perms = {str(p) for p in staff.permissions}
    return _item_step(
        staff,
        uow,
        label,
        lambda: disposal.approve(uow, label, permissions=perms),
        "approved",
        {},
    )


@router.post("/media/item/{label}/dispose/carry-out")
@form_page(_item_again, views.CARRY_LABELS)
def media_dispose_carry_out(
    label: str,
    staff: ManagePage,
    uow: UowDep,
    category: Annotated[str, Form(min_length=1, max_length=16)],
    technique: Annotated[str, Form(min_length=1, max_length=16)],
    performed_by: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    witness: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
    certificate: Annotated[str, Form(min_length=1, max_length=PLACE_MAX)],
) -> Response:
    """Record the approved disposal carried out."""
    how = disposal.CarryOut(category, technique, performed_by, witness, certificate)
    return _item_step(
        staff,
        uow,
        label,
        lambda: disposal.carry_out(uow, label, how),
        "disposed",
        views.CARRY_LABELS,
    )
