"""The audit archive on disk: segment files and their signed manifest.

The archive lives in ``archive/`` beside the checkpoint file (both outside the database, and
outside its backups). A *segment* holds a contiguous range of events ``lo``..``hi`` as gzip
JSON lines, one object per event with every stored column exactly as stored (so each hash
recomputes), written to a temporary file, fsynced and renamed into place (mode 0600, in a
0700 directory). Its *manifest line* in ``manifest.jsonl`` says, signed with the audit
signing key (like a checkpoint, under its own domain)::

    {"at", "events", "file", "first_at", "first_prev_hash", "hi", "key_id", "kind",
     "last_at", "last_hash", "lo", "sha256", "sig"}

``kind`` is ``"segment"``; a ``"disposed"`` line with the same fields says the segment's
file was deleted at the end of the retention period (``at`` is when). The ``last_hash``
seals event ``hi`` as a checkpoint would, so the chain stays provable from the archive
onwards even when the segment itself is gone. Lines are appended with ``O_APPEND`` and
``fsync``; nothing in the archive is ever rewritten.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from klaremont.audit.checkpoints import PRIVATE_DIR_MODE, PRIVATE_MODE, signature_valid
from klaremont.audit.encoding import STORED_COLUMNS, recompute_row_hash

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from klaremont.audit.checkpoints import CheckpointSigner

DOMAIN = b"klaremont-audit-archive-v1\n"
ARCHIVE_DIR = "archive"
MANIFEST = "manifest.jsonl"
Kind = Literal["segment", "disposed"]
_FIELDS = frozenset(
    {
        "at",
        "events",
        "file",
        "first_at",
        "first_prev_hash",
        "hi",
        "key_id",
        "kind",
        "last_at",
        "last_hash",
        "lo",
        "sha256",
        "sig",
    }
)
_HEX = frozenset("0123456789abcdef")
_READ = 1 << 20


def archive_dir(checkpoint_file: Path) -> Path:
    """Where the archive of the log sealed in ``checkpoint_file`` lives."""
    return checkpoint_file.parent / ARCHIVE_DIR


def segment_name(lo: int, hi: int) -> str:
    """The file name of the segment holding events ``lo``..``hi``."""
    return f"segment-{lo:012d}-{hi:012d}.jsonl.gz"


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """One signed manifest line; ``line`` is its 1-based number in the file (0: not read)."""

    kind: Kind
    lo: int
    hi: int
    first_prev_hash: str
    last_hash: str
    file: str
    sha256: str
    events: int
    first_at: str
    last_at: str
    at: str
    key_id: str
    sig: str = ""
    line: int = 0

    @property
    def span(self) -> str:
        """``#lo-#hi`` for messages."""
        return f"#{self.lo}-#{self.hi}"

    def body(self) -> dict[str, Any]:
        """Every signed field."""
        fields = asdict(self)
        del fields["sig"], fields["line"]
        return fields

    def message(self) -> bytes:
        """The signed bytes."""
        return DOMAIN + json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode()

    def to_line(self) -> bytes:
        """The JSON line written to the manifest."""
        body = {**self.body(), "sig": self.sig}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode() + b"\n"

    def signed(self, signer: CheckpointSigner) -> ArchiveRecord:
        """This record signed by ``signer``."""
        unsigned = replace(self, key_id=signer.key_id, sig="")
        return replace(unsigned, sig=signer.sign_message(unsigned.message()))

    def signature_valid(self, trusted: Mapping[str, Ed25519PublicKey]) -> bool:
        """True when a trusted key signed exactly these fields."""
        key = trusted.get(self.key_id)
        return key is not None and signature_valid(key, self.sig, self.message())


@dataclass(frozen=True, slots=True)
class BadLine:
    """A manifest line that is not a well-formed record."""

    line: int
    reason: str


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)  # noqa: PLR2004 - SHA-256 hex


def _parse(number: int, raw: bytes) -> ArchiveRecord | BadLine:  # noqa: PLR0911 - one return per rule, each naming it
    try:
        body = json.loads(raw)
    except ValueError:
        return BadLine(number, "not JSON")
    if not isinstance(body, dict) or set(body) != _FIELDS:
        return BadLine(number, "not an archive record")
    ints = (body["lo"], body["hi"], body["events"])
    if not all(type(v) is int for v in ints) or not 1 <= body["lo"] <= body["hi"]:
        return BadLine(number, "lo, hi and events must be integers with 1 <= lo <= hi")
    if body["kind"] not in {"segment", "disposed"}:
        return BadLine(number, "kind must be segment or disposed")
    if not all(_is_hash(body[k]) for k in ("first_prev_hash", "last_hash", "sha256")):
        return BadLine(number, "hashes must be 64 lower-case hex digits")
    texts = ("file", "first_at", "last_at", "at", "key_id", "sig")
    if not all(isinstance(body[k], str) for k in texts):
        return BadLine(number, f"{', '.join(texts)} must be text")
    if body["file"] != segment_name(body["lo"], body["hi"]):
        return BadLine(number, "file does not name the segment of lo..hi")
    return ArchiveRecord(**body, line=number)


