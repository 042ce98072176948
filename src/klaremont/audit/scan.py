"""The verifier's fast path: check one range of the chain with the least Python per event.

The database builds each event's canonical encoding (see :mod:`klaremont.audit.encoding`)
in C, and Python checks a whole batch at once: sequence numbers contiguous, each stored
``prev_hash`` equal to the stored ``hash`` before it, and each stored ``hash`` equal to
the recomputed one. Every check needs only the batch and the one row before it, so
ranges are independent and :mod:`klaremont.audit.verify` runs them in worker processes.
On the first anomaly a slow per-row pass names the exact event; the verifier then
classifies it. This module imports nothing heavy so workers start quickly.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import asdict, dataclass
from hashlib import sha256
from operator import methodcaller
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GENESIS_HASH = "0" * 64
_HEX = methodcaller("hexdigest")

_NULLABLE = ("origin", "resource", "purpose", "request_id")
_PLAIN = ("occurred_at", "actor_type", "actor_id", "action", "outcome")


_SEP = "\x1e"  # between messages in a batch; JSON escapes it inside a value


def message_sql(dialect: str) -> str:
    """SQL text of ``prev_hash || encoding``, matching ``encoding.encode_event``."""
    columns = ["'kaudit1'", "CAST(seq AS TEXT)", *_PLAIN, *_NULLABLE, "details"]
    if dialect == "sqlite":
        return f"prev_hash || json_array({', '.join(columns)})"
    if dialect == "postgresql":
        return f"prev_hash || array_to_json(ARRAY[{', '.join(columns)}]::text[])::text"
    msg = f"unsupported dialect {dialect!r}"
    raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class _BatchQuery:
    """The whole-batch query: its SQL, how many ``(lo, hi)`` pairs it binds, who hashes."""

    sql: str
    ranges: int
    hashed_in_db: bool


def _batch_query(dialect: str, mark: str, *, seq_is_rowid: bool = True) -> _BatchQuery:
    """One row per batch: count, bounds, the stored hashes joined, and what to compare them to.

    SQLite returns the messages joined by ``\\x1e`` as UTF-8 bytes (Python hashes them,
    never decoding); its ``group_concat`` follows the rowid range scan, which is ``seq``
    order. PostgreSQL hashes each message itself (``pg_catalog.sha256``, C) and aggregates
    over a subquery already in ``seq`` order, avoiding a sort per aggregate. A batch that
    fails is re-read row by row with ``ORDER BY seq`` and checked in Python, so an
    unexpected aggregation order could only cost time: rows in any other order would have
    to form a valid chain themselves to pass.
    """
    bad_length = "length(prev_hash) <> 64 OR length(hash) <> 64"
    message = message_sql(dialect)
    ranged = f"WHERE seq BETWEEN {mark} AND {mark}"
    if dialect == "postgresql":
        digest = "encode(pg_catalog.sha256(convert_to(m, 'UTF8')), 'hex')"
        sql = (
            "SELECT count(*), min(seq), max(seq), string_agg(prev_hash, ''), "  # noqa: S608 - constants
            f"string_agg(hash, ''), string_agg({digest}, ''), "
            f"count(*) FILTER (WHERE {bad_length}) FROM (SELECT seq, prev_hash, hash, "
            f"{message} AS m FROM audit_events {ranged} ORDER BY seq) AS ordered"
        )
        return _BatchQuery(sql, 1, hashed_in_db=True)
    joined = (
        f"group_concat(prev_hash, ''), group_concat(hash, ''), "
        f"CAST(group_concat({message}, char(30)) AS BLOB), total({bad_length})"
    )
    if seq_is_rowid:
        sql = f"SELECT count(*), min(seq), max(seq), {joined} FROM audit_events {ranged}"  # noqa: S608 - constants
        return _BatchQuery(sql, 1, hashed_in_db=False)
    # seq is not the rowid, so a table scan would go in insertion order: sort first
    sql = (
        f"SELECT count(*), min(seq), max(seq), {joined} FROM "  # noqa: S608 - constants
        f"(SELECT * FROM audit_events {ranged} ORDER BY seq) {ranged}"
    )
    return _BatchQuery(sql, 2, hashed_in_db=False)


def _seq_is_rowid(connection: Any) -> bool:
    """True when SQLite stores events in ``seq`` order (``seq INTEGER PRIMARY KEY``)."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA table_info(audit_events)")
        columns = list(cursor.fetchall())
    finally:
        cursor.close()
    keys = [(name, str(kind).upper()) for _cid, name, kind, _nn, _dflt, pk in columns if pk]
    return keys == [("seq", "INTEGER")]


