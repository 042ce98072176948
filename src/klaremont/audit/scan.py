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

import sqlite3
from dataclasses import dataclass
from hashlib import sha256
from operator import methodcaller
from typing import Any

GENESIS_HASH = "0" * 64
_HEX = methodcaller("hexdigest")

_NULLABLE = ("origin", "resource", "purpose", "request_id")
_PLAIN = ("occurred_at", "actor_type", "actor_id", "action", "outcome")


def _encoding_sql(dialect: str) -> str:
    """SQL that yields ``prev_hash || encoding`` as bytes, matching ``encode_event``."""
    columns = ["'kaudit1'", "CAST(seq AS TEXT)", *_PLAIN, *_NULLABLE, "details"]
    if dialect == "sqlite":
        return f"CAST(prev_hash || json_array({', '.join(columns)}) AS BLOB)"
    if dialect == "postgresql":
        array = f"ARRAY[{', '.join(columns)}]::text[]"
        return f"convert_to(prev_hash || array_to_json({array})::text, 'UTF8')"
    msg = f"unsupported dialect {dialect!r}"
    raise ValueError(msg)


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
        self._rows_sql = (
            f"SELECT seq, prev_hash, hash, {_encoding_sql(dialect)} FROM audit_events "  # noqa: S608 - built from constants
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
        rows_seen = 0
        start = lo
        while start <= hi:
            end = min(start + self._batch - 1, hi)
            try:
                rows = self._fetch(self._rows_sql, (start, end))
            except self._errors:
                return ChunkResult(lo, hi, rows_seen, start, "error")
            rows_seen += len(rows)
            anomaly = _check_batch(rows, start, end, prev)
            if anomaly is not None:
                return ChunkResult(lo, hi, rows_seen, anomaly[0], anomaly[1])
            prev = rows[-1][2]
            start = end + 1
        return ChunkResult(lo, hi, rows_seen)


def _check_batch(rows: list[Any], start: int, end: int, prev: str | None) -> tuple[int, str] | None:
    """``None`` when the batch is sound, else ``(seq, hint)`` of its first anomaly."""
    if not rows:
        return start, "gap"
    try:
        seqs, prevs, hashes, messages = zip(*rows, strict=True)
        sound = (
            seqs[0] == start
            and seqs[-1] == end
            and len(rows) == end - start + 1
            and (prev is None or prevs[0] == prev)
            and prevs[1:] == hashes[:-1]
            and "".join(map(_HEX, map(sha256, messages))) == "".join(hashes)
        )
    except (TypeError, ValueError):
        sound = False
    if sound:
        return None
    return _first_anomaly(rows, start, end, prev)


def _first_anomaly(rows: list[Any], start: int, end: int, prev: str | None) -> tuple[int, str]:
    """The per-row pass over a batch known to be unsound."""
    expected = start
    for seq, prev_hash, stored, message in rows:
        if seq != expected:
            return expected, "gap"
        if prev is not None and prev_hash != prev:
            return seq, "link"
        try:
            recomputed = sha256(message).hexdigest()
        except TypeError:
            return seq, "hash"
        if recomputed != stored:
            return seq, "hash"
        prev = stored
        expected += 1
    if expected <= end:
        return expected, "gap"
    return start, "error"  # the batch check failed on something the row pass accepts


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


def scan_chunk(spec: DbSpec, lo: int, hi: int, batch: int) -> ChunkResult:
    """Worker-process entry point: open a connection and check one range."""
    connection, errors = open_connection(spec)
    try:
        return RangeScanner(connection, spec.dialect, errors=errors, batch=batch).scan(lo, hi)
    finally:
        connection.close()
