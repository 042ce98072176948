"""An evidence file on disk: sealed in chunks with AES-256-GCM under its own data key.

Layout (the STREAM construction of :mod:`klaremont.crypto.stream`, as the backups use it)::

    MAGIC (8) | header length (4, big-endian) | header (JSON) | frame | frame | ...

The clear header names the evidence item, the version of its data key and the nonce
prefix; it is the associated data of every chunk, so a file renamed to another item, a
chunk edited, moved, dropped or repeated, or a file cut short or extended fails its check.
Each chunk holds up to :data:`CHUNK` bytes of the plaintext; an empty file is one empty
last chunk. The data key is a keystore key of its own (subject: the evidence item's id),
wrapped by the KEK, so ``klaremont keys rotate`` re-wraps it and no KEK that still wraps
one can be retired.

Nothing here knows about incidents or who may read what:
:mod:`klaremont.incidents.evidence` does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol

from klaremont.crypto.stream import LENGTH, PREFIX_BYTES, TAG_BYTES, Opener, Sealer, new_prefix

if TYPE_CHECKING:
    import uuid

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"KLMEVD1\n"
FORMAT = 1
CHUNK = 1 << 20
MAX_HEADER = 1024
KeyFor = Callable[[int], "AESGCM"]


class TooLarge(Exception):
    """The plaintext went over the limit while it was read."""


class Damaged(Exception):
    """The stored file is not what was sealed; ``why`` says where and how."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True, slots=True)
class Intake:
    """What was sealed: the plaintext's size and SHA-256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Header:
    """The clear header: which item, which key version, the nonce prefix."""

    evidence_id: str
    key_version: int
    prefix: bytes

    def encode(self) -> bytes:
        """The header's bytes as written."""
        payload = {
            "format": FORMAT,
            "evidence": self.evidence_id,
            "key_version": self.key_version,
            "cipher": "AES-256-GCM-STREAM",
            "chunk": CHUNK,
            "nonce_prefix": base64.b64encode(self.prefix).decode(),
        }
        return json.dumps(payload, sort_keys=True).encode()


class Readable(Protocol):
    """What a file being taken in needs to be: readable (an upload, or one read through a
    scan)."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; empty at the end."""
        ...


def _read_full(source: Readable, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of ``source``."""
    parts: list[bytes] = []
    wanted = size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def seal(  # noqa: PLR0917 - the two files, the key and what binds them
    source: Readable,
    target: IO[bytes],
    aead: AESGCM,
    evidence_id: uuid.UUID,
    key_version: int,
    limit: int,
) -> Intake:
    """Seal ``source`` (read to its end) into ``target``; :class:`TooLarge` past ``limit``."""
    header = Header(str(evidence_id), key_version, new_prefix())
    encoded = header.encode()
    target.write(MAGIC + LENGTH.pack(len(encoded)) + encoded)
    sealer = Sealer(aead, header.prefix, MAGIC + encoded)
    digest = hashlib.sha256()
    size = 0
    chunk = _read_full(source, CHUNK)
    while True:
        size += len(chunk)
        if size > limit:
            raise TooLarge
        following = _read_full(source, CHUNK) if len(chunk) == CHUNK else b""
        digest.update(chunk)
        last = not following
        target.write(sealer.frame(chunk, last=last))
        if last:
            return Intake(size, digest.hexdigest())
        chunk = following


def read_header(source: IO[bytes]) -> tuple[Header, bytes]:
    """The header and the associated data of every chunk; :class:`Damaged` if unreadable."""
    if _read_full(source, len(MAGIC)) != MAGIC:
        raise Damaged("the stored file is not an evidence file (its first bytes were changed)")
    raw = _read_full(source, LENGTH.size)
    if len(raw) != LENGTH.size:
        raise Damaged("the stored file is cut short (its header is incomplete)")
    (length,) = LENGTH.unpack(raw)
    encoded = _read_full(source, length) if length <= MAX_HEADER else b""
    try:
        data = json.loads(encoded)
        header = Header(
            str(data["evidence"]), int(data["key_version"]), base64.b64decode(data["nonce_prefix"])
        )
        fits = data["format"] == FORMAT and len(header.prefix) == PREFIX_BYTES
    except (ValueError, KeyError, TypeError):
        raise Damaged("the stored file's header was changed") from None
    if not fits:
        raise Damaged("the stored file's header was changed")
    return header, MAGIC + encoded


def _where(index: int) -> str:
    start = index * CHUNK
    return f"chunk {index + 1} (bytes {start:,} to {start + CHUNK - 1:,} of the content)"


def plaintext(source: IO[bytes], key_for: KeyFor, evidence_id: uuid.UUID) -> Iterator[bytes]:
    """The file's content, chunk by chunk, each checked before it is yielded."""
    header, aad = read_header(source)
    if header.evidence_id != str(evidence_id):
        raise Damaged("the stored file belongs to another evidence item (swapped on disk)")
    opener = Opener(key_for(header.key_version), header.prefix, aad)
    index = 0
    while True:
        raw = _read_full(source, LENGTH.size)
        if len(raw) != LENGTH.size:
            raise Damaged(f"the stored file is cut short: it ends before {_where(index)}")
        (length,) = LENGTH.unpack(raw)
        if length < TAG_BYTES or length > CHUNK + TAG_BYTES:
            raise Damaged(f"{_where(index)} was changed (its length is damaged)")
        sealed = _read_full(source, length)
        if len(sealed) != length:
            raise Damaged(f"the stored file is cut short inside {_where(index)}")
        opened = opener.open(sealed)
        if opened is None:
            raise Damaged(f"{_where(index)} failed its integrity check: a byte of it was changed")
        chunk, last = opened
        yield chunk
        if last:
            if source.read(1):
                raise Damaged("bytes were added after the end of the stored file")
            return
        index += 1


def digest_of(source: IO[bytes], key_for: KeyFor, evidence_id: uuid.UUID) -> Intake:
    """Decrypt the whole file and hash it (:class:`Damaged` if it fails on the way)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in plaintext(source, key_for, evidence_id):
        digest.update(chunk)
        size += len(chunk)
    return Intake(size, digest.hexdigest())
