"""The stale-data review report as CSV and as one self-contained HTML document."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape

from klaremont.spreadsheet import safe_cell

if TYPE_CHECKING:
    from klaremont.accuracy.report import StaleItem, StaleReport

CSV_COLUMNS = (
    "state",
    "reference",
    "subject_id",
    "basis",
    "last_confirmed_on",
    "due_on",
    "days_left",
    "age_days",
    "categories",
    "last_order_on",
    "restricted",
)


def csv_row(item: StaleItem) -> list[object]:
    """One record as CSV cells, in :data:`CSV_COLUMNS` order."""
    return [
        item.state,
        item.reference,
        item.subject_id,
        item.basis,
        item.last_confirmed_at.date().isoformat(),
        item.due_on.isoformat(),
        item.days_left,
        item.age_days,
        ";".join(item.categories),
        item.last_order_on.isoformat() if item.last_order_on else None,
        "yes" if item.restricted else "no",
    ]


def to_csv(report: StaleReport) -> str:
    """The report as CSV: overdue records first, then those due soon (categories ``;``-joined)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in [*report.overdue, *report.due_soon]:
        row = csv_row(item)
        # days_left is negative when overdue: a number, not a formula, so it is kept as is
        writer.writerow([cell if isinstance(cell, int) else safe_cell(cell) for cell in row])
    return out.getvalue()


_ENV = Environment(
    loader=PackageLoader("klaremont.accuracy", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def to_html(report: StaleReport) -> str:
    """The report as one HTML document (styles inline, no external files)."""
    return _ENV.get_template("stale_report.html").render(report=report)
