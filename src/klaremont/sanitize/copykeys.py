"""Keys of a sanitised copy: production's opened in bulk, the copy's made from the run key.

Production data keys are read a batch of subjects at a time (one keystore query per batch,
not one per person) and unwrapped with production's key ring, inside the run only.

The copy's own keys are derived from the run key, so the same source and run key give the
same copy byte for byte: its key-encryption key and blind-index key (written to the copy's
key file), each new subject's data key (HKDF-style, from the subject's pseudonymous id),
the wrapped keys (synthetic nonces) and the sealed values (synthetic nonces: a keyed digest
of the place and the value). Nothing derived here reveals the run key, and no production
key or ciphertext reaches the copy.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from klaremont.audit.checkpoints import load_or_create_signing_key
from klaremont.crypto.aead import open_column, seal_column, subject_tag
from klaremont.crypto.errors import SubjectKeyDestroyed, UnknownKey
from klaremont.crypto.keyfile import KeySet, create_key_file
from klaremont.crypto.keystore import subject_key_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.sanitize import rawio
from klaremont.sanitize.fakes import as_uuid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path

    from sqlalchemy import Engine, Table

    from klaremont.crypto.aead import ColumnKey
    from klaremont.crypto.keyring import KeyRing
    from klaremont.crypto.keystore import Keystore

#: when every key of a copy is recorded as made: a fixed time, so copies are reproducible
COPY_KEYS_MADE_AT: Final = datetime(2000, 1, 1, tzinfo=UTC)
_CHUNK: Final = 2000
_KEYS: Table = SubjectKey.__table__  # type: ignore[assignment]  # a mapped class's Table


def derive(key: bytes, label: bytes) -> bytes:
    """A 32-byte sub-key of ``key`` for one use."""
    return hmac.new(key, b"klaremont sanitise v1\x00" + label, hashlib.sha256).digest()


class SourceKeys:
    """Production's data keys, unwrapped a batch of subjects at a time."""

    def __init__(self, keystore: Keystore) -> None:
        """Read from ``keystore`` (production's), unwrap with its key ring."""
        self.keystore = keystore
        self._ciphers: dict[tuple[str, int], ColumnKey] = {}
        self._raw: dict[str, dict[int, bytes]] = {}  # subject -> version -> key
        #: every live key, unwrapped before workers are forked (they start with them)
        self._everyone: dict[str, dict[int, bytes]] = {}
        self._loaded: set[str] = set()
        self.destroyed: set[str] = set()

    def destroyed_subjects(self) -> set[str]:
        """Every subject whose data key was destroyed (crypto-shredded: erased)."""
        with self.keystore.engine.connect() as conn:
            found = conn.execute(
                select(_KEYS.c.subject_id).where(_KEYS.c.destroyed_at.is_not(None))
            )
            self.destroyed = {as_uuid(v).hex for v in found.scalars()}
        return set(self.destroyed)

    def load_all(self) -> int:
        """Unwrap every live key of the keystore, streamed (before worker processes are
        forked: they start with every key, and no batch's keys are handed to them); how
        many. Kept apart from the batch keys, which workers forget between batches."""
        ring = self.keystore.keyring
        cols = (_KEYS.c.subject_id, _KEYS.c.version, _KEYS.c.kek_id, _KEYS.c.wrapped)
        everyone = self._everyone
        count = 0
        with self.keystore.engine.connect() as conn:
            found = conn.execution_options(yield_per=_CHUNK).execute(
                select(*cols).where(_KEYS.c.wrapped.is_not(None))
            )
            for subject, version, kek_id, wrapped in found:
                sid = as_uuid(subject)
                raw = ring.unwrap(kek_id, wrapped, subject_key_aad(sid, version))
                everyone.setdefault(sid.hex, {})[version] = raw
                count += 1
        return count

    def load(self, subjects: Iterable[str]) -> None:
        """Unwrap the keys of ``subjects`` (32 hex digits) not loaded yet (one query per
        2,000); the cipher objects are made when a value is opened here, and those of the
        previous batch let go (a million people's would not fit in memory for nothing)."""
        self._ciphers.clear()
        everyone = self._everyone
        wanted = [s for s in set(subjects) if s not in self._loaded and s not in everyone]
        ring = self.keystore.keyring
        cols = (_KEYS.c.subject_id, _KEYS.c.version, _KEYS.c.kek_id, _KEYS.c.wrapped)
        with self.keystore.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(*cols).where(
                    _KEYS.c.subject_id.in_([uuid.UUID(hex=h) for h in chunk]),
                    _KEYS.c.wrapped.is_not(None),
                )
                for subject, version, kek_id, wrapped in conn.execute(query):
                    sid = as_uuid(subject)
                    raw = ring.unwrap(kek_id, wrapped, subject_key_aad(sid, version))
                    self._raw.setdefault(sid.hex, {})[version] = raw
        self._loaded.update(wanted)

    def handed(self, subjects: Iterable[str]) -> dict[tuple[str, int], bytes]:
        """The unwrapped keys of ``subjects`` (loaded first), to hand to a worker process
        (looked up by subject: the cost is the batch's, not every key's loaded so far);
        not those :meth:`load_all` unwrapped (the workers started with them)."""
        wanted = set(subjects)
        self.load(wanted)
        raw = self._raw
        return {(s, v): key for s in wanted for v, key in raw.get(s, {}).items()}

    def take(self, subjects: Iterable[str], keys: dict[tuple[str, int], bytes]) -> None:
        """In a worker: the keys the parent handed over for a batch's ``subjects``."""
        for (subject, version), raw in keys.items():
            self._raw.setdefault(subject, {})[version] = raw
        self._loaded.update(subjects)

    def forget(self) -> None:
        """Drop every key held (a worker, between batches)."""
        self._ciphers.clear()
        self._raw.clear()
        self._loaded.clear()

    def open_column(
        self,
        table: str,
        column: str,
        subjects: Sequence[str],
        row_ids: Sequence[str],
        sealed: Sequence[bytes | None],
    ) -> list[bytes | None]:
        """Open a batch's column with production's keys (loaded first with :meth:`load`;
        subjects as 32 hex digits, ids dashed): :func:`~klaremont.crypto.aead.open_column`."""
        return self.open_columns(table, {column: sealed}, subjects, row_ids)[column]

    def open_columns(
        self,
        table: str,
        columns: Mapping[str, Sequence[bytes | None]],
        subjects: Sequence[str],
        row_ids: Sequence[str],
    ) -> dict[str, list[bytes | None]]:
        """:meth:`open_column` over several columns of one batch: each row's key is looked
        up once for them all (at its subject's newest version; a value sealed with another
        version asks for that one)."""
        ciphers = self._ciphers

        def key_for(at: int, version: int) -> ColumnKey:
            subject = subjects[at]
            found = ciphers.get((subject, version))
            if found is None:
                raw = self._raw.get(subject, {}).get(version)
                if raw is None:
                    raw = self._everyone.get(subject, {}).get(version)
                if raw is None:
                    if subject in self.destroyed:
                        raise SubjectKeyDestroyed(uuid.UUID(hex=subject), COPY_KEYS_MADE_AT)
                    msg = f"subject {subject} has no data key version {version}"
                    raise UnknownKey(msg)
                found = ciphers[subject, version] = (AESGCM(raw), version, subject_tag(subject))
            return found

        row_keys = [self._newest(subject, key_for, at) for at, subject in enumerate(subjects)]
        return {
            column: open_column(table, column, row_ids, sealed, key_for, row_keys)
            for column, sealed in columns.items()
        }

    def _newest(
        self, subject: str, key_for: Callable[[int, int], ColumnKey], at: int
    ) -> ColumnKey | None:
        """The key of ``subject``'s newest version, or ``None`` when it has none here (a
        value of it then asks ``key_for``, which says why it cannot be opened)."""
        versions = self._raw.get(subject) or self._everyone.get(subject)
        if not versions:
            return None
        return key_for(at, max(versions))


