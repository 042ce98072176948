"""Reading and writing a table's rows as the database keeps them, a batch at a time.

When source and copy are the same engine, values go through as stored, with no type
conversion on either side: SQLite hands back its text, numbers and blobs and takes them
again; PostgreSQL columns are read as text (binary ones as bytes) and written back with
``COPY ... FROM STDIN``, which parses that text exactly as the server printed it. Ids
stay in the form the engine stores (32 hex digits on SQLite, 36 with dashes on
PostgreSQL), and the transform keeps each value's form.

From PostgreSQL to a SQLite file the engines differ, so rows go through SQLAlchemy's
types (ids as UUID objects, times as datetimes) and Core inserts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import LargeBinary, select

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table

BATCH: Final = 5000


def same_engine(source: Engine, target: Engine) -> bool:
    """True when rows can go through as stored."""
    return source.dialect.name == target.dialect.name


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select_sql(table: Table, postgresql: bool, only: Sequence[str] | None = None) -> str:
    names = []
    for column in table.columns:
        if only is not None and column.name not in only:
            continue
        quoted = _quoted(str(column.name))
        binary = isinstance(column.type, LargeBinary)
        names.append(f"{quoted}::text" if postgresql and not binary else quoted)
    order = ", ".join(_quoted(str(c.name)) for c in table.primary_key.columns)
    return f"SELECT {', '.join(names)} FROM {_quoted(str(table.name))} ORDER BY {order}"  # noqa: S608 - names from our own metadata, quoted


def read_batches(
    engine: Engine, table: Table, *, raw: bool, only: Sequence[str] | None = None
) -> Iterator[list[Sequence[Any]]]:
    """The table's rows in primary-key order, ``BATCH`` at a time (a server-side cursor on
    PostgreSQL); as stored when ``raw``, else through SQLAlchemy's types; ``only`` those
    columns (in the table's order) when given."""
    if isinstance(only, str):
        msg = "only: a list of column names, not one name"
        raise TypeError(msg)
    unknown = [c for c in only or () if c not in table.columns]
    if unknown:
        msg = f"{table.name} has no column {', '.join(map(repr, unknown))}"
        raise ValueError(msg)
    with engine.connect() as conn:
        if raw:  # the driver's own cursor: no result-row objects in between
            driver = conn.connection.driver_connection
            assert driver is not None  # noqa: S101 - a live connection has its driver's
            postgresql = engine.dialect.name == "postgresql"
            sql = _select_sql(table, postgresql, only)
            cursor = driver.cursor(name="sanitise_read") if postgresql else driver.cursor()
            try:
                cursor.execute(sql)
                while part := cursor.fetchmany(BATCH):
                    yield part
            finally:
                cursor.close()
            return
        streaming = conn.execution_options(yield_per=BATCH, stream_results=True)
        order = list(table.primary_key.columns)
        chosen = [c for c in table.columns if only is None or c.name in only]
        result = streaming.execute(select(*chosen).order_by(*order))
        for part in result.partitions(BATCH):
            yield list(part)


_COPY_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, (bytes, memoryview)):
        return "\\\\x" + bytes(value).hex()  # bytea's hex form, its backslash escaped
    return str(value).translate(_COPY_ESCAPES)


def copy_text(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows in PostgreSQL's ``COPY`` text format (tab-separated, ``\\N`` for NULL, the
    backslash escapes), for :meth:`Writer.write_copy_text`: a worker process makes it, so
    the parent hands the server one buffer a batch instead of a row at a time."""
    return "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows).encode("utf-8")


class Writer:
    """Inserts batches of rows (tuples in the table's column order) into one table."""

    def __init__(self, conn: Connection, table: Table, *, raw: bool) -> None:
        """Write through ``conn`` (one transaction for the table)."""
        self.conn = conn
        self.table = table
        self.raw = raw
        self.names = [str(c.name) for c in table.columns]
        self.postgresql = conn.dialect.name == "postgresql"
        columns = ", ".join(_quoted(n) for n in self.names)
        target = _quoted(str(table.name))
        if self.postgresql:
            self._sql = f"COPY {target} ({columns}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in self.names)
            self._sql = f"INSERT INTO {target} ({columns}) VALUES ({marks})"  # noqa: S608 - names from our own metadata, quoted

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows``."""
        if not rows:
            return
        if not self.raw:
            self.conn.execute(
                self.table.insert(), [dict(zip(self.names, r, strict=True)) for r in rows]
            )
        elif self.postgresql:
            driver = self.conn.connection.driver_connection
            assert driver is not None  # noqa: S101 - a live connection has its driver's
            with driver.cursor() as cursor, cursor.copy(self._sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.conn.exec_driver_sql(self._sql, [tuple(r) for r in rows])

    def write_copy_text(self, data: bytes) -> None:
        """Send rows already in ``COPY`` text format (:func:`copy_text`; PostgreSQL)."""
        driver = self.conn.connection.driver_connection
        assert driver is not None  # noqa: S101 - a live connection has its driver's
        with driver.cursor() as cursor, cursor.copy(self._sql) as copy:
            copy.write(data)


# ---------------------------------------------------------------------- key ranges (SQLite)
def key_ranges(
    engine: Engine, table: Table, size: int | None = None
) -> list[tuple[Any, Any]] | None:
    """Consecutive ranges of ``size`` rows (default :data:`BATCH`) in primary-key order,
    as (after, up to) keys (``None``: open), read from the key's own index a batch at a
    time (one key per batch becomes a Python object); ``None`` when the key is not one
    column. The last range is open-ended: rows added meanwhile are read too. SQLite."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        return None
    size = BATCH if size is None else size
    key = _quoted(str(keys[0].name))
    name = _quoted(str(table.name))
    step = f"ORDER BY {key} LIMIT 1 OFFSET {int(size) - 1}"
    first = f"SELECT {key} FROM {name} {step}"  # noqa: S608 - names from our own metadata, quoted
    later = f"SELECT {key} FROM {name} WHERE {key} > ? {step}"  # noqa: S608 - names from our own metadata, quoted
    cuts: list[Any] = []
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None  # noqa: S101 - a live connection has its driver's
        while True:
            found = driver.execute(later, (cuts[-1],)) if cuts else driver.execute(first)
            row = found.fetchone()
            if row is None:
                break
            cuts.append(row[0])
    edges: list[Any] = [None, *cuts, None]
    return list(itertools.pairwise(edges))


def range_sql(table: Table, after: Any, up_to: Any) -> tuple[str, tuple[Any, ...]]:
    """The select of one key range's rows, as stored, in key order (SQLite), and its
    parameters."""
    key = _quoted(str(next(iter(table.primary_key.columns)).name))
    names = ", ".join(_quoted(str(c.name)) for c in table.columns)
    where, params = [], []
    if after is not None:
        where.append(f"{key} > ?")
        params.append(after)
    if up_to is not None:
        where.append(f"{key} <= ?")
        params.append(up_to)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT {names} FROM {_quoted(str(table.name))}{clause} ORDER BY {key}"  # noqa: S608 - names from our own metadata, quoted
    return sql, tuple(params)
