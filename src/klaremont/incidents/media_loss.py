"""A media item not found at a stocktake is reported as a loss (SP-IRP-LOSS, IS-MEDIA-PROTECT).

The media capability announces :class:`~klaremont.media.announcements.MediaMissing`; this
reports a loss-or-theft incident with the platform as the reporter, naming the item's
label, what it holds and where it was last, so the ISO is alerted and the 72-hour clock
starts. Each missing item is its own cause: one incident per item while it is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.incidents.raised import raise_incident
from klaremont.incidents.states import IncidentKind, Involvement

if TYPE_CHECKING:
    from klaremont.media.announcements import MediaMissing
    from klaremont.platform import UnitOfWork

CAUSE = "media-missing"


def _holds(event: MediaMissing) -> str:
    held = [
        name
        for name, present in (
            ("personal data", event.holds_personal_data),
            ("card data", event.holds_card_data),
        )
        if present
    ]
    return " and ".join(held) or "no personal or card data recorded"


def on_media_missing(uow: UnitOfWork, event: MediaMissing) -> str:
    """Report the missing item as a loss."""
    kind = event.kind.replace("_", " ")
    what = (
        f"Media item {event.label} ({kind}, holding {_holds(event)}) was not found at "
        f"stocktake {event.stocktake}. It was last recorded at {event.last_location}, in the "
        f"custody of {event.custodian}. Treat it as lost or stolen until it is found."
    )
    again = f"Media item {event.label} is still missing (stocktake {event.stocktake})."
    return raise_incident(
        uow,
        f"{CAUSE}:{event.label}"[:100],
        kind=IncidentKind.LOSS_OR_THEFT,
        what=what,
        again=again,
        systems=f"media item {event.label} ({kind})",
        personal=Involvement.YES if event.holds_personal_data else Involvement.NO,
        card=Involvement.YES if event.holds_card_data else Involvement.NO,
    )
