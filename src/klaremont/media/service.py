"""The inventory (IS-MEDIA-INVENTORY, IS-MEDIA-PROTECT): register an item, find and list
items, record a movement.

A movement says where the item goes, to whom it is handed and who approved it. The
approver is named by username and must be an active member of staff whose roles grant
``media:approve`` (the ISO), and must not be the person recording the movement: one person
cannot both take media out and sign it off. Handing an item back to its custodian in store
(``returned``) needs the same approval, so every change of hands is signed off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont import capabilities, plausible
from klaremont.audit.events import Outcome
from klaremont.detectors.free_text import optional, plain
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.media.actions import MediaAction
from klaremont.media.models import (
    LABEL_MAX,
    NAME_MAX,
    PLACE_MAX,
    MediaItem,
    MediaMovement,
)
from klaremont.media.permissions import MediaPermission
from klaremont.media.states import ON_HAND, ItemState, MediaKind

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

STAFF_POINT = "incident_staff"  # the staff directory's extension point (active staff, roles)
LIST_MAX = 1000
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class NewItem:
    """What is typed to register an item (checked by :func:`register`)."""

    label: str
    kind: MediaKind
    holds_personal_data: bool
    holds_card_data: bool
    encryption: str | None
    location: str
    custodian: str
    created_on: date
    retention_due: date | None = None
    backup_id: str | None = None
    sha256: str | None = None
    size: int | None = None


def who(uow: UnitOfWork) -> str:
    """The acting person's name as records show it."""
    return (uow.actor.label or uow.actor.id)[:NAME_MAX]


def find(uow: UnitOfWork, label: str) -> MediaItem:
    """The item with this label, or :class:`NotFound`."""
    item = uow.session.scalar(select(MediaItem).where(MediaItem.label == label.strip()))
    if item is None:
        raise NotFound(f"no media item labelled {label.strip()[:LABEL_MAX]!r}")
    return item


def items(
    uow: UnitOfWork, *, state: ItemState | None = None, kind: MediaKind | None = None
) -> list[MediaItem]:
    """Items by label, optionally only those in ``state`` or of ``kind``."""
    query = select(MediaItem).order_by(MediaItem.label).limit(LIST_MAX)
    if state is not None:
        query = query.where(MediaItem.state == state)
    if kind is not None:
        query = query.where(MediaItem.kind == kind)
    return list(uow.session.scalars(query))


def movements(uow: UnitOfWork, item: MediaItem) -> list[MediaMovement]:
    """The item's movements, oldest first."""
    return list(
        uow.session.scalars(
            select(MediaMovement)
            .where(MediaMovement.item_id == item.id)
            .order_by(MediaMovement.moved_at, MediaMovement.id)
        )
    )


def register(uow: UnitOfWork, new: NewItem) -> MediaItem:
    """Add an item to the inventory (audited); a label already used is refused."""
    label = plain("label", new.label, max_length=LABEL_MAX)
    if not LABEL.fullmatch(label):
        raise ValidationFailed.single(
            "label", "must start with a letter or digit and hold only letters, digits, . _ -"
        )
    location = plain("location", new.location, max_length=PLACE_MAX)
    custodian = plain("custodian", new.custodian, max_length=NAME_MAX)
    encryption = optional("encryption", new.encryption, max_length=PLACE_MAX) or ""
    if not (new.holds_personal_data or new.holds_card_data):
        raise ValidationFailed.single(
            "holds_personal_data",
            "the inventory lists media holding personal or card data: say which it holds",
        )
    plausible.past_day("created_on", new.created_on, uow.clock.now().date())
    if new.retention_due is not None:
        plausible.day("retention_due", new.retention_due)
    if new.retention_due is not None and new.retention_due < new.created_on:
        raise ValidationFailed.single("retention_due", "must not be before the date created")
    if uow.session.scalar(select(MediaItem.id).where(MediaItem.label == label)) is not None:
        raise Conflict(f"The label {label!r} is already in the inventory")
    item = MediaItem(
        label=label,
        kind=new.kind,
        holds_personal_data=new.holds_personal_data,
        holds_card_data=new.holds_card_data,
        encryption=encryption,
        location=location,
        custodian=custodian,
        created_on=new.created_on,
        retention_due=new.retention_due,
        state=ItemState.IN_STORE,
        backup_id=new.backup_id,
        sha256=new.sha256,
        size=new.size,
        registered_at=uow.clock.now(),
        registered_by=who(uow),
    )
    uow.session.add(item)
    uow.session.flush()
    details: dict[str, Any] = {"label": label, "kind": new.kind.value}
    if new.backup_id:
        details["backup_id"] = new.backup_id
    uow.audit(MediaAction.REGISTERED, resource=f"media:{label}", details=details)
    return item


def approvers(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(username, full name) of every active member of staff who may approve."""
    grants = capabilities.role_grants()
    found: list[tuple[str, str]] = []
    for provider in capabilities.extensions(STAFF_POINT):
        found.extend(
            (colleague.username, colleague.full_name)
            for colleague in provider(uow)
            if any(MediaPermission.MEDIA_APPROVE in grants.get(r, ()) for r in colleague.roles)
        )
    return sorted(set(found))


def _refuse_move(uow: UnitOfWork, item: MediaItem, field: str, rule: str) -> ValidationFailed:
    label = item.label
    uow.keep_only_refusal(
        lambda: uow.audit(
            MediaAction.MOVE_REFUSED,
            Outcome.DENIED,
            resource=f"media:{label}",
            details={"label": label, "field": field, "rule": rule},
        )
    )
    return ValidationFailed.single(field, rule)


def move(
    uow: UnitOfWork,
    label: str,
    *,
    to_location: str,
    handed_to: str,
    approved_by: str,
    returned: bool = False,
) -> MediaMovement:
    """Record a movement: where to, handed to whom, approved by whom (rules above)."""
    item = find(uow, label)
    if item.state not in ON_HAND:
        raise Conflict(f"{item.label} is {item.state.value.replace('_', ' ')}: it cannot be moved")
    where = plain("to_location", to_location, max_length=PLACE_MAX)
    person = plain("handed_to", handed_to, max_length=NAME_MAX)
    approver = plain("approved_by", approved_by, max_length=NAME_MAX).lower()
    names = {username.lower(): username for username, _ in approvers(uow)}
    if approver not in names:
        raise _refuse_move(
            uow,
            item,
            "approved_by",
            "must be the username of an active member of staff who approves media "
            "movements (the Information Security Officer)",
        )
    if approver in {uow.actor.id.lower(), (uow.actor.label or "").lower()}:
        raise _refuse_move(
            uow, item, "approved_by", "must be someone other than the person recording the move"
        )
    movement = MediaMovement(
        item_id=item.id,
        moved_at=uow.clock.now(),
        from_location=item.location,
        to_location=where,
        handed_to=person,
        approved_by=names[approver],
        recorded_by=who(uow),
        returned=returned,
    )
    uow.session.add(movement)
    item.location = where
    if returned:
        item.custodian = person
        item.held_by = None
        if item.state is ItemState.OUT:
            item.state = ItemState.IN_STORE
    else:
        item.held_by = person
        if item.state is ItemState.IN_STORE:
            item.state = ItemState.OUT
    uow.session.flush()
    uow.audit(
        MediaAction.MOVED,
        resource=f"media:{item.label}",
        details={"label": item.label, "approved_by": names[approver], "returned": returned},
    )
    return movement
