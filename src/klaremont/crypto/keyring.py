"""Key-encryption keys (KEKs): the keys that wrap every subject's data key.

A :class:`KeyRing` holds one or more 256-bit KEKs, exactly one of them active, and the
blind-index key. It comes either from ``KLAREMONT_KEK`` (one KEK given directly; the
blind-index key is derived from it with HKDF) or from a key file (see
:mod:`klaremont.crypto.keyfile`), created owner-only on first start.

Rotation and retirement rewrite the key file atomically under an advisory lock, so several
processes can share it; each process notices a rewritten file on its next wrap, or when it
meets a KEK id it does not hold.

Key material never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from typing import TYPE_CHECKING, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from klaremont.clock import Clock, SystemClock
from klaremont.crypto.errors import CiphertextIntegrityError, KeyRetirementRefused, UnknownKey
from klaremont.crypto.keyfile import (
    KEY_BYTES,
    FileSignature,
    KeySet,
    create_key_file,
    exclusive_lock,
    read_key_file,
    signature,
    write_atomically,
)
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from pathlib import Path

    from klaremont.config import Settings

NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_KEY_INFO = b"klaremont blind index v1"
_WRAP_AAD_PREFIX = b"klaremont/kek-wrap/v1\x00"


class KeyRing:
    """The installation's key-encryption keys (one active) and its blind-index key."""

    __slots__ = ("_clock", "_file_sig", "_key_file", "_lock", "_state")

    def __init__(
        self,
        keyset: KeySet,
        *,
        key_file: Path | None = None,
        file_sig: FileSignature | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Wrap validated key material; build rings with :meth:`from_settings` and friends."""
        self._state = keyset
        self._key_file = key_file
        self._file_sig = file_sig
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> KeyRing:
        """The ring for these settings: ``settings.kek`` if given, else the key file."""
        if settings.kek is not None:
            return cls.from_kek(settings.kek.get_secret_value(), clock=clock)
        if settings.key_file is None:  # the settings validator always fills it
            raise ConfigurationError("KLAREMONT_KEY_FILE: no key file and no KLAREMONT_KEK")
        return cls.load_or_create(settings.key_file, clock=clock)

    @classmethod
    def from_kek(cls, kek_b64: str, *, clock: Clock | None = None) -> KeyRing:
        """A single-KEK ring from base64 text; the blind-index key is derived with HKDF."""
        try:
            kek = base64.b64decode(kek_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            kek = b""
        if len(kek) != KEY_BYTES:
            raise ConfigurationError(
                f"KLAREMONT_KEK must be {KEY_BYTES} random bytes in base64 (44 characters), "
                "e.g. from: python -c "
                "'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'"
            )
        kek_id = "kek-env-" + hashlib.sha256(b"klaremont kek id v1\x00" + kek).hexdigest()[:8]
        index_key = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=INDEX_KEY_INFO
        ).derive(kek)
        keyset = KeySet.build(kek_id, {kek_id: kek}, index_key, where="KLAREMONT_KEK")
        return cls(keyset, clock=clock)

    @classmethod
    def load_or_create(cls, path: Path, *, clock: Clock | None = None) -> KeyRing:
        """Load the key file, creating it (0600, in a 0700 directory) if it does not exist."""
        clock = clock or SystemClock()
        if not path.exists():
            kek_id = _new_kek_id(clock, ())
            keks = {kek_id: AESGCM.generate_key(bit_length=256)}
            index_key = secrets.token_bytes(KEY_BYTES)
            create_key_file(path, KeySet.build(kek_id, keks, index_key, where="new key file"))
        return cls.load(path, clock=clock)

    @classmethod
    def load(cls, path: Path, *, clock: Clock | None = None) -> KeyRing:
        """Load an existing key file, refusing one that group or others may access."""
        keyset, sig = read_key_file(path)
        return cls(keyset, key_file=path, file_sig=sig, clock=clock)

    # ------------------------------------------------------------------ reading
    @property
    def active_id(self) -> str:
        """Id of the KEK that wraps new data keys."""
        return self._state.active

    @property
    def kek_ids(self) -> tuple[str, ...]:
        """Ids of every KEK in the ring, sorted."""
        return tuple(sorted(self._state.keks))

    @property
    def index_key(self) -> bytes:
        """The key of the HMAC blind index."""
        return self._state.index_key

    @property
    def key_file(self) -> Path | None:
        """The key file, or None when the KEK came from ``KLAREMONT_KEK``."""
        return self._key_file

    def __repr__(self) -> str:
        source = f"file {self._key_file}" if self._key_file else "KLAREMONT_KEK"
        count = len(self._state.keks)
        return f"KeyRing(active={self.active_id!r}, keks={count}, source={source!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        """Refuse pickling and copying: key material stays in this one object."""
        raise TypeError("a KeyRing cannot be pickled or copied")

    # ------------------------------------------------------------------ wrapping
    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypt a data key under the active KEK; returns (kek id, nonce | ciphertext)."""
        self.refresh()
        state = self._state
        nonce = os.urandom(NONCE_BYTES)
        sealed = state.aeads[state.active].encrypt(nonce, data_key, _wrap_aad(state.active, aad))
        return state.active, nonce + sealed

    def wrap_synthetic_many(self, keys: list[tuple[bytes, bytes]]) -> list[tuple[str, bytes]]:
        """:meth:`wrap` of many (data key, AAD) pairs, each with a nonce derived from the
        KEK, the AAD and the key (SIV-like): the same data key for the same subject and
        version wraps to the same bytes (what a reproducible sanitised copy needs); a nonce
        repeats only for the same key and AAD. The key file is looked at once."""
        self.refresh()
        state = self._state
        kek, aead = state.keks[state.active], state.aeads[state.active]
        out = []
        for data_key, aad in keys:
            aad_full = _wrap_aad(state.active, aad)
            nonce = hmac.digest(kek, b"synthetic nonce\x00" + aad_full + data_key, "sha256")
            out.append(
                (
                    state.active,
                    nonce[:NONCE_BYTES] + aead.encrypt(nonce[:NONCE_BYTES], data_key, aad_full),
                )
            )
        return out

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped data key; the AAD and KEK id must match those used to wrap it."""
        aead = self._state.aeads.get(kek_id)
        if aead is None:
            self.refresh()  # another process may have rotated the key file
            aead = self._state.aeads.get(kek_id)
        if aead is None:
            raise UnknownKey(
                f"key-encryption key {kek_id!r} is not in the key ring "
                "(retired, or from another installation)"
            )
        if len(wrapped) < NONCE_BYTES + TAG_BYTES:
            raise CiphertextIntegrityError(f"wrapped data key under {kek_id!r} is truncated")
        try:
            nonce, body = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
            return aead.decrypt(nonce, body, _wrap_aad(kek_id, aad))
        except InvalidTag:
            raise CiphertextIntegrityError(
                f"wrapped data key under {kek_id!r} failed its integrity check "
                "(altered, or copied from another subject or version)"
            ) from None

    # ------------------------------------------------------------------ changing the ring
    def rotate(self) -> str:
        """Add a new KEK, make it active, persist the key file; returns the new KEK id."""
        with self._locked_file() as current:
            kek_id = _new_kek_id(self._clock, current.keks)
            keks = {**current.keks, kek_id: AESGCM.generate_key(bit_length=256)}
            self._store(KeySet.build(kek_id, keks, current.index_key, where="rotation"))
            return kek_id

    def retire(self, kek_id: str) -> None:
        """Remove a KEK; refused for the active one (data keys it wraps become unreadable)."""
        with self._locked_file() as current:
            if kek_id not in current.keks:
                raise UnknownKey(f"key-encryption key {kek_id!r} is not in the key ring")
            if kek_id == current.active:
                raise KeyRetirementRefused(
                    f"{kek_id!r} is the active key-encryption key; rotate first, then retire it"
                )
            keks = {k: v for k, v in current.keks.items() if k != kek_id}
            self._store(KeySet.build(current.active, keks, current.index_key, where="retirement"))

    def refresh(self) -> None:
        """Reload the key file if another process rewrote it (a cheap ``stat`` otherwise)."""
        path = self._key_file
        if path is None:
            return
        try:
            sig = signature(path.stat())
        except FileNotFoundError:
            return  # keep what we hold; the next load reports the missing file
        if sig == self._file_sig:
            return
        with self._lock:
            self._state, self._file_sig = read_key_file(path)

    @contextlib.contextmanager
    def _locked_file(self) -> Iterator[KeySet]:
        path = self._key_file
        if path is None:
            raise ConfigurationError(
                "the key-encryption key comes from KLAREMONT_KEK, so it cannot be rotated or "
                "retired here; move to a key file (KLAREMONT_KEY_FILE) to manage keys"
            )
        with self._lock, exclusive_lock(path):
            keyset, self._file_sig = read_key_file(path)
            self._state = keyset
            yield keyset

    def _store(self, keyset: KeySet) -> None:
        path = self._key_file
        if path is None:  # guarded by _locked_file
            raise AssertionError
        self._file_sig = write_atomically(path, keyset.serialise(), replace=True)
        self._state = keyset


# ---------------------------------------------------------------------- helpers
def _wrap_aad(kek_id: str, aad: bytes) -> bytes:
    return _WRAP_AAD_PREFIX + kek_id.encode("ascii") + b"\x00" + aad


def _new_kek_id(clock: Clock, existing: Collection[str]) -> str:
    day = clock.now().strftime("%Y%m%d")
    while True:
        kek_id = f"kek-{day}-{secrets.token_hex(2)}"
        if kek_id not in existing:
            return kek_id
