"""Loading the copy as a restore does: rows first, then indexes and constraints.

Inserting rows into a table whose indexes are already built costs a B-tree descent per
index and row, in random order (the copy's ids are permuted); building each index once
after the rows are in sorts them instead. So before the first row is written the copy's
secondary indexes (and on PostgreSQL its unique, primary and foreign key constraints) are
set aside with their exact definitions, and once every row is in they are made again, in
the same order every time (so the same source and run key still give the same file).
Making a unique index or a foreign key again checks it: a duplicate or a dangling link
stops the run, and the copy is deleted.

SQLite checks foreign keys per statement only when asked (``PRAGMA foreign_keys``); the
copy's connections leave it off while writing, and verification runs
``PRAGMA foreign_key_check`` over the whole file. A PostgreSQL table that links to itself
(a line manager) keeps its primary key: those links are set by key once its rows are in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


@dataclass
class SetAside:
    """What was dropped, as statements that make it again (in order)."""

    again: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _sqlite(conn: Connection) -> SetAside:
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY tbl_name, name"
    ).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return SetAside(again=[str(sql) for _name, sql in found])


_PG_CONSTRAINTS = text(
    "SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype, "
    "pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c "
    "WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f') "
    "ORDER BY 1, 2"
)
_PG_INDEXES = text(
    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
    "AND c.connamespace = 'public'::regnamespace) ORDER BY i.tablename, i.indexname"
)


def _postgresql(conn: Connection) -> SetAside:
    constraints = conn.execute(_PG_CONSTRAINTS).all()
    self_linked = {
        str(r.tbl)
        for r in constraints
        if r.contype == "f" and f"REFERENCES {r.tbl}(" in str(r.definition)
    }
    foreign = [r for r in constraints if r.contype == "f"]
    keys = [r for r in constraints if r.contype in ("p", "u") and str(r.tbl) not in self_linked]
    indexes = conn.execute(_PG_INDEXES).all()
    for r in foreign + keys:
        conn.exec_driver_sql(f'ALTER TABLE {r.tbl} DROP CONSTRAINT "{r.conname}"')
    for name, _definition in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    again = [f'ALTER TABLE {r.tbl} ADD CONSTRAINT "{r.conname}" {r.definition}' for r in keys]
    again += [str(definition) for _name, definition in indexes]
    again += [f'ALTER TABLE {r.tbl} ADD CONSTRAINT "{r.conname}" {r.definition}' for r in foreign]
    return SetAside(again=again)


@contextmanager
def indexes_after_rows(engine: Engine) -> Iterator[SetAside]:
    """Set the copy's indexes and constraints aside for the body; make them again after
    it (not when it fails: the copy is deleted then)."""
    with engine.begin() as conn:
        aside = _sqlite(conn) if engine.dialect.name == "sqlite" else _postgresql(conn)
    # closed now, not when worker processes are started (closing a SQLite connection folds
    # its log into the file: with workers or without, at the same point, the same file)
    engine.dispose()
    yield aside
    began = time.perf_counter()
    with engine.begin() as conn:
        for statement in aside.again:
            conn.exec_driver_sql(statement)
    aside.seconds = time.perf_counter() - began
