"""Stocktakes (IS-MEDIA-PROTECT): count every item on hand; an item not found is missing.

:func:`start` opens a count of every item on hand (in store, handed out, awaiting
disposal); :func:`seen` marks one seen by its label; :func:`finish` closes the count: each
item not seen becomes ``missing`` and is announced
(:class:`~klaremont.media.announcements.MediaMissing`), and the incident capability
reports its loss to the ISO (SP-IRP-LOSS). One count is open at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont import events
from klaremont.errors import Conflict
from klaremont.media.actions import MediaAction
from klaremont.media.announcements import MediaMissing
from klaremont.media.models import PLACE_MAX, MediaItem, MediaSighting, MediaStocktake
from klaremont.media.service import find, who
from klaremont.media.states import ON_HAND, ItemState

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def open_count(uow: UnitOfWork) -> MediaStocktake | None:
    """The stocktake under way, if any."""
    return uow.session.scalar(
        select(MediaStocktake).where(MediaStocktake.finished_at.is_(None)).limit(1)
    )


def latest(uow: UnitOfWork) -> MediaStocktake | None:
    """The last finished stocktake, if any."""
    return uow.session.scalar(
        select(MediaStocktake)
        .where(MediaStocktake.finished_at.is_not(None))
        .order_by(MediaStocktake.finished_at.desc())
        .limit(1)
    )


def _on_hand(uow: UnitOfWork) -> list[MediaItem]:
    return list(
        uow.session.scalars(
            select(MediaItem).where(MediaItem.state.in_(list(ON_HAND))).order_by(MediaItem.label)
        )
    )


def seen_ids(uow: UnitOfWork, count: MediaStocktake) -> set[object]:
    """The items already marked seen in ``count``."""
    return set(
        uow.session.scalars(
            select(MediaSighting.item_id).where(MediaSighting.stocktake_id == count.id)
        )
    )


def start(uow: UnitOfWork) -> MediaStocktake:
    """Open a stocktake of every item on hand."""
    if open_count(uow) is not None:
        raise Conflict("a stocktake is already under way: finish it first")
    now = uow.clock.now()
    made = uow.session.scalar(select(func.count(MediaStocktake.id))) or 0
    count = MediaStocktake(
        reference=f"S-{now.year}-{made + 1:04d}",
        started_at=now,
        started_by=who(uow),
        expected=len(_on_hand(uow)),
        seen=0,
        missing=0,
    )
    uow.session.add(count)
    uow.session.flush()
    uow.audit(
        MediaAction.STOCKTAKE_STARTED,
        resource=f"stocktake:{count.reference}",
        details={"stocktake": count.reference, "expected": count.expected},
    )
    return count


def seen(uow: UnitOfWork, label: str) -> MediaItem:
    """Mark one item seen in the open stocktake (again is harmless)."""
    count = open_count(uow)
    if count is None:
        raise Conflict("no stocktake is under way: start one first")
    item = find(uow, label)
    if item.state not in ON_HAND:
        raise Conflict(
            f"{item.label} is {item.state.value.replace('_', ' ')}: it is not counted; "
            "report a missing item found to the Information Security Officer"
        )
    if item.id in seen_ids(uow, count):
        return item
    now = uow.clock.now()
    uow.session.add(
        MediaSighting(stocktake_id=count.id, item_id=item.id, seen_at=now, seen_by=who(uow))
    )
    item.last_seen_at = now
    count.seen += 1
    uow.session.flush()
    uow.audit(
        MediaAction.SEEN,
        resource=f"media:{item.label}",
        details={"label": item.label, "stocktake": count.reference},
    )
    return item


def finish(uow: UnitOfWork) -> tuple[MediaStocktake, list[MediaItem]]:
    """Close the stocktake; every item on hand not seen becomes missing and is announced."""
    count = open_count(uow)
    if count is None:
        raise Conflict("no stocktake is under way")
    marked = seen_ids(uow, count)
    missing = [item for item in _on_hand(uow) if item.id not in marked]
    count.finished_at = uow.clock.now()
    count.finished_by = who(uow)
    count.missing = len(missing)
    for item in missing:
        last_location = (
            item.location if item.held_by is None else f"{item.location} ({item.held_by})"
        )
        item.state = ItemState.MISSING
        uow.session.flush()
        uow.audit(
            MediaAction.MISSING,
            resource=f"media:{item.label}",
            details={"label": item.label, "stocktake": count.reference},
        )
        answered = events.publish(
            uow,
            MediaMissing(
                label=item.label,
                kind=item.kind.value,
                holds_personal_data=item.holds_personal_data,
                holds_card_data=item.holds_card_data,
                last_location=last_location,
                custodian=item.custodian,
                stocktake=count.reference,
            ),
        )
        item.loss_report = "; ".join(answered.values())[:PLACE_MAX] or None
    uow.session.flush()
    uow.audit(
        MediaAction.STOCKTAKE_FINISHED,
        resource=f"stocktake:{count.reference}",
        details={"stocktake": count.reference, "seen": count.seen, "missing": count.missing},
    )
    return count, missing
