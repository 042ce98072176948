"""Files sealed in chunks with AES-256-GCM: the STREAM construction, shared by the encrypted
backups (:mod:`klaremont.backup.archive`) and incident evidence files.

A sealed stream is a sequence of frames, each ``length (4, big-endian) | AES-256-GCM(chunk)
with its 16-byte tag``. Chunk ``i``'s nonce is ``prefix (7 random bytes) | i (4 bytes) |
last (1 byte)`` and every chunk is bound to the same associated data (the file's clear
header), so a chunk cannot be edited, moved, dropped, repeated or taken from another file,
and the stream cannot be cut short or extended: exactly one chunk is marked last and a
reader refuses a stream that ends before it or goes on after it.

This module seals and opens frames; the file formats around it (magic, header, what a chunk
holds, the errors a person reads) belong to their callers. The key is the caller's: a
backup's own key, or an evidence file's data key from the keystore, both wrapped by the KEK.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX_BYTES = 7
TAG_BYTES = 16
LENGTH = struct.Struct(">I")
_COUNTER = struct.Struct(">IB")


def new_prefix() -> bytes:
    """A fresh random nonce prefix for one stream."""
    return os.urandom(PREFIX_BYTES)


def nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    """The nonce of chunk ``index`` (``last`` marks the final chunk)."""
    return prefix + _COUNTER.pack(index, 1 if last else 0)


class Sealer:
    """Seals the chunks of one stream in order."""

    def __init__(self, aead: AESGCM, prefix: bytes, aad: bytes) -> None:
        """``aead`` holds the stream's key; ``aad`` is what every chunk is bound to."""
        self._aead = aead
        self._prefix = prefix
        self._aad = aad
        self.index = 0

    def frame(self, plain: bytes, *, last: bool) -> bytes:
        """The next chunk sealed, with its length in front, ready to write."""
        sealed = self._aead.encrypt(nonce(self._prefix, self.index, last=last), plain, self._aad)
        self.index += 1
        return LENGTH.pack(len(sealed)) + sealed


class Opener:
    """Opens the chunks of one stream in order, checking each before its bytes are used."""

    def __init__(self, aead: AESGCM, prefix: bytes, aad: bytes) -> None:
        """The same key, prefix and associated data the stream was sealed with."""
        self._aead = aead
        self._prefix = prefix
        self._aad = aad
        self.index = 0

    def open(self, sealed: bytes) -> tuple[bytes, bool] | None:
        """The next chunk's plaintext and whether it is the last one; ``None`` when it fails
        its check (altered, out of place, another key or another file)."""
        for last in (False, True):
            try:
                plain = self._aead.decrypt(
                    nonce(self._prefix, self.index, last=last), sealed, self._aad
                )
            except InvalidTag:
                continue
            self.index += 1
            return plain, last
        return None
