"""Card data found where it must not be raises an incident (PCI DSS 12.10.7, IS-SENS-TRACK,
IS-SENS-CVV, IS-SENS-SAFE).

The scan capability announces :class:`~klaremont.scan.announcements.CardDataFound` when a
recorded scan found card numbers, track data or card codes that no allow-list entry
accepts. This reports a card-data-exposed incident with the platform as the reporter,
naming the scan, where the card data was found (masked: last four digits only) and the
procedure the plan requires. Each scanned place (the scan's label) is its own cause: one
incident while it is open; a later scan that finds card data there again adds a line to
the open incident's action log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.incidents.raised import raise_incident
from klaremont.incidents.states import IncidentKind, Involvement

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.scan.announcements import CardDataFound

CAUSE = "card-data-found"
WHAT_MAX = 4000
PROCEDURE = (
    "Procedure (PCI DSS 12.10.7): contain it at once (restrict access to the place, stop "
    "whatever is still writing there); find out how the card data got there and since when; "
    "purge it securely, or move it into the card vault if it must be kept; then scan the "
    "place again and record that the rescan is clean."
)


def _found(event: CardDataFound) -> str:
    parts = [
        f"{count} {words}"
        for count, words in (
            (event.card_numbers, "card number(s)"),
            (event.track_data, "magnetic-stripe track data item(s)"),
            (event.card_codes, "card security code(s)"),
        )
        if count
    ]
    return ", ".join(parts) or "card data"


def _where(lines: tuple[str, ...], room: int) -> str:
    """The masked places, as many as fit in ``room`` characters; the rest counted."""
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        entry = f"- {line}\n"
        more = len(lines) - index - 1
        tail = len(f"- and {more} more in the scan's report\n") if more else 0
        if used + len(entry) + tail > room:
            shown.append(f"- and {len(lines) - index} more in the scan's report\n")
            break
        shown.append(entry)
        used += len(entry)
    return "".join(shown)


def on_card_data_found(uow: UnitOfWork, event: CardDataFound) -> str:
    """Report the card data found as an incident, or note it on the open one."""
    head = (
        f"Scan {event.reference} of {event.label} found {_found(event)} stored where card "
        "data must not be."
    )
    intro = " Where (masked, last four digits only):\n"
    room = WHAT_MAX - len(head) - len(intro) - len(PROCEDURE)
    where = _where(event.findings, room)
    what = f"{head}{intro}{where}{PROCEDURE}" if where else f"{head} {PROCEDURE}"
    again = f"Scan {event.reference} of {event.label} found card data there again: {_found(event)}."
    return raise_incident(
        uow,
        f"{CAUSE}:{event.label}"[:100],
        kind=IncidentKind.CARD_DATA_EXPOSED,
        what=what,
        again=again,
        systems=f"{event.label} (scan {event.reference})"[:200],
        personal=Involvement.UNSURE,
        card=Involvement.YES,
    )
