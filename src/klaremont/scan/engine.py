"""The scan: resolve targets, read each one, apply the allow-list, and add it all up.

Targets are files and directory trees (plain text, logs, CSV, JSON, gzip, any bytes),
SQLite files (their tables, and the file and its write-ahead log as bytes, so what was
deleted but not overwritten is found too) and PostgreSQL URLs (every text-like column of
every table). Large files are split between worker processes (``jobs``). A rich progress
bar shows bytes and MB/s when a progress object is given.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from rich.progress import Progress, TaskID
from sqlalchemy.exc import SQLAlchemyError

from klaremont.detectors.kinds import Kind, Severity
from klaremont.errors import ValidationFailed
from klaremont.scan import databases, files
from klaremont.scan.allowlist import AllowList
from klaremont.scan.findings import Finding, ScanResult

#: A file at least this big is split between worker processes when ``jobs`` > 1.
SPLIT_AT: Final = 16 << 20
_SIDE_FILES: Final = ("-wal", "-shm", "-journal")

#: the note on what a SQLite file's bytes hold outside its live rows
OUTSIDE_LIVE_ROWS: Final = "in the file, outside live rows"


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What to scan and how."""

    targets: tuple[str, ...]
    kinds: frozenset[Kind]
    label: str = ""
    jobs: int = 1
    sample: float | None = None
    detail: int = 50
    allow: AllowList | None = None


def _is_database_url(target: str) -> bool:
    return target.startswith(("postgresql:", "postgresql+", "postgres:"))


def _walk(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in {".git", "__pycache__"})
        for name in sorted(names):
            candidate = Path(root) / name
            if candidate.is_symlink() or not candidate.is_file():
                continue
            main = Path(root, name.rsplit("-", 1)[0])
            if name.endswith(_SIDE_FILES) and main.is_file() and files.is_sqlite(main):
                continue  # read with its database
            yield candidate


def resolve(targets: Sequence[str]) -> tuple[list[Path], list[str]]:
    """The files and database URLs ``targets`` name; a missing path is refused by name."""
    paths: list[Path] = []
    urls: list[str] = []
    for target in targets:
        if _is_database_url(target):
            urls.append(target)
            continue
        path = Path(target)
        if not path.exists():
            raise ValidationFailed.single("target", f"{target}: no such file or directory")
        paths.extend(_walk(path))
    return paths, urls


Sink = Callable[[str, "int | str"], None]


class _Meter:
    """Progress in bytes: to a rich progress bar, or to ``sink`` (``("total"|"bytes"|"name",
    value)``, how a scan in another process reports), or nowhere."""

    def __init__(self, progress: Progress | None, total: int, sink: Sink | None = None) -> None:
        self.progress = progress
        self.sink = sink
        self.task: TaskID | None = (
            progress.add_task("Scanning", total=total) if progress is not None else None
        )
        if sink is not None:
            sink("total", total)

    def advance(self, size: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, size)
        if self.sink is not None:
            self.sink("bytes", size)

    def name(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=text[-48:])
        if self.sink is not None:
            self.sink("name", text)


def run(
    request: ScanRequest, progress: Progress | None = None, *, sink: Sink | None = None
) -> ScanResult:
    """Scan everything ``request`` names, in this process (see :mod:`klaremont.scan.apart`
    for a process that holds SQLite connections of its own)."""
    if not request.kinds:
        raise ValidationFailed.single("detect", "must name at least one kind of finding")
    if request.sample is not None and not 0 < request.sample <= 100:  # noqa: PLR2004 - percent
        raise ValidationFailed.single("sample", "must be a percentage above 0 and at most 100")
    if request.jobs < 1:
        raise ValidationFailed.single("jobs", "must be at least 1")
    paths, urls = resolve(request.targets)
    result = ScanResult(
        label=request.label or ", ".join(request.targets),
        kinds=request.kinds,
        started_at=datetime.now(UTC),
    )
    began = time.perf_counter()
    meter = _Meter(progress, sum(p.stat().st_size for p in paths), sink)
    plain = [p for p in paths if not files.is_sqlite(p)]
    for path in paths:
        if path not in plain:
            meter.name(str(path))
            _sqlite(path, request, result, meter)
    _files(plain, request, result, meter)
    if urls:
        _postgresql(urls, request, result, meter)
    _apply_allow_list(request.allow, result)
    result.seconds = time.perf_counter() - began
    return result


def _postgresql(urls: list[str], request: ScanRequest, result: ScanResult, meter: _Meter) -> None:
    """Each PostgreSQL database; with ``jobs`` > 1, its tables' shares in worker processes."""
    with ExitStack() as stack:
        pool = None
        if request.jobs > 1:
            context = multiprocessing.get_context("fork")
            pool = stack.enter_context(
                ProcessPoolExecutor(max_workers=request.jobs, mp_context=context)
            )
        for url in urls:
            shown = databases.safe_url(url)
            meter.name(shown)
            try:
                found = databases.scan_postgresql(
                    url,
                    request.kinds,
                    detail=request.detail,
                    sample=request.sample,
                    progress=meter.advance,
                    pool=pool,
                )
            except SQLAlchemyError as error:
                del error  # the reason in words; the driver's message may hold connection details
                result.problems.append(f"{shown} could not be reached or read")
                continue
            _add_tables(shown, found, result)


