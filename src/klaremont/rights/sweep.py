"""Deleting one person's rows across every subject table, keeping what a legal hold keeps.

:func:`sweep` is the engine of erasure, of the deferred shred and of re-applying the ledger
after a restore. Rows under a legal hold that has not ended are kept, with the rows they
cannot exist without (non-nullable parents) and their lines that hold nothing personal;
nullable links from kept rows to deleted ones are cleared; everything else is deleted in
the schema's foreign-key order, children first, with Core statements and subqueries (a
handful of round trips whatever the number of rows). On SQLite the connection overwrites
deleted content (``secure_delete``) instead of leaving it in free pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, or_, select, text, update

from klaremont.db.engine import is_sqlite
from klaremont.db.tags import Handling
from klaremont.policy.model import DataCategory
from klaremont.rights.discovery import SUBJECT_COLUMN, SubjectGraph, subject_graph

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy import CursorResult

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import LegalHold


@dataclass
class Sweep:
    """What one pass over a person's tables did."""

    deleted: dict[str, int] = field(default_factory=dict)
    retained: dict[str, int] = field(default_factory=dict)
    hold_until: datetime | None = None


def _holds(uow: UnitOfWork, categories: tuple[str, ...]) -> list[LegalHold]:
    holds: list[LegalHold] = []
    for name in categories:
        try:
            holds.extend(uow.policy.holds_for(DataCategory(name)))
        except ValueError:
            continue
    return holds


def _held_rows(
    uow: UnitOfWork, graph: SubjectGraph, subject_id: uuid.UUID, now: datetime
) -> tuple[dict[str, set[Any]], datetime | None]:
    """Rows under a legal hold that has not ended, and when the last hold ends."""
    held: dict[str, set[Any]] = {}
    until: datetime | None = None
    for node in graph.tables.values():
        if not node.direct or node.handling is not Handling.DEFAULT:
            continue
        holds = _holds(uow, node.categories)
        clock = node.hold_clock()
        if not holds or clock is None:
            continue
        query = select(node.pk, clock).where(node.table.c[SUBJECT_COLUMN] == subject_id)
        for pk, started in uow.session.execute(query):
            if started is None:
                continue
            ends = max(hold.minimum.add_to(started) for hold in holds)
            if ends > now:
                held.setdefault(node.name, set()).add(pk)
                until = ends if until is None else max(until, ends)
    return held, until


def _pin_parents(uow: UnitOfWork, graph: SubjectGraph, held: dict[str, set[Any]]) -> bool:
    """Hold the rows that held rows point to through non-nullable keys; True if any added."""
    changed = False
    for name, ids in list(held.items()):
        node = graph.tables[name]
        for link in node.links:
            if link.nullable or not ids:
                continue
            query = select(link.column).where(node.pk.in_(ids)).distinct()
            parents = set(uow.session.scalars(query))
            if not parents <= held.get(link.parent, set()):
                held.setdefault(link.parent, set()).update(parents)
                changed = True
    return changed


def _pin_lines(uow: UnitOfWork, graph: SubjectGraph, held: dict[str, set[Any]]) -> bool:
    """Hold the non-personal rows (order lines) that belong to held rows; True if any added."""
    changed = False
    for node in graph.tables.values():
        if node.personal:
            continue
        for link in node.links:
            parent_ids = held.get(link.parent)
            if link.nullable or not parent_ids:
                continue
            rows = set(uow.session.scalars(select(node.pk).where(link.column.in_(parent_ids))))
            if not rows <= held.get(node.name, set()):
                held.setdefault(node.name, set()).update(rows)
                changed = True
    return changed


def _close_over(uow: UnitOfWork, graph: SubjectGraph, held: dict[str, set[Any]]) -> None:
    """Add what held rows cannot exist without, and their lines that hold nothing personal."""
    while _pin_parents(uow, graph, held) | _pin_lines(uow, graph, held):
        pass


