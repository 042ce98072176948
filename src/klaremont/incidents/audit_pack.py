"""The incidents capability's part of the evidence pack (extension point
``evidence_files``): the incident register as the ISO sees it (every incident), with its
state, what data it touched and any deadline overdue. References and words only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.evidence_files import csv_bytes
from klaremont.incidents import read, service
from klaremont.incidents.visibility import Viewer

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

HEADER = (
    "Incident",
    "Kind",
    "State",
    "Reported at (UTC)",
    "Personal data",
    "Card data",
    "Overdue",
    "Next deadline",
)
EVERY = 1_000_000


def files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    """``incident-register.csv``: every incident, newest first."""
    rows = [
        (
            row.reference,
            row.kind_words,
            row.state_words,
            row.reported_at.isoformat(),
            row.personal_data,
            row.card_data,
            "; ".join(row.overdue),
            row.next_due,
        )
        for row in (
            read.row_of(uow, incident)
            for incident in service.visible(uow, Viewer.operator(), limit=EVERY)
        )
    ]
    return [("incident-register.csv", csv_bytes(HEADER, rows))]