@dataclass(frozen=True, slots=True)
class DbSpec:
    """How a worker process opens the database: a SQLite path or a libpq conninfo."""

    dialect: str
    target: str


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The outcome of checking events ``lo`` to ``hi``."""

    lo: int
    hi: int
    rows: int
    anomaly: int | None = None
    hint: str | None = None


class RangeScanner:
    """Checks ranges of the chain over one DBAPI connection."""

    def __init__(
        self,
        connection: Any,
        dialect: str,
        *,
        errors: tuple[type[BaseException], ...] = (sqlite3.Error,),
        batch: int = 20_000,
    ) -> None:
        self._conn = connection
        self._batch = batch
        self._errors: tuple[type[BaseException], ...] = (*errors, ValueError, UnicodeError)
        mark = "?" if dialect == "sqlite" else "%s"
        rowid = dialect != "sqlite" or _seq_is_rowid(connection)
        self._query = _batch_query(dialect, mark, seq_is_rowid=rowid)
        self._rows_sql = (
            f"SELECT seq, prev_hash, hash, {message_sql(dialect)} FROM audit_events "  # noqa: S608 - built from constants
            f"WHERE seq BETWEEN {mark} AND {mark} ORDER BY seq"
        )
        self._hash_sql = f"SELECT hash FROM audit_events WHERE seq = {mark}"  # noqa: S608 - constant

    def _fetch(self, sql: str, params: tuple[int, ...]) -> list[Any]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def scan(self, lo: int, hi: int) -> ChunkResult:
        """Check events ``lo``..``hi`` inclusive and report the first anomaly."""
        prev: str | None = GENESIS_HASH
        if lo > 1:
            found = self._fetch(self._hash_sql, (lo - 1,))
            prev = found[0][0] if found else None  # a missing row is the range before's gap
        start = lo
        while start <= hi:
            end = min(start + self._batch - 1, hi)
            try:
                anomaly, prev = self._check(start, end, prev)
            except self._errors:
                return ChunkResult(lo, hi, start - lo, start, "error")
            if anomaly is not None:
                return ChunkResult(lo, hi, anomaly[0] - lo, anomaly[0], anomaly[1])
            start = end + 1
        return ChunkResult(lo, hi, hi - lo + 1)

    def _check(
        self, start: int, end: int, prev: str | None
    ) -> tuple[tuple[int, str] | None, str | None]:
        """Check one batch: ``(anomaly or None, the batch's last stored hash)``."""
        batch = self._fetch(self._query.sql, (start, end) * self._query.ranges)[0]
        if _batch_sound(end - start + 1, batch, start, prev, hashed=self._query.hashed_in_db):
            return None, batch[4][-64:]
        rows = self._fetch(self._rows_sql, (start, end))
        anomaly = _first_anomaly(rows, start, end, prev)
        return anomaly, rows[-1][2] if rows else prev


def _batch_sound(
    size: int, batch: tuple[Any, ...], start: int, prev: str | None, *, hashed: bool
) -> bool:
    """The whole-batch check: every link, every hash, no gap (see module docstring)."""
    count, low, high, prevs, hashes, messages, bad = batch
    if count != size or low != start or high != start + size - 1 or bad:
        return False
    try:
        linked = (
            len(prevs) == len(hashes) == 64 * size
            and (prev is None or prevs[:64] == prev)
            and prevs[64:] == hashes[:-64]  # every prev_hash is the hash before it
        )
        if not linked:
            return False
        if hashed:  # the database recomputed every hash
            return bool(messages == hashes)
        if isinstance(messages, str):
            messages = messages.encode("utf-8")
        parts = bytes(messages).split(_SEP.encode())  # bytes: no decode, no re-encode
        return len(parts) == size and "".join(map(_HEX, map(sha256, parts))) == hashes
    except (TypeError, AttributeError, UnicodeError):
        return False


def _first_anomaly(
    rows: list[Any], start: int, end: int, prev: str | None
) -> tuple[int, str] | None:
    """The per-row pass over a batch that failed the whole-batch check."""
    expected = start
    for seq, prev_hash, stored, message in rows:
        if seq != expected:
            return expected, "gap"
        if prev is not None and prev_hash != prev:
            return seq, "link"
        try:
            recomputed = sha256(message.encode("utf-8")).hexdigest()
        except (AttributeError, UnicodeError):
            return seq, "hash"
        if recomputed != stored:
            return seq, "hash"
        prev = stored
        expected += 1
    if expected <= end:
        return expected, "gap"
    return None  # sound after all: the aggregate saw the rows in another order


def driver_cursor(pooled: Any) -> Any:
    """A cursor on the driver connection behind a pooled SQLAlchemy connection."""
    connection = pooled.driver_connection
    if connection is None:
        msg = "the pooled connection is closed"
        raise RuntimeError(msg)
    return connection.cursor()


def open_connection(spec: DbSpec) -> tuple[Any, tuple[type[BaseException], ...]]:
    """Open a read-only DBAPI connection for a worker, with its driver's error class."""
    if spec.dialect == "sqlite":
        connection = sqlite3.connect(spec.target, timeout=30, check_same_thread=False)
        connection.execute("PRAGMA query_only = 1")
        return connection, (sqlite3.Error,)
    import psycopg  # noqa: PLC0415 - only PostgreSQL workers need it

    pg = psycopg.connect(spec.target)
    pg.read_only = True
    return pg, (psycopg.Error,)


def serve(lines: Iterator[str], write: Callable[[str], None]) -> None:
    """Worker protocol: a JSON spec line, then ``lo hi`` lines; one JSON result line each."""
    spec = DbSpec(**json.loads(next(lines)))
    connection, errors = open_connection(spec)
    try:
        scanner = RangeScanner(connection, spec.dialect, errors=errors)
        for line in lines:
            lo, hi = (int(part) for part in line.split())
            write(json.dumps(asdict(scanner.scan(lo, hi))) + "\n")
    finally:
        connection.close()


def main() -> None:
    """Entry point of ``python -m klaremont.audit.scan`` (started by the verifier)."""

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    try:
        serve(iter(sys.stdin.readline, ""), write)
    except Exception as exc:  # noqa: BLE001 - one line for the parent, never a stack trace
        sys.stderr.write(f"audit verify worker: {type(exc).__name__}: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
