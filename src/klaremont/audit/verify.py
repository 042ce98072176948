"""Verify the audit log: the hash chain in the database and the signed checkpoints beside it.

The chain is checked range by range by :mod:`klaremont.audit.scan`, in worker processes
when the log is large; meanwhile this process reads the checkpoint file and compares
each checkpoint with the stored hash at its ``seq``. One genuine checkpoint vouches for
every event before it, so signatures are checked for the newest checkpoint and for any
that disagrees with the table; if one of those is bad, every signature is checked.
The first anomaly in the chain is then classified by :mod:`klaremont.audit.classify`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from klaremont.audit.checkpoints import Checkpoint, read_checkpoints
from klaremont.audit.classify import classify
from klaremont.audit.report import BreakKind, Finding, VerificationReport
from klaremont.audit.scan import ChunkResult, DbSpec, RangeScanner, driver_cursor, scan_chunk

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import Engine

Progress = Callable[[int, int], None]

PARALLEL_THRESHOLD = 150_000  # below this, starting worker processes costs more than it saves
MIN_CHUNK = 25_000
MAX_CHUNK = 250_000
BATCH = 20_000
_IN_LIST = 500


def db_spec(engine: Engine) -> DbSpec | None:
    """How worker processes reach this database; ``None`` when they cannot (in-memory)."""
    url = engine.url
    name = engine.dialect.name
    if name == "sqlite":
        database = url.database
        if not database or database == ":memory:" or url.query.get("mode") == "memory":
            return None
        return DbSpec("sqlite", str(Path(database).resolve()))
    if name == "postgresql":
        return DbSpec(
            "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
    return None


def default_workers() -> int:
    """One worker per available core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _chunks(last_seq: int, workers: int) -> list[tuple[int, int]]:
    size = max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(last_seq / max(1, workers * 6))))
    return [(lo, min(lo + size - 1, last_seq)) for lo in range(1, last_seq + 1, size)]


class _ChunkRun:
    """Runs the range checks, inline or in a process pool, reporting progress."""

    def __init__(
        self, engine: Engine, last_seq: int, workers: int, progress: Progress | None
    ) -> None:
        self._engine = engine
        self._last = last_seq
        self._progress = progress
        self._lock = threading.Lock()
        self._done = 0
        self._spec = db_spec(engine)
        self._workers = workers if self._spec and last_seq >= PARALLEL_THRESHOLD else 1
        self._chunks = _chunks(last_seq, self._workers)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[ChunkResult]] = []

    def _advance(self, result: ChunkResult) -> None:
        with self._lock:
            self._done += result.hi - result.lo + 1
            done = self._done
        if self._progress:
            self._progress(min(done, self._last), self._last)

    def _on_done(self, future: Future[ChunkResult]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        self._advance(result)
        if result.anomaly is not None:  # later ranges cannot hold the first break
            for (lo, _hi), other in zip(self._chunks, self._futures, strict=True):
                if lo > result.anomaly:
                    other.cancel()

    def start(self) -> None:
        """Submit the ranges to worker processes (no-op when running inline)."""
        if self._workers <= 1 or self._spec is None:
            return
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=context)
        self._futures = [
            self._pool.submit(scan_chunk, self._spec, lo, hi, BATCH) for lo, hi in self._chunks
        ]
        for future in self._futures:
            future.add_done_callback(self._on_done)

    def results(self) -> list[ChunkResult]:
        """Wait for (or compute) every range's result, in order, stopping at the first break."""
        if self._pool is None:
            return self._inline()
        results: list[ChunkResult] = []
        try:
            for future in self._futures:
                try:
                    result = future.result()
                except CancelledError:
                    continue
                results.append(result)
                if result.anomaly is not None:
                    break
            return results
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _inline(self) -> list[ChunkResult]:
        raw = self._engine.raw_connection()
        try:
            errors = (self._engine.dialect.loaded_dbapi.Error,)
            scanner = RangeScanner(
                raw.driver_connection, self._engine.dialect.name, errors=errors, batch=BATCH
            )
            results: list[ChunkResult] = []
            for lo, hi in self._chunks:
                result = scanner.scan(lo, hi)
                results.append(result)
                self._advance(result)
                if result.anomaly is not None:
                    break
            return results
        finally:
            raw.close()


@dataclass
class _CheckpointState:
    first_mismatch: Checkpoint | None
    last_match_before: int
    sealed: int
    newest: Checkpoint | None


def _stored_hashes(cursor: Any, mark: str, seqs: Sequence[int]) -> dict[int, str]:
    """Stored ``hash`` at each of ``seqs`` (sorted), by range scan when dense, else by lookup."""
    found: dict[int, str] = {}
    if not seqs:
        return found
    span = seqs[-1] - seqs[0] + 1
    if len(seqs) * 8 >= span:
        for lo in range(seqs[0], seqs[-1] + 1, 50_000):
            cursor.execute(
                f"SELECT seq, hash FROM audit_events WHERE seq BETWEEN {mark} AND {mark}",  # noqa: S608 - constant
                (lo, min(lo + 49_999, seqs[-1])),
            )
            found.update(cursor.fetchall())
        return found
    for start in range(0, len(seqs), _IN_LIST):
        group = seqs[start : start + _IN_LIST]
        marks = ",".join([mark] * len(group))
        cursor.execute(f"SELECT seq, hash FROM audit_events WHERE seq IN ({marks})", tuple(group))  # noqa: S608 - placeholders only
        found.update(cursor.fetchall())
    return found


