"""The inventory and the disposal register as plain rows, CSV and a standalone HTML page
(for an auditor): the same rows the console shows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from jinja2 import Environment, select_autoescape
from sqlalchemy import select

from klaremont.clock import uk_date
from klaremont.media.models import MediaDisposalStep, MediaItem
from klaremont.media.states import (
    CATEGORY_WORDS,
    KIND_WORDS,
    STATE_WORDS,
    TECHNIQUE_WORDS,
    Step,
)
from klaremont.spreadsheet import safe_cell

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

INVENTORY_HEADER = (
    "Label",
    "Kind",
    "Personal data",
    "Card data",
    "Encryption",
    "Location",
    "Custodian",
    "With",
    "Created",
    "Retention due",
    "State",
    "Last seen",
    "SHA-256",
)
DISPOSAL_HEADER = (
    "Disposal",
    "Item",
    "Kind",
    "Requested",
    "Requested by",
    "Reason",
    "Approved",
    "Approved by",
    "Carried out",
    "Method",
    "Technique",
    "Done by",
    "Witness",
    "Certificate",
)


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return (uk_date(value) if isinstance(value, datetime) else value).isoformat()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def inventory_row(item: MediaItem) -> tuple[str, ...]:
    """One item as the register shows it."""
    return (
        item.label,
        KIND_WORDS[item.kind],
        _yes(item.holds_personal_data),
        _yes(item.holds_card_data),
        item.encryption or "not encrypted",
        item.location,
        item.custodian,
        item.held_by or "",
        _day(item.created_on),
        _day(item.retention_due),
        STATE_WORDS[item.state],
        _day(item.last_seen_at),
        item.sha256 or "",
    )


@dataclass(frozen=True, slots=True)
class Registers:
    """Both registers' rows."""

    generated_at: datetime
    inventory: list[tuple[str, ...]]
    disposals: list[tuple[str, ...]]


def disposal_rows(uow: UnitOfWork) -> list[tuple[str, ...]]:
    """Every disposal, newest first: its three steps on one row."""
    items = {i.id: i for i in uow.session.scalars(select(MediaItem))}
    by_reference: dict[str, dict[Step, MediaDisposalStep]] = {}
    for row in uow.session.scalars(select(MediaDisposalStep).order_by(MediaDisposalStep.at)):
        by_reference.setdefault(row.reference, {})[row.step] = row
    rows: list[tuple[str, ...]] = []
    for reference, steps in sorted(by_reference.items(), reverse=True):
        asked = steps[Step.REQUESTED]
        ok = steps.get(Step.APPROVED)
        done = steps.get(Step.CARRIED_OUT)
        item = items[asked.item_id]
        rows.append(
            (
                reference,
                item.label,
                KIND_WORDS[item.kind],
                _day(asked.at),
                asked.actor_name,
                asked.reason or "",
                _day(ok.at) if ok else "",
                ok.actor_name if ok else "",
                _day(done.at) if done else "",
                CATEGORY_WORDS[done.category] if done and done.category else "",
                TECHNIQUE_WORDS[done.technique] if done and done.technique else "",
                (done.performed_by or "") if done else "",
                (done.witness or "") if done else "",
                (done.certificate or "") if done else "",
            )
        )
    return rows


def registers(uow: UnitOfWork) -> Registers:
    """The inventory (by label) and the disposal register."""
    items = uow.session.scalars(select(MediaItem).order_by(MediaItem.label))
    return Registers(uow.clock.now(), [inventory_row(i) for i in items], disposal_rows(uow))


def to_csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Rows as CSV; a cell a spreadsheet would read as a formula is quoted with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Media registers</title>
<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse;margin-bottom:2rem}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}</style></head>
<body><h1>Media registers</h1><p>Generated {{ generated }} (UTC).</p>
{% for title, header, rows in sections %}<h2>{{ title }} ({{ rows | length }})</h2>
<table><thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% endfor %}</body></html>
"""


def to_html(made: Registers) -> str:
    """Both registers as one standalone HTML page (escaped)."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_PAGE).render(
        generated=made.generated_at.strftime("%Y-%m-%d %H:%M"),
        sections=(
            ("Inventory", INVENTORY_HEADER, made.inventory),
            ("Disposal register", DISPOSAL_HEADER, made.disposals),
        ),
    )
