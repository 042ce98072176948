"""What of a person's data goes out when a disclosure is exported (the ``subject_data``
extension point, which the disclosures capability asks).

The same reading as the access copy (:func:`klaremont.rights.access.collect`: every subject
table, sealed values opened, credentials and lookup digests left out), narrowed to the data
categories a director approved, column by column where the customer store maps its columns
(a request for contact details gets the e-mail address and telephone numbers, not the name
or date of birth). Reads nothing else and audits nothing: the caller records the export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.customers.categories import FIELD_CATEGORIES
from klaremont.rights.access import collect

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable

    from klaremont.platform import UnitOfWork


def _column_category(table: str, column: str, default: tuple[str, ...]) -> set[str]:
    mapped = FIELD_CATEGORIES.get(table)
    if mapped is not None and column in mapped:
        return {mapped[column].value}
    return set(default)


def subject_data(
    uow: UnitOfWork, subject_id: uuid.UUID, categories: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """``{table: [row, ...]}``: the person's rows, only the columns of ``categories``."""
    wanted = set(categories)
    copy = collect(uow, subject_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for table in copy.tables:
        keep = [
            c for c in table.columns if _column_category(table.name, c, table.categories) & wanted
        ]
        if not keep:
            continue
        rows = [{c: row[c] for c in keep} for row in table.rows]
        rows = [row for row in rows if any(value is not None for value in row.values())]
        if rows:
            out[table.name] = rows
    return out
