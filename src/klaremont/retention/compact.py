"""Rewriting the tables a run touched, so deleted values leave PostgreSQL's files too.

PostgreSQL has no ``secure_delete``: a deleted or updated tuple's bytes stay in the
relation file after ``VACUUM`` until the space is reused. ``VACUUM FULL`` writes each table
afresh without them (and drops the old file), then ``CHECKPOINT`` flushes it. A tuple some
running transaction may still see (anywhere on the server, while it holds the oldest
snapshot) is copied too and goes at the next compaction. It holds an
exclusive lock on each table while it works, so it is asked for (``klaremont retention run
--compact``), not done by the nightly run. On SQLite every batch already overwrote what it
deleted and the run emptied the log, so there is nothing to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import text

from klaremont.db.engine import is_sqlite

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Column, Table

    from klaremont.platform import Platform
    from klaremont.retention_targets import Target


def tables_of(targets: Iterable[Target]) -> list[Table]:
    """The tables the targets change: their own, their children's and their referrers'."""
    found: dict[str, Table] = {}
    for target in targets:
        found[target.table.name] = target.table
        for key in (*target.children, *target.references):
            table = cast("Column[Any]", key).table
            found[table.name] = table
    return [found[name] for name in sorted(found)]


def compact(platform: Platform, tables: Iterable[Table]) -> list[str]:
    """``VACUUM FULL`` each table (PostgreSQL), then a checkpoint; the tables rewritten."""
    if is_sqlite(platform.engine):
        return []
    done: list[str] = []
    autocommit = platform.engine.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        for table in tables:
            name = platform.engine.dialect.identifier_preparer.format_table(table)
            connection.execute(text(f"VACUUM (FULL, ANALYZE) {name}"))
            done.append(table.name)
        connection.execute(text("CHECKPOINT"))
    return done
