"""Verify the audit log: the hash chain in the database and the signed checkpoints beside it.

The chain is checked range by range by :mod:`klaremont.audit.scan`, in worker processes
(``python -m klaremont.audit.scan``, fed ranges over a pipe) when the log is large;
meanwhile this process checks the checkpoint file against the table
(:mod:`klaremont.audit.sealing`). The first anomaly in the chain is then classified by
:mod:`klaremont.audit.classify`, and every finding is reported, earliest event first.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import klaremont
from klaremont.audit.archive_format import archive_dir, manifest_extent
from klaremont.audit.archive_verify import check_archive, check_boundary
from klaremont.audit.classify import classify
from klaremont.audit.report import BreakKind, Finding, VerificationReport
from klaremont.audit.scan import ChunkResult, DbSpec, RangeScanner, driver_cursor
from klaremont.audit.sealing import check_checkpoints, checkpoint_seqs

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import Engine

Progress = Callable[[int, int], None]
logger = logging.getLogger(__name__)

PARALLEL_THRESHOLD = 150_000  # below this, starting worker processes costs more than it saves
MIN_CHUNK = 25_000
MAX_CHUNK = 250_000
BATCH = 20_000


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


def _chunks(
    first: int, last_seq: int, workers: int, size: int | None = None
) -> list[tuple[int, int]]:
    span = max(0, last_seq - first + 1)
    size = size or max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(span / max(1, workers * 6))))
    return [(lo, min(lo + size - 1, last_seq)) for lo in range(first, last_seq + 1, size)]


class _Worker:
    """One ``python -m klaremont.audit.scan`` process, fed ranges one at a time."""

    def __init__(self, spec: DbSpec) -> None:
        package_root = str(Path(klaremont.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "klaremont.audit.scan"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        self._send(json.dumps(asdict(spec)))  # the spec (and any password) goes by pipe, not argv

    def _send(self, line: str) -> None:
        stdin = self._process.stdin
        if stdin is None:  # pragma: no cover - Popen(stdin=PIPE) always has one
            raise RuntimeError("worker has no stdin")
        stdin.write(line + "\n")
        stdin.flush()

    def scan(self, lo: int, hi: int) -> ChunkResult:
        """Check one range in the worker and return its result."""
        self._send(f"{lo} {hi}")
        stdout = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError(f"audit verify worker exited ({self._process.wait()})")
        return ChunkResult(**json.loads(line))

    def close(self) -> None:
        """End the worker."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


