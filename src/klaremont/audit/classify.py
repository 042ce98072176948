"""Name the first break in the chain: which event, and edited, deleted, inserted or reordered.

Runs only once, at the anomaly the fast scan found, so it favours clarity over speed: it
re-reads the event and its two predecessors, recomputes hashes in Python, and looks the
stored hashes up elsewhere in the table. The rules, for the event ``R`` at ``seq`` with
predecessors ``P`` and ``P2``:

* ``seq`` missing -> **deleted**.
* ``R`` links to ``P`` but its fields no longer give its hash -> **edited**.
* ``R`` links to ``P2``, skipping ``P`` -> ``P`` was **inserted**.
* ``R`` links to (or is linked from) an event somewhere else -> **reordered**.
* ``R`` links nowhere, and its fields give its hash under another number -> events were
  **deleted** (or **inserted**) and the rest renumbered to hide the gap.
* ``R`` links nowhere and its fields do not give its hash -> **edited**.
* ``R`` is self-consistent but links nowhere, so ``P`` was rewritten and re-hashed ->
  **edited** at ``P``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from klaremont.audit.encoding import GENESIS_HASH, STORED_COLUMNS, recompute_row_hash
from klaremont.audit.report import BreakKind, Finding
from klaremont.audit.scan import driver_cursor

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

_NAMES = STORED_COLUMNS
_COLUMNS = ", ".join(_NAMES)
RENUMBER_WINDOW = 1000  # how far a renumbered event is searched for


class _Reader:
    """Plain DBAPI reads (no transaction, so no write lock on SQLite)."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self._cursor = cursor
        self._mark = "?" if dialect == "sqlite" else "%s"

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        self._cursor.execute(sql.replace("{m}", self._mark), params)
        return list(self._cursor.fetchall())

    def row(self, seq: int) -> dict[str, Any] | None:
        found = self.rows(f"SELECT {_COLUMNS} FROM audit_events WHERE seq = {{m}}", seq)  # noqa: S608 - constant
        return dict(zip(_NAMES, found[0], strict=True)) if found else None

    def elsewhere(self, column: str, value: Any, not_at: int) -> int | None:
        """The seq of another event whose ``column`` equals ``value``, if any."""
        found = self.rows(
            f"SELECT seq FROM audit_events WHERE {column} = {{m}} AND seq <> {{m}} LIMIT 1",  # noqa: S608 - column is a constant
            value,
            not_at,
        )
        return int(found[0][0]) if found else None


@contextmanager
def _reader(engine: Engine) -> Iterator[_Reader]:
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        try:
            yield _Reader(cursor, engine.dialect.name)
        finally:
            cursor.close()
    finally:
        raw.close()


def _first_anomaly_python(db: _Reader, start: int, end: int) -> tuple[int, str] | None:
    """Per-row pass in Python, for ranges the database could not encode."""
    prev_row = db.row(start - 1) if start > 1 else None
    prev = prev_row["hash"] if prev_row else (GENESIS_HASH if start == 1 else None)
    expected = start
    found = db.rows(
        f"SELECT {_COLUMNS} FROM audit_events WHERE seq BETWEEN {{m}} AND {{m}} ORDER BY seq",  # noqa: S608 - constant
        start,
        end,
    )
    for values in found:
        row = dict(zip(_NAMES, values, strict=True))
        if row["seq"] != expected:
            return expected, "gap"
        if prev is not None and row["prev_hash"] != prev:
            return expected, "link"
        if recompute_row_hash(row) != row["hash"]:
            return expected, "hash"
        prev = row["hash"]
        expected += 1
    return (expected, "gap") if expected <= end else None


def _classify_row(db: _Reader, seq: int) -> Finding:
    row = db.row(seq)
    if row is None:
        return _deleted(db, seq)
    before = db.row(seq - 1) if seq > 1 else None
    expected_prev = before["hash"] if before else GENESIS_HASH
    link_ok = row["prev_hash"] == expected_prev
    self_ok = recompute_row_hash(row) == row["hash"]
    if link_ok:
        return Finding(
            BreakKind.EDITED,
            seq,
            f"event #{seq}'s stored fields no longer match its hash"
            if not self_ok
            else f"event #{seq} could not be checked by the database (malformed value)",
        )
    two_back = GENESIS_HASH if seq == 2 else None  # noqa: PLR2004 - the event after the first
    if seq > 2:  # noqa: PLR2004 - an event with two predecessors
        skipped = db.row(seq - 2)
        two_back = skipped["hash"] if skipped else None
    if two_back is not None and row["prev_hash"] == two_back:
        return Finding(
            BreakKind.INSERTED,
            seq - 1,
            f"event #{seq - 1} is not part of the chain: event #{seq} links to #{seq - 2}",
        )
    origin = db.elsewhere("hash", row["prev_hash"], seq - 1)
    follower = db.elsewhere("prev_hash", row["hash"], seq + 1)
    if origin is not None or follower is not None:
        where = f"#{origin}" if origin is not None else f"before #{follower}"
        return Finding(
            BreakKind.REORDERED,
            seq,
            f"event #{seq} belongs after {where}: events were moved",
        )
    if not self_ok:
        return _renumbered(row, seq) or Finding(
            BreakKind.EDITED, seq, f"event #{seq}'s stored fields and link no longer match its hash"
        )
    return Finding(
        BreakKind.EDITED,
        seq - 1,
        f"event #{seq - 1} was rewritten and re-hashed: event #{seq} links to a different hash",
    )


def _renumbered(row: dict[str, Any], seq: int) -> Finding | None:
    """Events removed or added with the later ones renumbered to hide the gap.

    The event's hash still matches its fields under its original number, so try nearby
    numbers: higher means events were deleted before it, lower means some were inserted.
    """
    later = range(seq + 1, seq + RENUMBER_WINDOW)
    earlier = range(seq - 1, max(0, seq - RENUMBER_WINDOW), -1)
    for original in (*later, *earlier):
        if recompute_row_hash({**row, "seq": original}) == row["hash"]:
            if original > seq:
                return Finding(
                    BreakKind.DELETED,
                    seq,
                    f"{original - seq} event(s) deleted before #{seq}, and later events "
                    f"renumbered to hide it (#{seq} was #{original})",
                )
            return Finding(
                BreakKind.INSERTED,
                original + 1,
                f"{seq - original} event(s) inserted after #{original}, and later events "
                f"renumbered (#{seq} was #{original})",
            )
    return None


def _deleted(db: _Reader, seq: int) -> Finding:
    nxt = db.rows("SELECT min(seq) FROM audit_events WHERE seq > {m}", seq)[0][0]
    if nxt is None:
        return Finding(BreakKind.DELETED, seq, f"event #{seq} is missing")
    missing = int(nxt) - seq
    return Finding(
        BreakKind.DELETED,
        seq,
        f"event #{seq} is missing ({missing} event(s) gone before #{nxt})",
    )


def classify(engine: Engine, seq: int, hint: str, range_end: int) -> Finding:
    """Classify the anomaly the fast scan reported at ``seq`` (hint: gap, link, hash, error)."""
    with _reader(engine) as db:
        if hint == "error":
            located = _first_anomaly_python(db, seq, range_end)
            if located is None:
                return Finding(
                    BreakKind.EDITED, seq, f"event #{seq} holds a value the database cannot encode"
                )
            seq, hint = located
        if hint == "gap":
            return _deleted(db, seq)
        return _classify_row(db, seq)
