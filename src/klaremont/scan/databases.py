"""Scanning databases: every text-like column of every table, row by row, and for SQLite
the file's own bytes (deleted rows and the write-ahead log keep what a table no longer
shows).

Values are read in batches of rows (PostgreSQL through a server-side cursor, so a table of
any size streams in constant memory), joined into one buffer with a line break after each
value, and scanned at once; each hit is mapped back to its table, column and row key (the
primary key, else SQLite's rowid or PostgreSQL's ctid). ``sample`` reads a percentage of
each PostgreSQL table (``TABLESAMPLE SYSTEM``).
"""

from __future__ import annotations

import bisect
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Final

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from klaremont.detectors.bulk import Hit, detector
from klaremont.detectors.kinds import Kind, Severity

BATCH: Final = 2000
_PG_TEXT_TYPES: Final = ("text", "character varying", "character", "json", "jsonb", "bytea")


@dataclass(slots=True)
class TableHits:
    """What a database scan found: counts, and each hit with its table, column and row key."""

    counts: Counter[Kind] = field(default_factory=Counter)
    hits: list[tuple[Hit, str, str, str]] = field(default_factory=list)  # hit, table, col, key
    bytes: int = 0


def _scan_rows(  # noqa: PLR0917 - one private helper, called twice
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    kinds: frozenset[Kind],
    out: TableHits,
    detail: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Scan ``rows`` (key first, then ``columns``) in batches: each batch's values joined
    with line breaks and scanned at once; only a batch with hits is walked again to name
    each hit's row and column."""
    found = detector(kinds)
    for chunk in batched(rows, BATCH):
        texts = [_as_text(v) for row in chunk for v in row[1:] if v is not None]
        if not texts:
            continue
        buf = "\n".join(texts).encode("utf-8", "replace") + b"\n"
        result = found.scan(buf, detail=max(0, detail - len(out.hits)))
        out.counts.update(result.counts)
        if result.hits:
            starts: list[int] = []
            cells: list[tuple[str, str]] = []
            size = 0
            for row in chunk:
                key = str(row[0])
                for column, value in zip(columns, row[1:], strict=True):
                    if value is not None:
                        starts.append(size)
                        cells.append((key, column))
                        size += len(_as_text(value).encode("utf-8", "replace")) + 1
            for hit in result.hits:
                key, column = cells[bisect.bisect_right(starts, hit.start) - 1]
                out.hits.append((hit, table, column, key))
        out.bytes += len(buf)
        if progress is not None:
            progress(len(buf))


def batched(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    """``rows`` in lists of ``size`` (the last one shorter)."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _as_text(value: Any) -> str:
    """A stored value as scanned: text as it is, bytes one character a byte (digits and
    separators keep their place), anything else as printed."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: with worker processes, a SQLite table is scanned in shares of this many rowids
SHARE_ROWS: Final = 100_000
#: a table is split into at most this many shares
MAX_SHARES: Final = 64


@dataclass(frozen=True, slots=True)
class Share:
    """A table of a SQLite file, or one range of its rowids, to scan (key first)."""

    table: str
    columns: tuple[str, ...]
    sql: str
    bounds: tuple[int, int] | None = None


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def sqlite_shares(connection: sqlite3.Connection, *, split: bool) -> list[Share]:
    """Every table of the file as shares: whole tables, or with ``split`` the tables of
    more than :data:`SHARE_ROWS` rowids in rowid ranges (a table without rowids whole)."""
    tables = [
        r[0]
        for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    shares: list[Share] = []
    for table in tables:
        info = connection.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        columns = tuple(str(r[1]) for r in info)
        keys = [str(r[1]) for r in sorted(info, key=lambda r: int(r[5])) if int(r[5]) > 0]
        key_sql = " || ',' || ".join(_quote(k) for k in keys) if keys else "rowid"
        select = ", ".join(_quote(c) for c in columns)
        sql = f"SELECT {key_sql}, {select} FROM {_quote(table)}"  # noqa: S608 - names quoted from the schema
        # the rowid by a name no column takes (a column may be called rowid)
        taken = {c.lower() for c in columns}
        alias = next((a for a in ("rowid", "_rowid_", "oid") if a not in taken), None)
        low = high = None
        if split and alias is not None:
            name = _quote(table)
            try:  # each end on its own: SQLite reads one end of the b-tree for each
                low, high = connection.execute(
                    f"SELECT (SELECT min({alias}) FROM {name}), (SELECT max({alias}) FROM {name})"  # noqa: S608 - names quoted from the schema
                ).fetchone()
            except sqlite3.OperationalError:  # no rowid (WITHOUT ROWID, virtual): whole
                low = high = None
        if alias is None or low is None or high is None or high - low < SHARE_ROWS:
            shares.append(Share(table, columns, sql))
            continue
        # rowids far apart (large or hashed ids) make wider ranges, never more than so many
        size = max(SHARE_ROWS, -(-(int(high) - int(low) + 1) // MAX_SHARES))
        for start in range(int(low), int(high) + 1, size):
            bounds = (start, min(int(high), start + size - 1))
            shares.append(Share(table, columns, f"{sql} WHERE {alias} BETWEEN ? AND ?", bounds))
    return shares


def _scan_share(
    connection: sqlite3.Connection,
    share: Share,
    kinds: frozenset[Kind],
    out: TableHits,
    *,
    detail: int,
    progress: Callable[[int], None] | None,
) -> None:
    try:
        cursor = connection.execute(share.sql, share.bounds or ())
    except sqlite3.OperationalError:  # a WITHOUT ROWID table with no key, a virtual table
        return
    _scan_rows(share.table, share.columns, _fetch(cursor), kinds, out, detail, progress)


def scan_sqlite_share(path: str, share: Share, kinds: frozenset[Kind], detail: int) -> TableHits:
    """One share, on a connection of its own (in a worker process)."""
    out = TableHits()
    connection = _open_read_only(Path(path))
    try:
        _scan_share(connection, share, kinds, out, detail=detail, progress=None)
    finally:
        connection.close()
    return out


def scan_sqlite_tables(
    path: Path,
    kinds: frozenset[Kind],
    *,
    detail: int,
    progress: Callable[[int], None] | None = None,
    pool: Executor | None = None,
) -> TableHits:
    """Every column of every table of an SQLite file (read-only; the WAL is read too);
    with ``pool``, large tables in shares of rowids in its worker processes (hits in the
    same order as one process finds them)."""
    out = TableHits()
    connection = _open_read_only(path)
    try:
        shares = sqlite_shares(connection, split=pool is not None)
        if pool is None:
            for share in shares:
                _scan_share(connection, share, kinds, out, detail=detail, progress=progress)
            return out
    finally:
        connection.close()
    futures = [pool.submit(scan_sqlite_share, str(path), s, kinds, detail) for s in shares]
    _gather_parts(out, futures, detail, progress)
    return out


def _gather_parts(
    out: TableHits,
    futures: list[Future[TableHits]],
    detail: int,
    progress: Callable[[int], None] | None,
) -> None:
    """The shares' findings, in the order of the shares, kept as the detector keeps them:
    card data and secrets every one, personal data up to ``detail`` of each kind."""
    shown: Counter[Kind] = Counter()
    for future in futures:
        part = future.result()
        out.counts.update(part.counts)
        for found in part.hits:
            kind = found[0].kind
            if kind.severity is Severity.REVIEW:
                if shown[kind] >= detail:
                    continue
                shown[kind] += 1
            out.hits.append(found)
        out.bytes += part.bytes
        if progress is not None:
            progress(part.bytes)


def _fetch(cursor: Any) -> Iterator[Sequence[Any]]:
    while rows := cursor.fetchmany(BATCH):
        yield from rows


def safe_url(url: str) -> str:
    """A database URL without its password, for reports and logs."""
    return make_url(url).render_as_string(hide_password=True)


#: with worker processes, a PostgreSQL table is scanned in shares of this many pages
SHARE_PAGES: Final = 8192
_SNAPSHOT: Final = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


def _pg_engine(url: str) -> Any:
    return create_engine(
        url if "+" in url.split(":", 1)[0] else url.replace("postgresql", "postgresql+psycopg", 1)
    )


def postgresql_shares(connection: Any, *, sample: float | None, split: bool) -> list[Share]:
    """Every text-like column of every table as shares (``Share.table`` the name shown):
    whole tables, or with ``split`` the tables of more than :data:`SHARE_PAGES` pages in
    ranges of pages (a TID range scan each; the last range open-ended)."""
    layout = connection.execute(
        text(
            "SELECT c.table_schema, c.table_name, c.column_name, c.data_type "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE t.table_type = 'BASE TABLE' "
            "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND c.data_type = ANY(:types) ORDER BY 1, 2, c.ordinal_position"
        ),
        {"types": list(_PG_TEXT_TYPES)},
    ).all()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in layout:
        tables.setdefault((schema, table), []).append((column, data_type))
    shares: list[Share] = []
    for (schema, table), columns in tables.items():
        keys = _pg_keys(connection, schema, table)
        key_sql = " || ',' || ".join(f"{_quote(k)}::text" for k in keys) if keys else "ctid::text"
        select = ", ".join(
            f"encode({_quote(c)}, 'escape')" if t == "bytea" else f"{_quote(c)}::text"
            for c, t in columns
        )
        where = f"{_quote(schema)}.{_quote(table)}"
        if sample is not None:
            where += f" TABLESAMPLE SYSTEM ({float(sample)})"
        sql = f"SELECT {key_sql}, {select} FROM {where}"  # noqa: S608 - names quoted from the catalogue
        name = table if schema == "public" else f"{schema}.{table}"
        names = tuple(c for c, _ in columns)
        pages = 0
        if split and sample is None:
            pages = int(
                connection.execute(
                    text(
                        "SELECT pg_relation_size(CAST(:name AS regclass)) "
                        "/ current_setting('block_size')::int"
                    ),
                    {"name": f"{_quote(schema)}.{_quote(table)}"},
                ).scalar_one()
            )
        if pages <= SHARE_PAGES:
            shares.append(Share(name, names, sql))
            continue
        for start in range(0, pages, SHARE_PAGES):
            bound = f" WHERE ctid >= '({start},0)'::tid"
            if start + SHARE_PAGES < pages:
                bound += f" AND ctid < '({start + SHARE_PAGES},0)'::tid"
            shares.append(Share(name, names, sql + bound))
    return shares


def _scan_pg_share(
    connection: Any,
    share: Share,
    kinds: frozenset[Kind],
    out: TableHits,
    *,
    detail: int,
    progress: Callable[[int], None] | None,
) -> None:
    rows = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
        text(share.sql)
    )
    _scan_rows(share.table, share.columns, (tuple(r) for r in rows), kinds, out, detail, progress)


def scan_postgresql_share(
    url: str, share: Share, kinds: frozenset[Kind], detail: int, snapshot: str | None = None
) -> TableHits:
    """One share, on a connection of its own (in a worker process); with ``snapshot``
    (exported by the parent), what the parent's transaction sees, as every other share."""
    out = TableHits()
    engine = _pg_engine(url)
    try:
        with engine.connect() as connection:
            if snapshot is None:
                _scan_pg_share(connection, share, kinds, out, detail=detail, progress=None)
                return out
            consistent = connection.execution_options(isolation_level="REPEATABLE READ")
            with consistent.begin():
                consistent.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{_snapshot_id(snapshot)}'")
                _scan_pg_share(consistent, share, kinds, out, detail=detail, progress=None)
    finally:
        engine.dispose()
    return out


def _snapshot_id(snapshot: str) -> str:
    """An exported snapshot's id, refused unless it has the form the server gives."""
    if not _SNAPSHOT.fullmatch(snapshot):
        msg = f"not a snapshot id: {snapshot!r}"
        raise ValueError(msg)
    return snapshot


def scan_postgresql(
    url: str,
    kinds: frozenset[Kind],
    *,
    detail: int,
    sample: float | None = None,
    progress: Callable[[int], None] | None = None,
    pool: Executor | None = None,
) -> TableHits:
    """Every text-like column of every table of a PostgreSQL database, streamed; with
    ``pool``, large tables in ranges of pages in its worker processes, each on a
    connection of its own reading the parent's snapshot (``pg_export_snapshot``: one
    moment for every share, as one process reads)."""
    out = TableHits()
    engine = _pg_engine(url)
    try:
        with engine.connect() as connection:
            if pool is None:
                for share in postgresql_shares(connection, sample=sample, split=False):
                    _scan_pg_share(connection, share, kinds, out, detail=detail,
                                   progress=progress)  # fmt: skip
                return out
            consistent = connection.execution_options(isolation_level="REPEATABLE READ")
            with consistent.begin():  # held open while the shares are read
                snapshot = str(consistent.execute(text("SELECT pg_export_snapshot()")).scalar())
                shares = postgresql_shares(consistent, sample=sample, split=True)
                futures = [
                    pool.submit(scan_postgresql_share, url, s, kinds, detail, snapshot)
                    for s in shares
                ]
                _gather_parts(out, futures, detail, progress)
    finally:
        engine.dispose()
    return out


def _pg_keys(connection: Any, schema: str, table: str) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = CAST(:name AS regclass) AND i.indisprimary ORDER BY a.attnum"
        ),
        {"name": f"{_quote(schema)}.{_quote(table)}"},
    )
    return [str(r[0]) for r in rows]
