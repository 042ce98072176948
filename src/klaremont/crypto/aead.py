"""Sealing personal values with AES-256-GCM under a subject's data key.

A sealed value is laid out as::

    0x01 | data-key version (4 bytes, big-endian) | nonce (12 random bytes) | ciphertext+tag

The associated data binds the value to where it lives and whose it is::

    header | b"klaremont/v1" \\0 table \\0 column \\0 row id \\0 subject id

so a value copied to another row, column, table or subject, or with its header edited,
fails authentication instead of decrypting to someone else's data.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from klaremont.crypto.errors import CiphertextIntegrityError

if TYPE_CHECKING:
    import uuid

FORMAT_V1 = 0x01
NONCE_BYTES = 12
TAG_BYTES = 16
DATA_KEY_BYTES = 32
_HEADER = struct.Struct(">BI")
HEADER_BYTES = _HEADER.size
MIN_SEALED_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
AAD_PREFIX = b"klaremont/v1"


@dataclass(frozen=True, slots=True)
class DataKey:
    """One version of one subject's unwrapped data key, ready to seal and open values."""

    subject_id: uuid.UUID
    version: int
    aead: AESGCM = field(repr=False, compare=False)
    subject_tag: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # str(UUID) costs as much as the AES-GCM call itself: format it once per key.
        object.__setattr__(self, "subject_tag", str(self.subject_id).encode())

    @classmethod
    def from_bytes(cls, subject_id: uuid.UUID, version: int, key: bytes) -> DataKey:
        """Build from raw key bytes (the bytes themselves are not kept)."""
        if len(key) != DATA_KEY_BYTES:
            msg = f"a data key is {DATA_KEY_BYTES} bytes"
            raise ValueError(msg)
        return cls(subject_id=subject_id, version=version, aead=AESGCM(key))


def associated_data(table: str, column: str, row_id: object, subject_id: uuid.UUID) -> bytes:
    """The context a value is bound to: table, column, row and subject."""
    return _place(table, column, row_id, str(subject_id).encode())


def _place(table: str, column: str, row_id: object, subject_tag: bytes) -> bytes:
    return AAD_PREFIX + f"\x00{table}\x00{column}\x00{row_id}\x00".encode() + subject_tag


def seal_value(
    key: DataKey,
    table: str,
    column: str,
    row_id: object,
    plaintext: bytes,
    *,
    nonce_key: bytes | None = None,
) -> bytes:
    """Encrypt ``plaintext`` for one table, column and row of ``key``'s subject.

    The nonce is random, unless ``nonce_key`` is given: then it is a keyed digest of the
    associated data and the plaintext (a synthetic nonce, as in SIV), so the same value in
    the same place seals to the same bytes. A nonce repeats only for the same message in
    the same place, which reveals only that equality; sanitised copies use it so that the
    same source and run key give byte-identical copies.
    """
    header = _HEADER.pack(FORMAT_V1, key.version)
    aad = header + _place(table, column, row_id, key.subject_tag)
    if nonce_key is None:
        nonce = os.urandom(NONCE_BYTES)
    else:
        nonce = hashlib.blake2b(
            aad + b"\x00" + plaintext, key=nonce_key, digest_size=NONCE_BYTES
        ).digest()
    return header + nonce + key.aead.encrypt(nonce, plaintext, aad)


def sealed_version(sealed: bytes, table: str, column: str, row_id: object) -> int:
    """The data-key version a sealed value was made with; refuses a malformed value."""
    if len(sealed) < MIN_SEALED_BYTES:
        raise CiphertextIntegrityError.for_field(table, column, row_id, "truncated")
    fmt, version = _HEADER.unpack_from(sealed)
    if fmt != FORMAT_V1:
        raise CiphertextIntegrityError.for_field(table, column, row_id, "unknown format")
    return int(version)


