"""Audit events as CSV or JSON text, written a chunk at a time for a download.

CSV cells are neutralised against formula injection (a cell a spreadsheet would run as a
formula gets a leading apostrophe); JSON is one array of objects. Details are written as
stored: already redacted when recorded, sealed values stay sealed.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from klaremont.spreadsheet import safe_cell

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from klaremont.audit.models import AuditEvent

COLUMNS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "action",
    "outcome",
    "origin",
    "resource",
    "purpose",
    "request_id",
    "details",
    "hash",
)
ROWS_PER_CHUNK = 200


def _row(event: AuditEvent) -> dict[str, Any]:
    return {column: getattr(event, column) for column in COLUMNS}


def csv_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """A header row, then every event, as CSV text in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for count, event in enumerate(events, start=1):
        writer.writerow([safe_cell(value) for value in _row(event).values()])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """A JSON array of event objects (details parsed), in chunks."""
    yield "["
    for count, event in enumerate(events):
        row = _row(event)
        row["details"] = event.details_dict()
        yield ("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"
