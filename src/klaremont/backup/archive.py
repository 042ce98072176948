"""The encrypted backup file: AES-256-GCM in chunks, streamed, under the backup's own key.

Layout::

    MAGIC (8) | header length (4, big-endian) | header (JSON) | frame | frame | ...
    frame := ciphertext length (4, big-endian) | AES-256-GCM(chunk) with its 16-byte tag

Each chunk's plaintext is one part tag byte (``D`` data store, ``K`` keystore, ``C``
checkpoint file, ``M`` manifest) and up to :data:`CHUNK` bytes of that part. Chunk ``i``'s
nonce is ``prefix (7 random bytes) | i (4 bytes) | last (1 byte)`` and its associated data
is the magic and the header, so (the STREAM construction) a chunk cannot be edited, moved,
dropped, repeated, or taken from another backup, the header cannot be edited, and the
file cannot be cut short: only the manifest chunk is marked last, and a reader refuses a
file that ends before it or goes on after it. Every chunk is checked before its bytes are
used. The chunks are sealed and opened by :mod:`klaremont.crypto.stream` (shared with
incident evidence files). Nothing here knows about databases; :mod:`klaremont.backup.service`
does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from klaremont.crypto.stream import LENGTH, PREFIX_BYTES, TAG_BYTES, Opener, Sealer, new_prefix
from klaremont.errors import Conflict

MAGIC = b"KLMBAK2\n"
FORMAT = 2
CHUNK = 1 << 20
MAX_HEADER = 4096
_LENGTH = LENGTH
PART_DATA = b"D"
PART_KEYSTORE = b"K"
PART_CHECKPOINTS = b"C"
PART_MANIFEST = b"M"
PARTS = (PART_DATA, PART_KEYSTORE, PART_CHECKPOINTS, PART_MANIFEST)


class BackupInvalid(Conflict):
    """A backup file is not one, is damaged or altered, or does not fit this platform."""

    code = "backup-invalid"
    title = "Backup failed its checks"


@dataclass(frozen=True)
class PartInfo:
    """One part's plaintext size and SHA-256 (recorded in the manifest)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Header:
    """The clear header: which backup and how it is sealed (no key material)."""

    backup_id: str
    prefix: bytes

    def encode(self) -> bytes:
        """The header's bytes as written."""
        payload = {
            "format": FORMAT,
            "backup_id": self.backup_id,
            "cipher": "AES-256-GCM-STREAM",
            "chunk": CHUNK,
            "nonce_prefix": base64.b64encode(self.prefix).decode(),
        }
        return json.dumps(payload, sort_keys=True).encode()


def is_encrypted(path_head: bytes) -> bool:
    """True when the first bytes are this format's magic."""
    return path_head.startswith(MAGIC)


class Writer:
    """Writes parts into an open binary file, chunk by chunk."""

    def __init__(self, target: IO[bytes], key: bytes, backup_id: str) -> None:
        """Start the file: magic and header; ``key`` is the 32-byte backup key."""
        self._target = target
        self._header = Header(backup_id, new_prefix())
        encoded = self._header.encode()
        self._sealer = Sealer(AESGCM(key), self._header.prefix, MAGIC + encoded)
        self.written = 0
        target.write(MAGIC + _LENGTH.pack(len(encoded)) + encoded)

    def _frame(self, tag: bytes, data: bytes, *, last: bool) -> None:
        self._target.write(self._sealer.frame(tag + data, last=last))
        self.written += len(data)

    def write_part(
        self, tag: bytes, source: IO[bytes], on_chunk: Callable[[int], None]
    ) -> PartInfo:
        """Copy ``source`` to its end as part ``tag``; ``on_chunk`` hears each chunk's size."""
        digest = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: source.read(CHUNK), b""):
            self._frame(tag, chunk, last=False)
            digest.update(chunk)
            size += len(chunk)
            on_chunk(len(chunk))
        return PartInfo(size=size, sha256=digest.hexdigest())

    def finish(self, manifest: bytes) -> None:
        """Write the manifest as the last chunk; the file is complete after this."""
        self._frame(PART_MANIFEST, manifest, last=True)


def _read_exact(source: IO[bytes], size: int, name: str) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupInvalid(f"{name}: the file is cut short (incomplete or damaged)")
    return data


def read_header(source: IO[bytes], name: str) -> tuple[Header, bytes]:
    """The header and the associated data of every chunk; refuses a file of another kind."""
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupInvalid(f"{name}: not an encrypted Klaremont backup")
    (length,) = _LENGTH.unpack(_read_exact(source, _LENGTH.size, name))
    if length > MAX_HEADER:
        raise BackupInvalid(f"{name}: the header is damaged")
    encoded = _read_exact(source, length, name)
    try:
        data = json.loads(encoded)
        header = Header(str(data["backup_id"]), base64.b64decode(data["nonce_prefix"]))
        supported = data["format"] == FORMAT and len(header.prefix) == PREFIX_BYTES
    except (ValueError, KeyError, TypeError):
        raise BackupInvalid(f"{name}: the header is damaged") from None
    if not supported:
        raise BackupInvalid(f"{name}: a backup format this version does not read")
    return header, MAGIC + encoded


def chunks(source: IO[bytes], key: bytes, name: str) -> Iterator[tuple[bytes, bytes, int]]:
    """Every chunk as (part tag, plaintext, bytes of the file read so far), each one checked.

    Raises :class:`BackupInvalid` on a wrong key, an altered or reordered chunk, a file cut
    short or one with bytes after its last chunk.
    """
    header, aad = read_header(source, name)
    opener = Opener(AESGCM(key), header.prefix, aad)
    position = len(aad) + _LENGTH.size
    index = 0
    while True:
        (length,) = _LENGTH.unpack(_read_exact(source, _LENGTH.size, name))
        if length < TAG_BYTES + 1 or length > CHUNK + TAG_BYTES + 1:
            raise BackupInvalid(f"{name}: chunk {index} is damaged")
        sealed = _read_exact(source, length, name)
        position += _LENGTH.size + length
        plain, last = _open(opener, index=index, sealed=sealed, name=name)
        tag, data = plain[:1], plain[1:]
        if tag not in PARTS or (tag == PART_MANIFEST) != last:
            raise BackupInvalid(f"{name}: chunk {index} is out of place")
        yield tag, data, position
        index += 1
        if last:
            if source.read(1):
                raise BackupInvalid(f"{name}: bytes follow the end of the backup (altered)")
            return


def _open(opener: Opener, *, index: int, sealed: bytes, name: str) -> tuple[bytes, bool]:
    opened = opener.open(sealed)
    if opened is not None:
        return opened
    if index == 0:
        raise BackupInvalid(
            f"{name}: cannot be decrypted with its backup key (a different key, "
            "or the file was altered)"
        )
    raise BackupInvalid(
        f"{name}: chunk {index} failed its integrity check (the file was altered or damaged)"
    )