def _evaluate(checkpoints: list[Checkpoint], stored: dict[int, str]) -> _CheckpointState:
    """Compare sorted checkpoints with the stored chain."""
    state = _CheckpointState(None, 0, 0, checkpoints[-1] if checkpoints else None)
    for cp in checkpoints:
        have = stored.get(cp.seq)
        if have is None:
            continue  # a missing event: the chain scan or the truncation check reports it
        if have == cp.hash:
            state.sealed = max(state.sealed, cp.seq)
            if state.first_mismatch is None:
                state.last_match_before = cp.seq
        elif state.first_mismatch is None:
            state.first_mismatch = cp
    return state


def _summarise(kind: BreakKind, bad: list[Checkpoint], what: str) -> Finding:
    first = min(bad, key=lambda c: c.seq)
    lines = ", ".join(str(c.line) for c in sorted(bad, key=lambda c: c.line)[:5])
    return Finding(kind, first.seq, f"{len(bad)} checkpoint(s) {what} (lines {lines})")


def _check_checkpoints(
    engine: Engine,
    path: Path,
    trusted: dict[str, Ed25519PublicKey],
    last_seq: int,
    *,
    all_signatures: bool,
) -> tuple[list[Finding], int, int]:
    """Findings from the checkpoint file, the number of genuine checkpoints, and the sealed seq."""
    findings: list[Finding] = []
    checkpoints, malformed = read_checkpoints(path)
    findings.extend(
        Finding(BreakKind.MALFORMED_CHECKPOINT, None, f"line {m.line}: {m.reason}")
        for m in malformed
    )
    unknown = [c for c in checkpoints if c.key_id not in trusted]
    if unknown:
        findings.append(_summarise(BreakKind.UNKNOWN_KEY, unknown, "signed by an unknown key"))
    known = sorted((c for c in checkpoints if c.key_id in trusted), key=lambda c: c.seq)
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        in_table = sorted({c.seq for c in known if c.seq <= last_seq})
        stored = _stored_hashes(cursor, mark, in_table)
        cursor.close()
    finally:
        raw.close()

    def valid(cp: Checkpoint) -> bool:
        return cp.signature_valid(trusted[cp.key_id])

    state = _evaluate(known, stored)
    probes = [c for c in (state.newest, state.first_mismatch) if c is not None]
    if all_signatures or not all(valid(c) for c in probes):
        bad = [c for c in known if not valid(c)]
        if bad:
            findings.append(_summarise(BreakKind.BAD_SIGNATURE, bad, "have a bad signature"))
            rejected = {id(c) for c in bad}
            known = [c for c in known if id(c) not in rejected]
            state = _evaluate(known, stored)
    if state.first_mismatch is not None:
        cp = state.first_mismatch
        findings.append(
            Finding(
                BreakKind.REBUILT,
                state.last_match_before + 1,
                f"checkpoint line {cp.line} signed hash {cp.hash[:12]}... for event #{cp.seq}, "
                f"but the table holds {stored[cp.seq][:12]}...; the chain was rewritten after "
                f"event #{state.last_match_before}",
            )
        )
    if state.newest is not None and state.newest.seq > last_seq:
        findings.append(
            Finding(
                BreakKind.TRUNCATED,
                last_seq + 1,
                f"the table ends at event #{last_seq} but checkpoint line {state.newest.line} "
                f"was signed for event #{state.newest.seq}",
            )
        )
    return findings, len(known), state.sealed


def _bounds(engine: Engine) -> tuple[int | None, int]:
    raw = engine.raw_connection()
    try:
        cursor = driver_cursor(raw)
        cursor.execute("SELECT min(seq), max(seq) FROM audit_events")
        low, high = cursor.fetchone()
        cursor.close()
    finally:
        raw.close()
    return low, int(high or 0)


def verify_log(
    engine: Engine,
    checkpoint_file: Path,
    trusted: dict[str, Ed25519PublicKey],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    all_signatures: bool = False,
) -> VerificationReport:
    """Check the whole chain and every checkpoint; report the first broken event and its kind."""
    started = time.perf_counter()
    low, last_seq = _bounds(engine)
    findings: list[Finding] = []
    if low is not None and low < 1:
        findings.append(
            Finding(BreakKind.INSERTED, low, f"event #{low} is outside the chain (it starts at 1)")
        )
    run = _ChunkRun(engine, last_seq, workers or default_workers(), progress)
    run.start()
    checkpoint_findings, genuine, sealed = _check_checkpoints(
        engine, checkpoint_file, trusted, last_seq, all_signatures=all_signatures
    )
    findings.extend(checkpoint_findings)
    results = run.results() if last_seq else []
    for result in results:
        if result.anomaly is not None:
            findings.append(classify(engine, result.anomaly, result.hint or "error", result.hi))
            break
    findings.sort(key=Finding.sort_key)
    return VerificationReport(
        events=sum(r.rows for r in results),
        last_seq=last_seq,
        checkpoints=genuine,
        sealed_seq=sealed,
        elapsed=time.perf_counter() - started,
        findings=tuple(findings),
    )
