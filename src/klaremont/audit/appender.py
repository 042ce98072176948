"""The appender's SQL: lock the chain head, insert an event, move the head.

These run on every audited action, so they are plain driver SQL on the session's own
connection (same transaction), which costs a fraction of building ORM statements each
time. The head row is locked with ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
transaction already holds the write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from klaremont.audit.encoding import GENESIS_HASH

if TYPE_CHECKING:
    from sqlalchemy import Connection

INSERT_COLUMNS = (
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
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class Statements:
    """Driver SQL for one dialect."""

    lock_head: str
    read_head: str
    last_event: str
    create_head: str
    insert_event: str
    update_head: str


@cache
def statements(dialect: str) -> Statements:
    """The appender's statements in ``dialect``'s parameter style."""
    mark = "?" if dialect == "sqlite" else "%s"
    lock = "" if dialect == "sqlite" else " FOR UPDATE"
    marks = ", ".join([mark] * len(INSERT_COLUMNS))
    return Statements(
        lock_head=f"SELECT seq, hash FROM audit_head WHERE id = 1{lock}",  # noqa: S608 - constants
        read_head="SELECT seq, hash FROM audit_head WHERE id = 1",
        last_event="SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
        create_head=(
            f"INSERT INTO audit_head (id, seq, hash) VALUES (1, {mark}, {mark}) "  # noqa: S608 - constants
            "ON CONFLICT (id) DO NOTHING"
        ),
        insert_event=f"INSERT INTO audit_events ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})",  # noqa: S608 - constants
        update_head=f"UPDATE audit_head SET seq = {mark}, hash = {mark} WHERE id = 1",  # noqa: S608 - constants
    )


def lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the chain head until the transaction ends; return ``(seq, hash)``.

    On the first append to a database the head row is created from the last stored event
    (``ON CONFLICT DO NOTHING``, so racing first appenders agree).
    """
    sql = statements(conn.dialect.name)
    found = conn.exec_driver_sql(sql.lock_head).first()
    if found is None:
        last = conn.exec_driver_sql(sql.last_event).first()
        start = (int(last[0]), str(last[1])) if last is not None else (0, GENESIS_HASH)
        conn.exec_driver_sql(sql.create_head, start)
        found = conn.exec_driver_sql(sql.lock_head).one()
    return int(found[0]), str(found[1])


def read_head(conn: Connection) -> tuple[int, str] | None:
    """The current head, without locking it."""
    found = conn.exec_driver_sql(statements(conn.dialect.name).read_head).first()
    return (int(found[0]), str(found[1])) if found is not None else None


def append(conn: Connection, row: dict[str, Any]) -> None:
    """Insert the event ``row`` and make it the head."""
    sql = statements(conn.dialect.name)
    conn.exec_driver_sql(sql.insert_event, tuple(row[name] for name in INSERT_COLUMNS))
    conn.exec_driver_sql(sql.update_head, (row["seq"], row["hash"]))