class _ChunkRun:
    """Checks every range, inline or in worker processes, stopping at the first break."""

    def __init__(
        self,
        engine: Engine,
        span: tuple[int, int],
        workers: int | None,
        progress: Progress | None,
        chunk_size: int | None = None,
    ) -> None:
        first, last_seq = span
        self._engine = engine
        self._last = max(0, last_seq - first + 1)  # events to check
        self._progress = progress
        self._lock = threading.Lock()
        self._done = 0
        self._spec = db_spec(engine)
        wanted = workers or (default_workers() if self._last >= PARALLEL_THRESHOLD else 1)
        self._workers = wanted if self._spec is not None else 1
        self._chunks = _chunks(first, last_seq, self._workers, chunk_size)
        self._next = 0
        self._stop_at: int | None = None  # a range starting after this cannot hold the first break
        self._results: list[ChunkResult] = []
        self._retry: list[tuple[int, int]] = []  # ranges a failed worker did not finish
        self._threads: list[threading.Thread] = []

    def _take(self) -> tuple[int, int] | None:
        with self._lock:
            if self._next >= len(self._chunks):
                return None
            lo, hi = self._chunks[self._next]
            if self._stop_at is not None and lo > self._stop_at:
                return None
            self._next += 1
            return lo, hi

    def _finish(self, result: ChunkResult) -> None:
        with self._lock:
            self._results.append(result)
            self._done += result.hi - result.lo + 1
            done = self._done
            if result.anomaly is not None:
                self._stop_at = min(self._stop_at or result.anomaly, result.anomaly)
        if self._progress:
            self._progress(min(done, self._last), self._last)

    def _drive(self, scan: Callable[[int, int], ChunkResult]) -> None:
        while (chunk := self._take()) is not None:
            try:
                result = scan(*chunk)
            except BaseException:
                with self._lock:
                    self._retry.append(chunk)
                raise
            self._finish(result)

    def _drive_worker(self, spec: DbSpec) -> None:
        try:
            worker = _Worker(spec)
            try:
                self._drive(worker.scan)
            finally:
                worker.close()
        except Exception as exc:  # noqa: BLE001 - its ranges are checked in-process instead
            logger.warning("audit verify worker failed (%s); checking in-process", exc)

    def start(self) -> None:
        """Start the worker processes (nothing to start when running inline)."""
        if self._workers <= 1 or self._spec is None or not self._chunks:
            return
        for _ in range(min(self._workers, len(self._chunks))):
            thread = threading.Thread(target=self._drive_worker, args=(self._spec,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def results(self) -> list[ChunkResult]:
        """Every checked range's result in order, up to the one holding the first break."""
        for thread in self._threads:
            thread.join()
        raw = self._engine.raw_connection()
        try:
            errors = (self._engine.dialect.loaded_dbapi.Error,)
            scanner = RangeScanner(
                raw.driver_connection, self._engine.dialect.name, errors=errors, batch=BATCH
            )
            while self._retry:
                self._finish(scanner.scan(*self._retry.pop()))
            self._drive(scanner.scan)  # whatever no worker took (everything, when inline)
        finally:
            raw.close()
        ordered = sorted(self._results, key=lambda r: r.lo)
        cut = next((i for i, r in enumerate(ordered) if r.anomaly is not None), None)
        return ordered if cut is None else ordered[: cut + 1]


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


def _archived_checkpoints(path: Path, low: int | None) -> set[int]:
    """The ``seq`` of every checkpoint before the table's first event (read from the archive)."""
    data = path.read_bytes() if path.exists() else b""
    return {seq for seq in checkpoint_seqs(data) if low is None or seq < low}


class _Progress:
    """One bar for the table's chain and the archive's segments, checked side by side."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._live = 0
        self._archived = 0
        self.total = total

    def live(self, done: int, _total: int) -> None:
        with self._lock:
            self._live = done
        self._report()

    def archived(self, events: int) -> None:
        with self._lock:
            self._archived += events
        self._report()

    def _report(self) -> None:
        if self._progress is not None:
            with self._lock:
                done = self._live + self._archived
            self._progress(min(done, self.total), self.total)


def verify_log(
    engine: Engine,
    checkpoint_file: Path,
    trusted: dict[str, Ed25519PublicKey],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    all_signatures: bool = False,
    chunk_size: int | None = None,
) -> VerificationReport:
    """Check the archive and the table as one chain, and every checkpoint; report the first
    broken event and its kind.

    ``workers`` defaults to one process per core once the log is large enough to pay for
    starting them; ``chunk_size`` (events per range handed to a worker) is for tuning.
    """
    started = time.perf_counter()
    low, last_seq = _bounds(engine)
    findings: list[Finding] = []
    if low is not None and low < 1:
        findings.append(
            Finding(BreakKind.INSERTED, low, f"event #{low} is outside the chain (it starts at 1)")
        )
    directory = archive_dir(checkpoint_file)
    archived_to, listed = manifest_extent(directory)
    first = 1 if low is None or archived_to == 0 else min(low, archived_to + 1)
    bar = _Progress(progress, max(0, last_seq - first + 1) + listed)
    run = _ChunkRun(engine, (max(first, 1), last_seq), workers, bar.live, chunk_size)
    run.start()
    archive = check_archive(
        engine,
        directory,
        trusted,
        _archived_checkpoints(checkpoint_file, low),
        bar.archived,
    )
    findings.extend(archive.findings)
    findings.extend(check_boundary(engine, archive, low, last_seq))
    checkpoint_findings, genuine, sealed = check_checkpoints(
        engine,
        checkpoint_file,
        trusted,
        max(last_seq, archive.archived_to),
        all_signatures=all_signatures,
        archived=archive.hashes,
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
        last_seq=max(last_seq, archive.archived_to),
        checkpoints=genuine,
        sealed_seq=sealed,
        elapsed=time.perf_counter() - started,
        findings=tuple(findings),
        archived_events=archive.events,
        archived_segments=archive.segments,
        disposed_events=archive.disposed,
    )
