"""Reading files for the scanner: plain text, logs, CSV, JSON, gzip, any bytes; in chunks.

A file is read in chunks of 1 MiB (small enough to stay in the cache between the matcher
and the line count) cut at line breaks, so a value is never split between
two chunks and line numbers are exact. A large file is split into byte ranges (also cut at
line breaks) that worker processes scan side by side (``--jobs``); a gzip file is read as
one stream of its decompressed lines.
"""

from __future__ import annotations

import gzip
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BufferedIOBase
from pathlib import Path
from typing import Final

from klaremont.detectors.bulk import Detector, Hit, detector
from klaremont.detectors.kinds import Kind

CHUNK: Final = 1 << 20
GZIP_MAGIC: Final = b"\x1f\x8b"
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
NEWLINE: Final = 0x0A


@dataclass(slots=True)
class Part:
    """What a scan of one file (or one range of it) found; line numbers from its start."""

    counts: Counter[Kind] = field(default_factory=Counter)
    hits: list[tuple[Hit, int, int]] = field(default_factory=list)  # hit, line, file offset
    lines: int = 0
    bytes: int = 0


def blocks(stream: BufferedIOBase, size: int | None = None) -> Iterator[tuple[int, bytearray, int]]:
    """``(offset, buffer, stop)`` for each block of ``stream`` (``size`` bytes of it, or all):
    ``buffer[:stop]`` is whole lines, the last one ending with a line break (one is added when
    the stream has none). The buffer is read into in place and reused: only the unfinished
    last line of a block is moved, to the front, for the next. A line longer than a block is
    read in block-sized pieces."""
    buf = bytearray(CHUNK + 1)
    carry = offset = 0
    left = size
    with memoryview(buf) as view:
        while True:
            want = CHUNK - carry if left is None else min(CHUNK - carry, left)
            got = (stream.readinto(view[carry : carry + want]) or 0) if want > 0 else 0
            if left is not None:
                left -= got
            valid = carry + got
            if got == 0 or left == 0:
                if valid:
                    if buf[valid - 1] != NEWLINE:
                        buf[valid] = NEWLINE
                        valid += 1
                    yield offset, buf, valid
                return
            cut = buf.rfind(b"\n", 0, valid) + 1 or valid
            yield offset, buf, cut
            view[: valid - cut] = view[cut:valid]
            carry = valid - cut
            offset += cut


def scan_stream(
    stream: BufferedIOBase,
    found: Detector,
    *,
    detail: int,
    size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Part:
    """Scan ``stream`` (``size`` bytes of it, or all) block by block."""
    part = Part()
    for offset, buf, stop in blocks(stream, size):
        result = found.scan(buf, detail=max(0, detail - len(part.hits)), stop=stop)
        part.counts.update(result.counts)
        line = part.lines + 1
        cursor = 0
        for hit in result.hits:  # each byte's line breaks counted once
            line += buf.count(b"\n", cursor, hit.start)
            cursor = hit.start
            part.hits.append((hit, line, offset + hit.start))
        part.lines = line - 1 + buf.count(b"\n", cursor, stop)
        part.bytes += stop
        if progress is not None:
            progress(stop)
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
            return scan_stream(stream, found, detail=detail, progress=progress)
    with path.open("rb") as stream:
        return scan_stream(stream, found, detail=detail, progress=progress)


def scan_range(path: str, start: int, stop: int, kinds: frozenset[Kind], detail: int) -> Part:
    """Scan bytes ``[start, stop)`` of ``path``: whole lines (see :func:`ranges`), a worker
    process's share of a large file."""
    with Path(path).open("rb") as stream:
        stream.seek(start)
        part = scan_stream(stream, detector(kinds), detail=detail, size=stop - start)
    shifted = [(hit, line, offset + start) for hit, line, offset in part.hits]
    return Part(part.counts, shifted, part.lines, part.bytes)


def ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """Up to ``parts`` byte ranges covering ``path``, each starting at the start of a line."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as stream:
        for share in range(1, parts):
            stream.seek(max(cuts[-1], size * share // parts))
            stream.readline()
            at = stream.tell()
            if cuts[-1] < at < size:
                cuts.append(at)
    cuts.append(size)
    return list(itertools.pairwise(cuts))