def _files(paths: list[Path], request: ScanRequest, result: ScanResult, meter: _Meter) -> None:
    big = [p for p in paths if request.jobs > 1 and p.stat().st_size >= SPLIT_AT]
    for path in paths:
        if path in big:
            continue
        meter.name(str(path))
        try:
            part = files.scan_file(
                path, request.kinds, detail=request.detail, progress=meter.advance
            )
        except (EOFError, zlib.error, gzip.BadGzipFile):
            result.problems.append(f"{path} is not a readable gzip file")
            continue
        except OSError:
            result.problems.append(f"{path} could not be read (no permission, or it went away)")
            continue
        _add_part(str(path), part, result)
    if not big:
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=request.jobs, mp_context=context) as pool:
        for path in big:
            meter.name(str(path))
            shares = files.ranges(path, request.jobs)
            futures = [
                pool.submit(files.scan_range, str(path), a, b, request.kinds, request.detail)
                for a, b in shares
            ]
            lines_before = 0
            for future, (start, stop) in zip(futures, shares, strict=True):
                part = future.result()
                part.hits = [(h, line + lines_before, o) for h, line, o in part.hits]
                lines_before += part.lines
                _add_part(str(path), part, result)
                meter.advance(stop - start)


def _add_part(source: str, part: files.Part, result: ScanResult, note: str | None = None) -> None:
    counts = result.source(source)
    counts.counts.update(part.counts)
    counts.bytes += part.bytes
    result.findings.extend(
        Finding(hit.kind, source, hit.sample, line=line, offset=offset, brand=hit.brand, note=note)
        for hit, line, offset in part.hits
    )


def _add_tables(source: str, found: databases.TableHits, result: ScanResult) -> None:
    counts = result.source(source)
    counts.counts.update(found.counts)
    counts.bytes += found.bytes
    result.findings.extend(
        Finding(hit.kind, source, hit.sample, table=table, column=column, key=key, brand=hit.brand)
        for hit, table, column, key in found.hits
    )


def _sqlite(path: Path, request: ScanRequest, result: ScanResult, meter: _Meter) -> None:
    """The tables of an SQLite file, then what its bytes hold beyond them (remnants); with
    ``jobs`` > 1, the bytes and shares of the tables at once in worker processes."""
    raw_paths = [p for p in (path, Path(f"{path}-wal")) if p.is_file()]
    if request.jobs < 2:  # noqa: PLR2004 - one job: this process alone
        tables = _sqlite_tables(path, request, result, None)
        parts = [
            files.scan_file(p, request.kinds, detail=request.detail, progress=meter.advance,
                            glued=True)
            for p in raw_paths
        ]  # fmt: skip
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=request.jobs, mp_context=context) as pool:
            pending = [
                pool.submit(files.scan_file, p, request.kinds, detail=request.detail,
                            progress=None, glued=True)
                for p in raw_paths
            ]  # fmt: skip
            tables = _sqlite_tables(path, request, result, pool)
            parts = [future.result() for future in pending]
        for part in parts:
            meter.advance(part.bytes)
    _add_tables(str(path), tables, result)
    live = {(hit.kind, hit.sample) for hit, *_ in tables.hits}
    for raw_path, part in zip(raw_paths, parts, strict=True):
        # what the tables show is not a remnant: only values no live row holds are reported
        remnants = files.Part(lines=part.lines, bytes=part.bytes)
        remnants.hits = [h for h in part.hits if (h[0].kind, h[0].sample) not in live]
        for kind, count in part.counts.items():
            if kind.severity is Severity.REVIEW:  # counted, not all listed: the surplus
                extra = count - tables.counts.get(kind, 0)
            else:
                extra = sum(1 for h, *_ in remnants.hits if h.kind is kind)
            if extra > 0:
                remnants.counts[kind] = extra
        note = "write-ahead log" if raw_path != path else OUTSIDE_LIVE_ROWS
        _add_part(str(raw_path), remnants, result, note=note)


def _sqlite_tables(
    path: Path, request: ScanRequest, result: ScanResult, pool: ProcessPoolExecutor | None
) -> databases.TableHits:
    try:
        return databases.scan_sqlite_tables(path, request.kinds, detail=request.detail, pool=pool)
    except sqlite3.Error:  # locked, encrypted or damaged: its bytes are still read
        result.problems.append(
            f"{path}: its tables could not be read (locked, damaged or encrypted); "
            "its bytes were read"
        )
        return databases.TableHits()


def _apply_allow_list(allow: AllowList | None, result: ScanResult) -> None:
    if allow is None:
        return
    for entry in allow.expired:
        result.problems.append(
            f"allow-list entry {entry.number} ({entry.path}, {entry.reason}) expired on "
            f"{entry.expires.isoformat()} and accepts nothing"
        )
    accepted: Counter[tuple[str, Kind]] = Counter()
    for index, finding in enumerate(result.findings):
        reason = allow.reason_for(finding)
        if reason is not None:
            result.findings[index] = finding.allowed_by(reason)
            accepted[(finding.source, finding.kind)] += 1
    for source in result.sources.values():
        for kind, count in source.counts.items():
            whole = any(
                e.whole and (e.kind is None or e.kind is kind) and e.covers_source(source.source)
                for e in allow.entries
            )
            source.allowed[kind] = count if whole else min(count, accepted[(source.source, kind)])