class CopyKeys:
    """The copy's key material, every byte of it derived from the run key."""

    def __init__(self, run_key: bytes) -> None:
        """Derive the copy's KEK, index key and data-key master from ``run_key``."""
        master = derive(run_key, b"copy keys")
        self.kek = derive(master, b"key-encryption key")
        self.index_key = derive(master, b"blind index key")
        self.kek_id = (
            "kek-copy-" + hashlib.sha256(b"klaremont kek id v1\x00" + self.kek).hexdigest()[:8]
        )
        self._data_master = derive(master, b"data keys")
        self._nonce_key = derive(master, b"value nonces")
        self._signing_seed = derive(master, b"audit signing key")
        self._ciphers: dict[str, ColumnKey] = {}
        self.fresh: list[str] = []  # subjects whose keys are not in the keystore yet
        self._noted: set[str] = set()

    def write_key_file(self, path: Path) -> None:
        """The copy's key file (0600 in a 0700 folder), made before the copy's platform."""
        keyset = KeySet.build(
            self.kek_id, {self.kek_id: self.kek}, self.index_key, where="the copy's key file"
        )
        create_key_file(path, keyset)

    def write_signing_key(self, path: Path) -> None:
        """The copy's audit signing key (its fresh chain signs with it), from the run key."""
        load_or_create_signing_key(path, seed=self._signing_seed)

    def _raw(self, subject: str) -> bytes:
        return hmac.digest(self._data_master, bytes.fromhex(subject), "sha256")

    def let_go(self) -> None:
        """Drop the cipher objects made so far (a worker, between batches); what is noted
        for the keystore stays."""
        self._ciphers.clear()

    def remember(self, subject: str) -> None:
        """Note that ``subject``'s key is used (made here or in a worker process): it goes
        into the copy's keystore at the next :meth:`store_fresh`, once."""
        if subject not in self._noted:
            self._noted.add(subject)
            self.fresh.append(subject)

    def seal_column(
        self,
        table: str,
        column: str,
        subjects: Sequence[str],
        row_ids: Sequence[str],
        plaintexts: Sequence[str | None],
    ) -> list[bytes | None]:
        """Seal a batch's column of fakes under the copy's keys (synthetic nonces: the same
        run key, the same bytes; subjects as 32 hex digits, ids dashed)."""
        return self.seal_columns(table, {column: plaintexts}, subjects, row_ids)[column]

    def seal_columns(
        self,
        table: str,
        columns: Mapping[str, Sequence[str | None]],
        subjects: Sequence[str],
        row_ids: Sequence[str],
    ) -> dict[str, list[bytes | None]]:
        """:meth:`seal_column` over several columns of one batch, each row's key looked up
        once for them all (a key is made, and kept for the keystore, only for a row with a
        value to seal)."""
        ciphers = self._ciphers
        holding: set[int] = set()
        for plaintexts in columns.values():
            holding.update([at for at, p in enumerate(plaintexts) if p is not None])
        row_keys: list[ColumnKey | None] = []
        for at, subject in enumerate(subjects):
            if at not in holding:
                row_keys.append(None)
                continue
            found = ciphers.get(subject)
            if found is None:
                found = ciphers[subject] = (AESGCM(self._raw(subject)), 1, subject_tag(subject))
                self.remember(subject)
            row_keys.append(found)
        key_for: Callable[[int], ColumnKey] = row_keys.__getitem__  # type: ignore[assignment]  # None only where nothing is sealed
        nonce_key = self._nonce_key
        return {
            column: seal_column(
                table,
                column,
                row_ids,
                [None if p is None else p.encode() for p in plaintexts],
                key_for,
                nonce_key=nonce_key,
            )
            for column, plaintexts in columns.items()
        }

    def store_fresh(self, engine: Engine, ring: KeyRing) -> int:
        """Write the data keys made since the last call to the copy's keystore, wrapped:
        rows as the engine keeps them (ids as 32 hex digits, the fixed creation time
        converted once), not through SQLAlchemy's types a value at a time."""
        if not self.fresh:
            return 0
        dashed = [subject_tag(s).decode() for s in self.fresh]
        wrapped_keys = ring.wrap_synthetic_many(
            [(self._raw(s), subject_key_aad(d, 1)) for s, d in zip(self.fresh, dashed, strict=True)]
        )
        names = [str(c.name) for c in _KEYS.columns]
        with engine.begin() as conn:
            kind = _KEYS.c.created_at.type.dialect_impl(conn.dialect)
            convert = kind.bind_processor(conn.dialect)
            made = COPY_KEYS_MADE_AT if convert is None else convert(COPY_KEYS_MADE_AT)
            values: dict[str, Any] = {"version": 1, "created_at": made, "destroyed_at": None,
                                      "destroyed_reason": None}  # fmt: skip
            rows = []
            for subject, (kek_id, wrapped) in zip(self.fresh, wrapped_keys, strict=True):
                values.update(subject_id=subject, kek_id=kek_id, wrapped=wrapped)
                rows.append(tuple(values[n] for n in names))
            rawio.Writer(conn, _KEYS, raw=True).write(rows)
        self.fresh = []
        return len(rows)