def open_value(key: DataKey, table: str, column: str, row_id: object, sealed: bytes) -> bytes:
    """Decrypt a value sealed by :func:`seal_value` for exactly this place and subject."""
    version = sealed_version(sealed, table, column, row_id)
    if version != key.version:
        raise CiphertextIntegrityError.for_field(
            table, column, row_id, f"sealed with key version {version}, not {key.version}"
        )
    header = sealed[:HEADER_BYTES]
    nonce = sealed[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    aad = header + _place(table, column, row_id, key.subject_tag)
    try:
        return key.aead.decrypt(nonce, sealed[HEADER_BYTES + NONCE_BYTES :], aad)
    except InvalidTag:
        raise CiphertextIntegrityError.for_field(table, column, row_id) from None


# ---------------------------------------------------------------------- a column at a time
#: a key for a column's values: its AES-GCM object, data-key version and subject tag
ColumnKey = tuple[AESGCM, int, bytes]


def subject_tag(subject_hex: str) -> bytes:
    """The subject part of the associated data, from an id's 32 hex digits."""
    h = subject_hex.lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}".encode()


def open_column(  # noqa: PLR0917 - open_value's arguments, and the keys looked up before
    table: str,
    column: str,
    row_ids: Sequence[str],
    sealed: Sequence[bytes | None],
    key_for: Callable[[int, int], ColumnKey],
    row_keys: Sequence[ColumnKey | None] | None = None,
) -> list[bytes | None]:
    """:func:`open_value` over one column of a batch: ``row_ids`` are the rows' ids as
    text, ``key_for(i, version)`` the key of row ``i``'s subject. The same checks, the
    same associated data, the same errors; the place's bytes built once, not per value.
    ``row_keys``: each row's key looked up beforehand (once for every column of a batch),
    used when its version is the value's (else, or when ``None``, ``key_for`` is asked)."""
    middle = AAD_PREFIX + f"\x00{table}\x00{column}\x00".encode()
    header_of = _HEADER.unpack_from
    out: list[bytes | None] = []
    add = out.append
    for at, (value, row_id) in enumerate(zip(sealed, row_ids, strict=True)):
        if value is None:
            add(None)
            continue
        data = value if value.__class__ is bytes else bytes(value)
        if len(data) < MIN_SEALED_BYTES:
            raise CiphertextIntegrityError.for_field(table, column, row_id, "truncated")
        fmt, version = header_of(data)
        if fmt != FORMAT_V1:
            raise CiphertextIntegrityError.for_field(table, column, row_id, "unknown format")
        key = None if row_keys is None else row_keys[at]
        if key is None or key[1] != version:
            key = key_for(at, version)
        aead, key_version, tag = key
        if key_version != version:
            reason = f"sealed with key version {version}, not {key_version}"
            raise CiphertextIntegrityError.for_field(table, column, row_id, reason)
        aad = data[:HEADER_BYTES] + middle + row_id.encode() + b"\x00" + tag
        try:
            add(aead.decrypt(data[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES],
                             data[HEADER_BYTES + NONCE_BYTES :], aad))  # fmt: skip
        except InvalidTag:
            raise CiphertextIntegrityError.for_field(table, column, row_id) from None
    return out


def seal_column(
    table: str,
    column: str,
    row_ids: Sequence[str],
    plaintexts: Sequence[bytes | None],
    key_for: Callable[[int], ColumnKey],
    *,
    nonce_key: bytes,
) -> list[bytes | None]:
    """:func:`seal_value` with a synthetic nonce over one column of a batch (``key_for(i)``
    the key of row ``i``'s subject): the same bytes, value for value."""
    middle = AAD_PREFIX + f"\x00{table}\x00{column}\x00".encode()
    # the nonce key absorbed once; each value's digest starts from a copy of that state
    keyed = hashlib.blake2b(key=nonce_key, digest_size=NONCE_BYTES)
    headers: dict[int, bytes] = {}
    out: list[bytes | None] = []
    add = out.append
    for at, (plaintext, row_id) in enumerate(zip(plaintexts, row_ids, strict=True)):
        if plaintext is None:
            add(None)
            continue
        aead, version, tag = key_for(at)
        header = headers.get(version)
        if header is None:
            header = headers[version] = _HEADER.pack(FORMAT_V1, version)
        aad = header + middle + row_id.encode() + b"\x00" + tag
        mac = keyed.copy()
        mac.update(aad + b"\x00" + plaintext)
        nonce = mac.digest()
        add(header + nonce + aead.encrypt(nonce, plaintext, aad))
    return out
