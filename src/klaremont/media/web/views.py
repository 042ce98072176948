"""What the media pages show, as plain values (read through the services), and drawing them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.display import uk_datetime
from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.media import disposal, register, service, stocktake
from klaremont.media.permissions import MediaPermission
from klaremont.media.states import (
    CATEGORY_WORDS,
    KIND_WORDS,
    STATE_WORDS,
    STEP_WORDS,
    TECHNIQUE_WORDS,
    ItemState,
    MediaKind,
)
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff

    Staff = StaffPrincipal | PageStaff | None

ADD_LABELS = {
    "label": "Label",
    "kind": "Kind",
    "holds": "Holds",
    "encryption": "Encryption",
    "location": "Location",
    "custodian": "Custodian",
    "created_on": "Created on",
    "retention_due": "Retention due",
}
MOVE_LABELS = {
    "to_location": "To where",
    "handed_to": "Handed to",
    "approved_by": "Approved by (ISO username)",
    "direction": "Direction",
}
REQUEST_LABELS = {"reason": "Why it should be disposed of"}
CARRY_LABELS = {
    "category": "Method",
    "technique": "Technique",
    "performed_by": "Carried out by",
    "witness": "Witness",
    "certificate": "Certificate reference",
}
SEEN_LABELS = {"label": "Label seen"}
HOLDS = {"personal": "Personal data", "card": "Card data", "both": "Personal and card data"}
DIRECTIONS = {"out": "Handed out", "returned": "Returned to store"}


def said(exc: KlaremontError, labels: dict[str, str]) -> str:
    """A service refusal in words; bad input names each form field by its label."""
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(
            f"{labels.get(p.field) or p.field.replace('_', ' ').capitalize()}: {p.rule}"
            for p in exc.problems
        )
    return exc.detail


def _permissions(staff: Staff) -> frozenset[str]:
    return frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()


def inventory_view(
    uow: UnitOfWork, state: ItemState | None = None, kind: MediaKind | None = None
) -> dict[str, Any]:
    """The inventory page's values."""
    return {
        "rows": [register.inventory_row(i) for i in service.items(uow, state=state, kind=kind)],
        "open_count": stocktake.open_count(uow) is not None,
    }


def item_view(uow: UnitOfWork, label: str) -> dict[str, Any]:
    """One item's page values (NotFound when there is none)."""
    item = service.find(uow, label)
    steps = disposal.steps(uow, item)
    return {
        "label": item.label,
        "facts": list(zip(register.INVENTORY_HEADER, register.inventory_row(item), strict=True)),
        "state": item.state.value,
        "movements": [
            {
                "at": uk_datetime(m.moved_at),
                "from": m.from_location,
                "to": m.to_location,
                "handed_to": m.handed_to,
                "approved_by": m.approved_by,
                "recorded_by": m.recorded_by,
                "returned": m.returned,
            }
            for m in service.movements(uow, item)
        ],
        "steps": [
            {
                "reference": s.reference,
                "step": STEP_WORDS[s.step],
                "at": uk_datetime(s.at),
                "by": s.actor_name,
                "detail": s.reason
                or (
                    f"{CATEGORY_WORDS[s.category]}: {TECHNIQUE_WORDS[s.technique]}; done by "
                    f"{s.performed_by}, witnessed by {s.witness}; certificate {s.certificate}"
                    if s.category and s.technique
                    else ""
                ),
            }
            for s in steps
        ],
        "approvers": service.approvers(uow),
    }


def stocktake_view(uow: UnitOfWork) -> dict[str, Any]:
    """The stocktake page's values."""
    count = stocktake.open_count(uow)
    last = stocktake.latest(uow)
    return {
        "open": None
        if count is None
        else {
            "reference": count.reference,
            "expected": count.expected,
            "seen": count.seen,
            "started": uk_datetime(count.started_at),
        },
        "last": None
        if last is None or last.finished_at is None
        else {
            "reference": last.reference,
            "finished": uk_datetime(last.finished_at),
            "seen": last.seen,
            "missing": last.missing,
        },
    }


def draw(
    template: str,
    staff: Staff,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    **more: Any,
) -> HTMLResponse:
    """Draw one media page (``view`` ``None``: its forms alone, after a refusal)."""
    permissions = _permissions(staff)
    return render(
        f"staff/{template}",
        status_code=status_code,
        staff=staff,
        view=view,
        error=error,
        notice=notice,
        can_manage=MediaPermission.MEDIA_MANAGE.value in permissions,
        can_approve=MediaPermission.MEDIA_APPROVE.value in permissions,
        kinds={k.value: w for k, w in KIND_WORDS.items()},
        states={s.value: w for s, w in STATE_WORDS.items()},
        holds=HOLDS,
        directions=DIRECTIONS,
        categories={c.value: w for c, w in CATEGORY_WORDS.items()},
        techniques={t.value: w for t, w in TECHNIQUE_WORDS.items()},
        add_labels=ADD_LABELS,
        move_labels=MOVE_LABELS,
        request_labels=REQUEST_LABELS,
        carry_labels=CARRY_LABELS,
        seen_labels=SEEN_LABELS,
        **more,
    )
