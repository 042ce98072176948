"""Reading files for the scanner: plain text, logs, CSV, JSON, gzip, any bytes; in chunks.

A file is read in chunks of 8 MiB cut at line breaks, so a value is never split between
two chunks and line numbers are exact. A large file is split into byte ranges (also cut at
line breaks) that worker processes scan side by side (``--jobs``); a gzip file is read as
one stream of its decompressed lines.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from klaremont.detectors.bulk import Detector, Hit, detector
from klaremont.detectors.kinds import Kind

CHUNK: Final = 8 << 20
GZIP_MAGIC: Final = b"\x1f\x8b"
SQLITE_MAGIC: Final = b"SQLite format 3\x00"


@dataclass(slots=True)
class Part:
    """What a scan of one file (or one range of it) found; line numbers from its start."""

    counts: Counter[Kind] = field(default_factory=Counter)
    hits: list[tuple[Hit, int, int]] = field(default_factory=list)  # hit, line, file offset
    lines: int = 0
    bytes: int = 0


def chunks(stream: BinaryIO, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """``(offset, chunk)`` pairs of a stream, each chunk ending with a line break (one is
    added to the last when missing), reading at most ``limit`` bytes past the start and
    then on to the end of that line."""
    offset = 0
    carry = b""
    while True:
        want = CHUNK if limit is None else min(CHUNK, limit - offset - len(carry))
        block = stream.read(want) if want > 0 else b""
        if not block:
            if limit is not None and carry:
                carry += stream.readline()
            if carry:
                yield offset, carry if carry.endswith(b"\n") else carry + b"\n"
            return
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        yield offset, data[:cut]
        offset += cut
        carry = data[cut:]


def scan_stream(
    stream: BinaryIO,
    found: Detector,
    *,
    detail: int,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Part:
    """Scan ``stream`` chunk by chunk."""
    part = Part()
    for offset, chunk in chunks(stream, limit):
        result = found.scan(chunk, detail=max(0, detail - len(part.hits)))
        part.counts.update(result.counts)
        line = part.lines + 1
        cursor = 0
        for hit in result.hits:
            line += chunk.count(b"\n", cursor, hit.start)
            cursor = hit.start
            part.hits.append((hit, line, offset + hit.start))
        part.lines += chunk.count(b"\n")
        part.bytes += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return part


def is_gzip(path: Path) -> bool:
    """True when ``path`` starts with the gzip magic number."""
    with path.open("rb") as stream:
        return stream.read(2) == GZIP_MAGIC


def is_sqlite(path: Path) -> bool:
    """True when ``path`` is an SQLite database file."""
    with path.open("rb") as stream:
        return stream.read(16) == SQLITE_MAGIC


def scan_file(
    path: Path,
    kinds: frozenset[Kind],
    *,
    detail: int,
    progress: Callable[[int], None] | None,
    glued: bool = False,
) -> Part:
    """Scan a whole file (a gzip file decompressed) in this process; ``glued`` for a
    database file's raw bytes, where values sit side by side."""
    found = detector(kinds, glued=glued)
    if is_gzip(path):
        with gzip.open(path, "rb") as stream:
            return scan_stream(stream, found, detail=detail, progress=progress)  # type: ignore[arg-type]
    with path.open("rb") as stream:
        return scan_stream(stream, found, detail=detail, progress=progress)


def scan_range(path: str, start: int, stop: int, kinds: frozenset[Kind], detail: int) -> Part:
    """Scan the lines of ``path`` that start in ``[start, stop)`` (a worker process's share)."""
    with Path(path).open("rb") as stream:
        if start > 0:
            stream.seek(start - 1)
            stream.readline()  # the line that started before our range is the previous share's
        begin = stream.tell()
        if begin >= stop:
            return Part()
        part = scan_stream(stream, detector(kinds), detail=detail, limit=stop - begin)
    shifted = [(hit, line, offset + begin) for hit, line, offset in part.hits]
    return Part(part.counts, shifted, part.lines, part.bytes)


def ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """``parts`` byte ranges covering ``path``."""
    size = path.stat().st_size
    step = max(1, -(-size // parts))
    return [(start, min(size, start + step)) for start in range(0, size, step)]