def read_manifest(directory: Path) -> tuple[list[ArchiveRecord], list[BadLine]]:
    """Every record in the manifest (file order) and every line that is not one."""
    path = directory / MANIFEST
    data = path.read_bytes() if path.exists() else b""
    records: list[ArchiveRecord] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        parsed = _parse(number, raw)
        if isinstance(parsed, ArchiveRecord):
            records.append(parsed)
        else:
            bad.append(parsed)
    return records, bad


def manifest_extent(directory: Path) -> tuple[int, int]:
    """The last event the manifest lists and how many events its kept segments hold (read
    without checking signatures: for planning a verification, not as evidence)."""
    records, _bad = read_manifest(directory)
    disposed = {r.lo for r in records if r.kind == "disposed"}
    kept = {r.lo: r.events for r in records if r.kind == "segment" and r.lo not in disposed}
    return max((r.hi for r in records), default=0), sum(kept.values())


def make_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) owner-only, 0700."""
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    directory.chmod(PRIVATE_DIR_MODE)


def fsync_dir(directory: Path) -> None:
    """Make a rename or an unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_record(directory: Path, record: ArchiveRecord) -> None:
    """Append one signed line to the manifest (``O_APPEND``, ``fsync``)."""
    make_private_dir(directory)
    fd = os.open(directory / MANIFEST, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_MODE)
    try:
        os.write(fd, record.to_line())
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_row(row: Mapping[str, Any]) -> bytes:
    """One event as its segment line: every stored column, as stored."""
    body = {name: row[name] for name in STORED_COLUMNS}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


def write_segment(directory: Path, name: str, lines: Iterable[bytes]) -> str:
    """Write a segment atomically (temporary file, fsync, rename, fsync of the directory);
    its SHA-256. An existing file of that name (from a run that stopped before its manifest
    line) is replaced."""
    make_private_dir(directory)
    temp = directory / f".{name}.{os.getpid()}.tmp"
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as raw:
            # mtime 0 and no name: the same events always give the same bytes
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
                for line in lines:
                    packed.write(line)
            raw.flush()
            os.fsync(raw.fileno())
        digest = file_sha256(temp)
        temp.replace(directory / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return digest


class SegmentUnreadable(ValueError):
    """A segment file that cannot be decompressed or parsed (the message says where)."""


def read_segment(path: Path) -> Iterator[dict[str, Any]]:
    """The events stored in a segment file, in file order."""
    try:
        with gzip.open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    row = json.loads(raw)
                except ValueError:
                    msg = f"line {number} is not JSON"
                    raise SegmentUnreadable(msg) from None
                if not isinstance(row, dict) or set(row) != set(STORED_COLUMNS):
                    msg = f"line {number} is not an event"
                    raise SegmentUnreadable(msg)
                yield row
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"not a readable gzip file ({type(exc).__name__})"
        raise SegmentUnreadable(msg) from None


@dataclass
class SegmentCheck:
    """What re-reading a segment found: the first problem (if any) and at which event."""

    problem: str | None = None
    seq: int | None = None
    events: int = 0


def check_segment(  # noqa: PLR0911 - one return per kind of problem, each naming it
    path: Path,
    record: ArchiveRecord,
    wanted: Iterable[int] = (),
    found: dict[int, str] | None = None,
) -> SegmentCheck:
    """Re-read a segment against its record: every event re-hashed and chained from
    ``first_prev_hash``, ``lo``..``hi`` without a gap, ending at ``last_hash``. The hashes of
    the ``wanted`` events are put in ``found`` (for checkpoints of archived events)."""
    want = {seq for seq in wanted if record.lo <= seq <= record.hi}
    result = SegmentCheck()
    prev, expected = record.first_prev_hash, record.lo
    try:
        for row in read_segment(path):
            if row["seq"] != expected:
                return SegmentCheck(f"event #{expected} is missing from the file", expected)
            if row["prev_hash"] != prev:
                return SegmentCheck(f"event #{expected} does not link to the one before", expected)
            if recompute_row_hash(row) != row["hash"]:
                return SegmentCheck(
                    f"event #{expected}'s fields no longer match its hash", expected
                )
            if expected in want and found is not None:
                found[expected] = row["hash"]
            prev = row["hash"]
            expected += 1
            result.events += 1
    except SegmentUnreadable as exc:
        return SegmentCheck(str(exc), expected)
    if expected != record.hi + 1:
        return SegmentCheck(f"the file ends at event #{expected - 1}", expected)
    if prev != record.last_hash or result.events != record.events:
        return SegmentCheck("the last event's hash differs from the signed one", record.hi)
    return result
