"""Reading and erasing the person's rows in one store, on one connection.

:func:`resolve` finds the identity rows' keys; :func:`read` returns the person's rows table
by table (one ``SELECT`` each, shown columns only); :func:`erase` deletes, masks or keeps
them children first in the derived order, with one statement per table (subqueries, no
round trip per row), on the caller's transaction.
"""

from __future__ import annotations

import base64
import enum
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, select, update

from klaremont.connectors.datasets import Erasure, Match
from klaremont.connectors.graph import identity_condition

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Connection, CursorResult

    from klaremont.connectors.graph import Node, StoreGraph, Values

Keys = dict[str, list[Any]]


def plain(value: Any) -> Any:
    """A JSON-ready form of a column value."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def resolve(graph: StoreGraph, conn: Connection, known: Mapping[Match, Sequence[str]]) -> Keys:
    """The identity tables' keys of the rows matching what is known of the person."""
    keys: Keys = {}
    for node in graph.roots():
        identity = node.spec.identity
        values = known.get(identity.match, ()) if identity else ()
        found: list[Any] = []
        for value in values:
            query = select(node.pk()).where(identity_condition(node, value))
            found.extend(conn.scalars(query))
        if found:
            keys[node.name] = sorted(set(found), key=str)
    return keys


def _remember(values: Values, name: str, columns: list[str], rows: list[Any]) -> None:
    """Keep the values children's links refer to, from the rows just read."""
    for index, column in enumerate(columns):
        values.setdefault(name, {})[column] = sorted(
            {row[index] for row in rows if row[index] is not None}, key=str
        )


def read(graph: StoreGraph, conn: Connection, keys: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """The person's rows, grouped by table (parents first), with categories and what is
    left out; tables without rows of the person are omitted. One SELECT per table."""
    tables: dict[str, Any] = {}
    if not any(keys.values()):
        return tables
    referenced = graph.referenced()
    values: Values = {}
    for node in graph.top_down():
        shown = node.shown
        names = [str(c.name) for c in shown]
        extra = sorted(referenced.get(node.name, set()) - set(names))
        query = select(*shown, *[node.table.c[c] for c in extra]).where(
            graph.where(node.name, keys, values)
        )
        pk = list(node.table.primary_key.columns)
        rows = list(conn.execute(query.order_by(*pk) if pk else query))
        if not rows:
            continue
        wanted = sorted(referenced.get(node.name, set()))
        if wanted:
            at = [*names, *extra]
            _remember(values, node.name, wanted, [[r[at.index(c)] for c in wanted] for r in rows])
        width = len(names)
        tables[node.name] = {
            "categories": node.categories(),
            "rows": [
                {name: plain(value) for name, value in zip(names, row[:width], strict=True)}
                for row in rows
            ],
            "left_out": sorted(node.withheld),
        }
    return tables


def _values(graph: StoreGraph, conn: Connection, keys: Mapping[str, Sequence[Any]]) -> Values:
    """What the person's rows hold of every referenced column, parents first."""
    referenced = graph.referenced()
    values: Values = {}
    for node in graph.top_down():
        wanted = sorted(referenced.get(node.name, set()))
        if not wanted:
            continue
        query = select(*[node.table.c[c] for c in wanted]).where(
            graph.where(node.name, keys, values)
        )
        _remember(values, node.name, wanted, [list(r) for r in conn.execute(query)])
    return values


def _run(conn: Connection, statement: Any) -> int:
    return int(cast("CursorResult[Any]", conn.execute(statement)).rowcount)


def _detach(
    graph: StoreGraph,
    conn: Connection,
    node: Node,
    keys: Mapping[str, Sequence[Any]],
    values: Values,
) -> tuple[list[str], int]:
    """Clear the staying rows' nullable links to rows about to be deleted."""
    table = node.table
    cleared: list[str] = []
    count = 0
    for link in node.links:
        parent = graph.nodes[link.parent]
        going = values.get(link.parent, {}).get(link.parent_column)
        if not link.nullable or parent.spec.erasure is not Erasure.DELETE or not going:
            continue
        statement = update(table).where(
            graph.where(node.name, keys, values), table.c[link.column].in_(going)
        )
        changed = _run(conn, statement.values({link.column: None}))
        if changed:
            cleared.append(link.column)
            count = max(count, changed)
    return cleared, count


def erase(graph: StoreGraph, conn: Connection, keys: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """Delete or mask the person's rows, children first; what was done, table by table.

    The rows are found first, parents first (one SELECT per table with children), then
    changed children first with one statement per table, on the caller's transaction.
    """
    done: dict[str, Any] = {}
    if not any(keys.values()):
        return done
    values = _values(graph, conn, keys)
    for name in graph.order:
        node = graph.nodes[name]
        mode = node.spec.erasure
        where = graph.where(name, keys, values)
        if mode is Erasure.DELETE:
            rows = _run(conn, delete(node.table).where(where))
            if rows:
                done[name] = {"action": "deleted", "rows": rows}
            continue
        rows = 0
        if mode is Erasure.MASK:
            rows = _run(conn, update(node.table).where(where).values(node.spec.mask))
        cleared, detached = _detach(graph, conn, node, keys, values)
        rows = max(rows, detached)
        if mode is Erasure.MASK and rows:
            fields = sorted([*node.spec.mask, *cleared])
            done[name] = {"action": "masked", "rows": rows, "fields": fields}
        elif cleared:
            done[name] = {"action": "kept", "rows": rows, "fields": sorted(cleared)}
    return done
