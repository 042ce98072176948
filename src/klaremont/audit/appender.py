"""The appender's SQL: lock the chain head, insert an event, move the head.

These run on every audited action, so they are plain driver SQL on the session's own
connection (same transaction), which costs a fraction of building ORM statements each
time.

On PostgreSQL one statement (:func:`append_sql`) does all of it: it locks the head row
(``SELECT ... FOR UPDATE`` in a CTE), inserts the next event with its hash computed by the
database -- the same ``prev_hash || encoding`` text the verifier hashes
(:func:`klaremont.audit.scan.message_sql`), which is byte for byte what
:func:`klaremont.audit.encoding.chain_hash` hashes -- and moves the head: one round trip.
A concurrent appender's lock waits, and under READ COMMITTED then reads the head that
transaction committed. Each statement reads the head as the transaction (or a rolled-back
savepoint) left it, so nothing is cached between appends.

On SQLite the transaction already holds the write lock (``BEGIN IMMEDIATE``) and round
trips are in-process: the head is read once per transaction, the hash computed in Python,
and the event inserted and the head moved with separate statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from klaremont.audit.encoding import GENESIS_HASH, STORED_COLUMNS, EventFields, chain_hash
from klaremont.audit.scan import message_sql

if TYPE_CHECKING:
    from sqlalchemy import Connection

INSERT_COLUMNS = STORED_COLUMNS
# The caller's fields, in the order the one-statement append binds them.
VALUE_COLUMNS = tuple(name for name in INSERT_COLUMNS if name not in {"seq", "prev_hash", "hash"})


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


@cache
def append_sql() -> str:
    """PostgreSQL: lock the head, insert the next event hashed in the database, move the head.

    Binds :data:`VALUE_COLUMNS` (``%s``); returns ``(seq, prev_hash, hash)`` of the new
    event, or no row when there is no head row yet. A constant, so psycopg can prepare it.
    """
    values = ", ".join(f"%s::text AS {name}" for name in VALUE_COLUMNS)
    stored = ", ".join(INSERT_COLUMNS[:-1])
    digest = f"encode(pg_catalog.sha256(convert_to({message_sql('postgresql')}, 'UTF8')), 'hex')"
    return (
        "WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE), "  # noqa: S608 - constants
        f"ev AS (SELECT head.seq + 1 AS seq, {values}, head.hash AS prev_hash FROM head), "
        f"ins AS (INSERT INTO audit_events ({', '.join(INSERT_COLUMNS)}) "
        f"SELECT {stored}, {digest} FROM ev RETURNING seq, prev_hash, hash) "
        "UPDATE audit_head SET seq = ins.seq, hash = ins.hash FROM ins WHERE audit_head.id = 1 "
        "RETURNING ins.seq, ins.prev_hash, ins.hash"
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


def append_in_database(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL: append ``values`` (:data:`VALUE_COLUMNS`) in one statement; the stored row.

    The first append to a database finds no head row: it is created (:func:`lock_head`)
    and the statement run again.
    """
    sql = append_sql()
    params = tuple(values[name] for name in VALUE_COLUMNS)
    found = conn.exec_driver_sql(sql, params).first()
    if found is None:
        lock_head(conn)
        found = conn.exec_driver_sql(sql, params).one()
    return {**values, "seq": int(found[0]), "prev_hash": str(found[1]), "hash": str(found[2])}


def append_locked(
    conn: Connection, values: dict[str, Any], held: tuple[int, str] | None
) -> dict[str, Any]:
    """Append ``values`` after the head, hashed in Python; the stored row.

    ``held`` is the head this transaction already holds locked (``None``: lock it now).
    """
    head_seq, head_hash = held if held is not None else lock_head(conn)
    seq = head_seq + 1
    digest = chain_hash(head_hash, EventFields(seq=seq, **values))
    row = {**values, "seq": seq, "prev_hash": head_hash, "hash": digest}
    append(conn, row)
    return row
