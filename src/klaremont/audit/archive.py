"""Ageing the audit log out without losing its proof (PCI DSS 10.5.1).

Events older than the online period (``[audit_archive] online_months``, three months) move
out of ``audit_events`` into signed archive segments (:mod:`klaremont.audit.archive_format`);
segments whose newest event is older than the audit log's retention period (twelve months)
are disposed of, their signed record kept. One run does three things, in this order, under
a lock file so two runs never interleave:

1. **Complete** what an interrupted run left: a segment whose signed manifest line exists
   but whose range the database has not recorded (the process stopped between writing the
   file and deleting the rows, or a backup from before that run was restored). The file is
   re-read and checked against the table's own events; then the range is recorded and its
   events deleted, in one transaction.
2. **Archive**: each month's events (at most :data:`MAX_EVENTS` to a segment), oldest first,
   from the first live event up to the cutoff, never the newest event. The events are
   re-hashed and chained while they are written -- a broken chain is never archived (its
   rows are evidence: :class:`ArchiveRefused`) -- then the file is written atomically, its
   manifest line signed and appended, and only then is the range recorded and its events
   deleted in one transaction (the delete trigger lets through only recorded ranges).
3. **Dispose**: the oldest completed segments whose last event is older than the retention
   period: a signed ``disposed`` line first, then the file is deleted.

A crash at any point leaves either nothing done, or a state step 1 (or the disposal's own
retry) finishes; ``audit verify`` accepts every one of them in between.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from klaremont.audit.archive_format import (
    ArchiveRecord,
    append_record,
    archive_dir,
    check_segment,
    encode_row,
    file_sha256,
    fsync_dir,
    make_private_dir,
    read_manifest,
    segment_name,
    write_segment,
)
from klaremont.audit.archive_result import ArchiveRefused, ArchiveResult
from klaremont.audit.archive_verify import recorded_ranges
from klaremont.audit.encoding import (
    GENESIS_HASH,
    STORED_COLUMNS,
    format_timestamp,
    parse_timestamp,
    recompute_row_hash,
)
from klaremont.db.engine import READ_ONLY

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy import Connection, Engine

    from klaremont.audit.log import AuditLog
    from klaremont.policy.period import Period

MAX_EVENTS = 500_000  # events in one segment at most (a month is usually far fewer)
FETCH = 5_000
Progress = Callable[[int, int], None]
_COLUMNS = ", ".join(STORED_COLUMNS)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    make_private_dir(directory)
    fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _mark(engine: Engine) -> str:
    return "?" if engine.dialect.name == "sqlite" else "%s"


def _one(engine: Engine, sql: str, *params: Any) -> tuple[Any, ...]:
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        row = conn.exec_driver_sql(sql.replace("{m}", _mark(engine)), params).one()
        conn.rollback()
    return tuple(row)


def _rows(engine: Engine, lo: int, hi: int) -> Iterator[dict[str, Any]]:
    sql = f"SELECT {_COLUMNS} FROM audit_events WHERE seq BETWEEN {{m}} AND {{m}} ORDER BY seq"  # noqa: S608 - constants
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        result = conn.exec_driver_sql(sql.replace("{m}", _mark(engine)), (lo, hi))
        while batch := result.fetchmany(FETCH):
            for values in batch:
                yield dict(zip(STORED_COLUMNS, values, strict=True))
        conn.rollback()


def _record_and_delete(engine: Engine, record: ArchiveRecord, now: str) -> None:
    """In one transaction: record the range, delete its events (exactly ``events`` rows)."""
    mark = _mark(engine)
    with engine.begin() as conn:
        _insert_range(conn, record, now, mark)
        deleted = conn.exec_driver_sql(
            f"DELETE FROM audit_events WHERE seq BETWEEN {mark} AND {mark}",  # noqa: S608 - placeholders only
            (record.lo, record.hi),
        ).rowcount
        if deleted != record.events:
            msg = (
                f"segment {record.file}: {deleted} event(s) in the table for {record.span}, "
                f"expected {record.events}; nothing deleted"
            )
            raise ArchiveRefused(msg)


def _insert_range(conn: Connection, record: ArchiveRecord, now: str, mark: str) -> None:
    marks = ", ".join([mark] * 8)
    conn.exec_driver_sql(
        "INSERT INTO audit_archive_ranges (lo, hi, segment, sha256, first_prev_hash, "  # noqa: S608 - placeholders only
        f"last_hash, events, archived_at) VALUES ({marks})",
        (
            record.lo,
            record.hi,
            record.file,
            record.sha256,
            record.first_prev_hash,
            record.last_hash,
            record.events,
            now,
        ),
    )


class Archiver:
    """One run of the archive for ``log`` over ``engine`` (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        log: AuditLog,
        *,
        online_months: int,
        retention: Period,
        progress: Progress | None = None,
    ) -> None:
        self.engine = engine
        self.log = log
        self.directory = archive_dir(log.checkpoint_file)
        self.online_months = online_months
        self.retention = retention
        self.progress = progress
        self.now = log.clock.now()
        self.stamp = format_timestamp(self.now)

    def run(self) -> ArchiveResult:
        """Complete, archive, dispose; what was done."""
        cutoff = format_timestamp(self.now - relativedelta(months=self.online_months))
        result = ArchiveResult(cutoff=cutoff)
        self.log.flush()  # every committed event sealed before any leaves the table
        with _locked(self.directory):
            records = self._manifest()
            result.completed = self._complete(records)
            result.archived = self._archive(records, cutoff)
            result.disposed = self._dispose(self._manifest())
        return result

    def _manifest(self) -> list[ArchiveRecord]:
        """The trusted, signed records (a line that is not one is verify's to report)."""
        records, _bad = read_manifest(self.directory)
        return [r for r in records if r.signature_valid(self.log.trusted_keys)]

    # ------------------------------------------------------------------ 1. complete

    def _complete(self, records: list[ArchiveRecord]) -> list[ArchiveRecord]:
        recorded = recorded_ranges(self.engine)
        disposed = {r.lo for r in records if r.kind == "disposed"}
        pending = sorted(
            (r for r in records if r.kind == "segment" and r.lo not in recorded.keys() | disposed),
            key=lambda r: r.lo,
        )
        done: list[ArchiveRecord] = []
        for record in pending:
            count, first_prev, last_hash = self._live(record)
            if count == 0:
                continue  # no event of it is in the table: verify says whether that is sound
            if (count, first_prev, last_hash) != (
                record.events,
                record.first_prev_hash,
                record.last_hash,
            ):
                msg = (
                    f"segment {record.file} ({record.span}) does not match the table's events "
                    "(the chain in the table differs from the archived one): run "
                    "`klaremont audit verify`"
                )
                raise ArchiveRefused(msg)
            self._check_file(record)
            _record_and_delete(self.engine, record, self.stamp)
            done.append(record)
        return done

    def _live(self, record: ArchiveRecord) -> tuple[int, str | None, str | None]:
        count = _one(
            self.engine,
            "SELECT count(*) FROM audit_events WHERE seq BETWEEN {m} AND {m}",
            record.lo,
            record.hi,
        )[0]
        first = self._column("prev_hash", record.lo)
        last = self._column("hash", record.hi)
        return int(count), first, last

    def _column(self, column: str, seq: int) -> str | None:
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            found = conn.exec_driver_sql(
                f"SELECT {column} FROM audit_events WHERE seq = {_mark(self.engine)}",  # noqa: S608 - constant column
                (seq,),
            ).first()
            conn.rollback()
        return None if found is None else str(found[0])

    def _check_file(self, record: ArchiveRecord) -> None:
        path = self.directory / record.file
        if not path.exists() or file_sha256(path) != record.sha256:
            msg = f"segment {record.file} is missing or altered; its events stay in the table"
            raise ArchiveRefused(msg)
        checked = check_segment(path, record)
        if checked.problem is not None:
            msg = f"segment {record.file}: {checked.problem}; its events stay in the table"
            raise ArchiveRefused(msg)

    # ------------------------------------------------------------------ 2. archive

    def _archive(self, records: list[ArchiveRecord], cutoff: str) -> list[ArchiveRecord]:
        low, high = _one(self.engine, "SELECT min(seq), max(seq) FROM audit_events")
        if low is None or high is None:
            return []
        segments = records
        archived_to = max((r.hi for r in segments), default=0)
        prev = max(segments, key=lambda r: r.hi).last_hash if segments else GENESIS_HASH
        if int(low) != archived_to + 1:
            if archived_to == 0 and int(low) > 1:
                msg = f"the table starts at event #{low}, not #1: run `klaremont audit verify`"
                raise ArchiveRefused(msg)
            if int(low) <= archived_to:
                return []  # overlapping events a restore brought back: verify checks them
            msg = f"events #{archived_to + 1}-#{int(low) - 1} are neither in the table nor archived"
            raise ArchiveRefused(msg)
        newer = _one(
            self.engine, "SELECT min(seq) FROM audit_events WHERE occurred_at >= {m}", cutoff
        )[0]
        end = min(int(high) - 1, int(newer) - 1 if newer is not None else int(high) - 1)
        done: list[ArchiveRecord] = []
        lo = int(low)
        total = max(0, end - lo + 1)
        while lo <= end:
            hi = self._segment_end(lo, end)
            record = self._write(lo, hi, prev)
            append_record(self.directory, record)
            _record_and_delete(self.engine, record, self.stamp)
            done.append(record)
            prev, lo = record.last_hash, hi + 1
            if self.progress is not None:
                self.progress(min(total, hi - int(low) + 1), total)
        return done

    def _segment_end(self, lo: int, end: int) -> int:
        """The last event of the month event ``lo`` happened in (at most ``end``)."""
        first_at = self._column("occurred_at", lo)
        if first_at is None:
            return min(end, lo + MAX_EVENTS - 1)
        start = parse_timestamp(first_at).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        boundary = format_timestamp(start + relativedelta(months=1))
        last = _one(
            self.engine,
            "SELECT max(seq) FROM audit_events WHERE seq BETWEEN {m} AND {m} AND occurred_at < {m}",
            lo,
            end,
            boundary,
        )[0]
        return min(int(last) if last is not None else lo, lo + MAX_EVENTS - 1)

    def _write(self, lo: int, hi: int, first_prev: str) -> ArchiveRecord:
        """Check and write the segment of ``lo``..``hi``; its record, signed."""
        seen: dict[str, Any] = {"prev": first_prev, "next": lo, "first_at": "", "last_at": ""}

        def lines() -> Iterator[bytes]:
            for row in _rows(self.engine, lo, hi):
                seq = row["seq"]
                if seq != seen["next"] or row["prev_hash"] != seen["prev"]:
                    msg = f"event #{seen['next']} is missing or does not link: not archived"
                    raise ArchiveRefused(msg)
                if recompute_row_hash(row) != row["hash"]:
                    msg = f"event #{seq}'s fields do not match its hash: not archived"
                    raise ArchiveRefused(msg)
                seen["first_at"] = seen["first_at"] or row["occurred_at"]
                seen["last_at"], seen["prev"], seen["next"] = (
                    row["occurred_at"],
                    row["hash"],
                    seq + 1,
                )
                yield encode_row(row)

        name = segment_name(lo, hi)
        digest = write_segment(self.directory, name, lines())
        if seen["next"] != hi + 1:
            (self.directory / name).unlink(missing_ok=True)
            msg = f"event #{seen['next']} is missing: not archived"
            raise ArchiveRefused(msg)
        record = ArchiveRecord(
            kind="segment",
            lo=lo,
            hi=hi,
            first_prev_hash=first_prev,
            last_hash=seen["prev"],
            file=name,
            sha256=digest,
            events=hi - lo + 1,
            first_at=seen["first_at"],
            last_at=seen["last_at"],
            at=self.stamp,
            key_id=self.log.signer.key_id,
        )
        return record.signed(self.log.signer)

    # ------------------------------------------------------------------ 3. dispose

    def _dispose(self, records: list[ArchiveRecord]) -> list[ArchiveRecord]:
        recorded = recorded_ranges(self.engine)
        gone = {r.lo: r for r in records if r.kind == "disposed"}
        for record in gone.values():  # a disposal that stopped before the file was deleted
            self._unlink(record.file)
        done: list[ArchiveRecord] = []
        kept = sorted((r for r in records if r.kind == "segment"), key=lambda r: r.lo)
        for record in kept:
            if record.lo in gone:
                continue
            expired = self.retention.add_to(parse_timestamp(record.last_at)) <= self.now
            if not expired or record.lo not in recorded:
                break  # oldest first: the chain's archived start stays one prefix
            disposed = ArchiveRecord(**{**record.body(), "kind": "disposed", "at": self.stamp})
            append_record(self.directory, disposed.signed(self.log.signer))
            self._unlink(record.file)
            done.append(disposed)
        return done

    def _unlink(self, name: str) -> None:
        path = self.directory / name
        if path.exists():
            path.unlink()
            fsync_dir(self.directory)


def archive_log(
    engine: Engine,
    log: AuditLog,
    *,
    online_months: int,
    retention: Period,
    progress: Progress | None = None,
) -> ArchiveResult:
    """Run the archive once (see the module docstring); raises :class:`ArchiveRefused`."""
    archiver = Archiver(
        engine, log, online_months=online_months, retention=retention, progress=progress
    )
    return archiver.run()


def newest_at(log: AuditLog) -> datetime | None:
    """When the newest archived segment's last event happened (``None``: nothing archived)."""
    records, _bad = read_manifest(archive_dir(log.checkpoint_file))
    if not records:
        return None
    return parse_timestamp(max(records, key=lambda r: r.hi).last_at)
