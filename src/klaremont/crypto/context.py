"""The crypto context of one unit of work: seals and opens values, caching data keys.

The platform creates one per unit of work and puts it in ``session.info["crypto"]``. It
caches unwrapped data keys for that unit of work only, so a key destroyed by another
process is not used past the end of the current one. Not shared between threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.crypto.aead import open_value, seal_value, sealed_version
from klaremont.crypto.errors import CryptoError, SubjectKeyDestroyed

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable
    from datetime import datetime

    from klaremont.crypto.aead import DataKey
    from klaremont.crypto.keystore import Keystore


class CryptoContext:
    """Seals and opens personal values for one unit of work."""

    __slots__ = ("_current", "_keys", "_shredded", "keystore")

    def __init__(self, keystore: Keystore) -> None:
        """Bind to the platform's keystore; no key is loaded until one is needed."""
        self.keystore = keystore
        self._current: dict[uuid.UUID, DataKey] = {}
        self._keys: dict[tuple[uuid.UUID, int], DataKey] = {}
        self._shredded: dict[uuid.UUID, datetime] = {}

    def __repr__(self) -> str:
        return f"CryptoContext(cached_keys={len(self._keys)})"

    def seal(
        self,
        subject_id: uuid.UUID,
        table: str,
        column: str,
        row_id: object,
        plaintext: str | bytes,
    ) -> bytes:
        """Encrypt a value of ``subject_id`` for one table, column and row.

        Uses the subject's newest data key, creating the subject's first key if needed.
        """
        key = self._current.get(subject_id)
        if key is None:
            key = self.keystore.ensure_subject_key(subject_id)
            self._current[subject_id] = key
            self._keys[subject_id, key.version] = key
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        return seal_value(key, table, column, row_id, data)

    def prepare(self, subject_id: uuid.UUID) -> None:
        """Load (or create) the subject's newest data key now, before a write begins.

        Key creation is a keystore transaction of its own; done here, ahead of the data
        store's write transaction, the later :meth:`seal` needs no keystore work while
        the data store's write lock is held. A key made for a write that then fails is
        harmless (see :mod:`klaremont.crypto.keystore`).
        """
        key = self.keystore.ensure_subject_key(subject_id)
        self._current[subject_id] = key
        self._keys[subject_id, key.version] = key

    def open_bytes(
        self, subject_id: uuid.UUID, table: str, column: str, row_id: object, ciphertext: bytes
    ) -> bytes:
        """Decrypt a value sealed for exactly this subject, table, column and row."""
        version = sealed_version(ciphertext, table, column, row_id)
        key = self._keys.get((subject_id, version))
        if key is None:
            key = self.keystore.data_key(subject_id, version)
            self._keys[subject_id, version] = key
        return open_value(key, table, column, row_id, ciphertext)

    def open(
        self, subject_id: uuid.UUID, table: str, column: str, row_id: object, ciphertext: bytes
    ) -> str:
        """Decrypt a sealed text value (see :meth:`open_bytes`)."""
        data = self.open_bytes(subject_id, table, column, row_id, ciphertext)
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise CryptoError(
                f"{table}.{column} of row {row_id} holds binary data; read it with open_bytes"
            ) from None

    def blind_index(self, kind: str, value: str) -> str:
        """The blind index of ``value`` for ``kind`` ("email", "phone")."""
        return self.keystore.indexer.index(kind, value)

    def rotate_subject_key(self, subject_id: uuid.UUID) -> int:
        """Add a new data-key version for the subject; later seals here use it."""
        self.forget(subject_id)
        return self.keystore.rotate_subject_key(subject_id)

    def destroy(self, subject_id: uuid.UUID, reason: str) -> int:
        """Crypto-shred the subject (see :meth:`Keystore.destroy`) and drop its cached keys.

        Plaintext already decrypted into objects of this unit of work is refused from then on.
        """
        self.forget(subject_id)
        destroyed = self.keystore.destroy(subject_id, reason)
        self._shredded[subject_id] = self.keystore.clock.now()
        return destroyed

    def destroy_many(self, subject_ids: Iterable[uuid.UUID], reason: str) -> int:
        """Crypto-shred many subjects at once (see :meth:`Keystore.destroy_many`)."""
        wanted = list(subject_ids)
        for subject_id in wanted:
            self.forget(subject_id)
        destroyed = self.keystore.destroy_many(wanted, reason)
        now = self.keystore.clock.now()
        for subject_id in wanted:
            self._shredded[subject_id] = now
        return destroyed

    def check_not_shredded(self, subject_id: uuid.UUID) -> None:
        """Raise :class:`SubjectKeyDestroyed` if this unit of work shredded the subject."""
        if subject_id in self._shredded:
            raise SubjectKeyDestroyed(subject_id, self._shredded[subject_id])

    def forget(self, subject_id: uuid.UUID) -> None:
        """Drop every cached key of the subject (after it was destroyed or rotated)."""
        self._current.pop(subject_id, None)
        for cached in [k for k in self._keys if k[0] == subject_id]:
            del self._keys[cached]