def _pinned_by_kept_tables(
    uow: UnitOfWork, graph: SubjectGraph, subject_id: uuid.UUID
) -> dict[str, set[Any]]:
    """Rows a kept table (``info["rights"] = "keep"``) cannot lose: its non-nullable parents."""
    pinned: dict[str, set[Any]] = {}
    for node in graph.tables.values():
        if node.handling is not Handling.KEEP:
            continue
        for link in node.links:
            parent = graph.tables[link.parent]
            if link.nullable or parent.handling is Handling.KEEP:
                continue
            rows = graph.ids(node.name, subject_id)
            found = uow.session.scalars(select(link.column).where(node.pk.in_(rows)).distinct())
            pinned.setdefault(link.parent, set()).update(found)
    return pinned


def _detach(
    uow: UnitOfWork, graph: SubjectGraph, subject_id: uuid.UUID, kept: dict[str, set[Any]]
) -> None:
    """Clear nullable links from kept rows (and kept tables) to rows about to be deleted."""
    for node in graph.tables.values():
        ids = kept.get(node.name)
        whole_table = node.handling is Handling.KEEP
        if not whole_table and not ids:
            continue
        for link in node.links:
            if not link.nullable:
                continue
            rows = graph.ids(node.name, subject_id)
            statement = update(node.table).where(node.pk.in_(rows), link.column.is_not(None))
            if not whole_table and ids:
                statement = statement.where(node.pk.in_(ids))
            if kept.get(link.parent):
                statement = statement.where(link.column.not_in(kept[link.parent]))
            uow.session.execute(statement.values({link.column.name: None}))


def _delete(
    uow: UnitOfWork, graph: SubjectGraph, subject_id: uuid.UUID, kept: dict[str, set[Any]]
) -> dict[str, int]:
    """Delete every row not kept, children before parents; counts per table."""
    deleted: dict[str, int] = {}
    for name in graph.delete_order:
        node = graph.tables[name]
        if node.handling not in {Handling.DEFAULT, Handling.INTERNAL}:
            continue
        table = node.table
        if node.direct:
            statement = delete(table).where(table.c[SUBJECT_COLUMN] == subject_id)
        else:
            reached = [link.column.in_(graph.ids(link.parent, subject_id)) for link in node.links]
            statement = delete(table).where(or_(*reached))
        if kept.get(name):
            statement = statement.where(node.pk.not_in(kept[name]))
        count = cast("CursorResult[Any]", uow.session.execute(statement)).rowcount
        if count:
            deleted[name] = count
    return deleted


def sweep(
    uow: UnitOfWork,
    subject_id: uuid.UUID,
    *,
    keep_held: bool,
    spare: Mapping[str, set[Any]] | None = None,
) -> Sweep:
    """Delete the person's rows in every subject table, children first, keeping held ones.

    ``spare`` names rows to leave alone (the confirmation mail). Core statements with
    subqueries: a handful of round trips whatever the number of rows.
    """
    graph = subject_graph()
    now = uow.clock.now()
    uow.session.flush()
    if is_sqlite(uow.platform.engine):
        # Overwrite deleted content with zeros instead of leaving it in free pages.
        uow.session.execute(text("PRAGMA secure_delete = ON"))
    held, until = _held_rows(uow, graph, subject_id, now) if keep_held else ({}, None)
    pinned = _pinned_by_kept_tables(uow, graph, subject_id)
    for name, ids in pinned.items():
        held.setdefault(name, set()).update(ids)
    _close_over(uow, graph, held)
    kept = {name: set(ids) for name, ids in held.items()}
    for name, ids in (spare or {}).items():
        kept.setdefault(name, set()).update(ids)
    _detach(uow, graph, subject_id, kept)
    result = Sweep(hold_until=until, deleted=_delete(uow, graph, subject_id, kept))
    result.retained = {
        name: len(ids)
        for name, ids in held.items()
        if ids and graph.tables[name].handling is Handling.DEFAULT
    }
    uow.session.expire_all()
    return result
