"""The rights capability's part of the evidence pack (extension point ``evidence_files``):
the data-subject request register with each request's deadline and whether it was met.
References, kinds, channels and dates only: no name, no address, no customer id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.display import plain_words
from klaremont.evidence_files import csv_bytes
from klaremont.rights import queries

if TYPE_CHECKING:
    from datetime import date

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

HEADER = (
    "Request",
    "Kind",
    "Received through",
    "Received on",
    "Due on",
    "Extended by (months)",
    "State",
    "Closed on",
    "Deadline",
)
EVERY = 1_000_000


def deadline_words(request: RightsRequest, today: date) -> str:
    """Met, missed, open or overdue: the request's deadline in one word."""
    if request.closed_at is not None:
        return "met" if request.closed_at.date() <= request.due_on else "missed"
    return "overdue" if today > request.due_on else "open"


def files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    """``data-subject-requests.csv``: every request, soonest deadline first."""
    today = uow.clock.now().date()
    rows = [
        (
            r.reference,
            plain_words(r.kind.value),
            plain_words(r.channel.value),
            r.received_on.isoformat(),
            r.due_on.isoformat(),
            r.extension_months,
            plain_words(r.state.value),
            r.closed_at.date().isoformat() if r.closed_at is not None else "",
            deadline_words(r, today),
        )
        for r in queries.list_requests(uow, limit=EVERY)
    ]
    return [("data-subject-requests.csv", csv_bytes(HEADER, rows))]
