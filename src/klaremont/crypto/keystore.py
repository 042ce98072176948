"""Per-subject data keys, wrapped by the key ring, kept in the keystore database.

Every data subject has a 256-bit data key; rotating it adds a version (new writes use the
newest, old versions still decrypt). Wrapped keys are bound to their subject and version
by the wrapping's associated data, so a wrapped key copied to another subject's row fails.

Erasure destroys every version of a subject's key (crypto-shredding): the wrapped bytes
are set to NULL and, on SQLite, the freed bytes are zeroed (``secure_delete``) and the WAL
is checkpointed and truncated, so not even the keystore file keeps them. Copies held
elsewhere (a keystore backup, PostgreSQL dead tuples) are still wrapped under a KEK; they
become unrecoverable once that KEK is rotated out and retired (``klaremont keys rotate``,
then ``retire``).

Each method runs in its own short transaction on the keystore engine, independent of the
data store's unit of work: a key created for a write that later rolls back is harmless.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypedDict

from sqlalchemy import and_, bindparam, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from klaremont.crypto.aead import DATA_KEY_BYTES, DataKey
from klaremont.crypto.blind_index import BlindIndexer
from klaremont.crypto.errors import (
    CiphertextIntegrityError,
    KeyRetirementRefused,
    SubjectKeyDestroyed,
    UnknownKey,
)
from klaremont.crypto.keystore_models import REASON_LENGTH, SubjectKey
from klaremont.db.engine import READ_ONLY, is_sqlite, truncate_wal
from klaremont.db.uow import transaction
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from sqlalchemy import Engine

    from klaremont.clock import Clock
    from klaremont.crypto.keyring import KeyRing

_CREATE_ATTEMPTS = 3
REWRAP_BATCH = 500


_KEYS = SubjectKey.__table__
# A subject's key versions, oldest first, as plain rows (the hot read path of data_key).
_KEY_ROWS = (
    select(
        _KEYS.c.subject_id,
        _KEYS.c.version,
        _KEYS.c.kek_id,
        _KEYS.c.wrapped,
        _KEYS.c.destroyed_at,
    )
    .where(_KEYS.c.subject_id == bindparam("subject_id"))
    .order_by(_KEYS.c.version)
)


class _KeyRow(Protocol):
    """What the key-picking code reads of a key version (an ORM row or a Core row)."""

    @property
    def subject_id(self) -> uuid.UUID: ...
    @property
    def version(self) -> int: ...
    @property
    def kek_id(self) -> str | None: ...
    @property
    def wrapped(self) -> bytes | None: ...
    @property
    def destroyed_at(self) -> datetime | None: ...


class _KeyTuple(NamedTuple):
    subject_id: uuid.UUID
    version: int
    kek_id: str | None
    wrapped: bytes | None
    destroyed_at: datetime | None


def _server_key_rows(engine: Engine, sql: str, subject_id: uuid.UUID) -> list[_KeyTuple]:
    """A subject's key versions from a server database: one autocommit round trip.

    The hot path of :meth:`Keystore.data_key`, at the driver level: one SELECT needs no
    transaction (BEGIN and ROLLBACK would be two more round trips), and going through a
    SQLAlchemy connection and result cost more than the query itself. The pooled
    connection's autocommit is switched on for the statement and off again before it
    goes back to the pool.
    """
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        driver.autocommit = True  # type: ignore[union-attr] # psycopg's connection
        try:
            rows = driver.execute(sql, {"subject_id": subject_id}).fetchall()  # type: ignore[union-attr]
        finally:
            driver.autocommit = False  # type: ignore[union-attr]
    finally:
        pooled.close()
    return [_KeyTuple(*row) for row in rows]


_DESTROY_CHUNK = 2000


def _checked_reason(reason: str) -> str:
    """A destruction's reason: printable, 1 to REASON_LENGTH characters."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_LENGTH or not reason.isprintable():
        raise ValidationFailed.single("reason", f"1 to {REASON_LENGTH} printable characters")
    return reason


class KeystoreStatus(TypedDict):
    """Counts for ``klaremont keys status``; ids and numbers only, never key material."""

    active_kek: str
    keks: list[str]
    data_keys_per_kek: dict[str, int]
    unknown_keks: list[str]
    live_keys: int
    subjects: int
    destroyed_subjects: int
    destroyed_keys: int


class Keystore:
    """Creates, unwraps, rotates, re-wraps and destroys subjects' data keys."""

    def __init__(self, engine: Engine, keyring: KeyRing, clock: Clock) -> None:
        """Use ``engine`` (the keystore database, not the data store) and ``keyring``."""
        self.engine = engine
        self.keyring = keyring
        self.clock = clock
        self.indexer = BlindIndexer(keyring.index_key)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # reads: on SQLite a snapshot (BEGIN deferred), never a queue for the write lock
        self._reads = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._server = not is_sqlite(engine)
        # the data-key read as the server's driver SQL, compiled once (see _server_key_rows)
        self._key_sql = str(_KEY_ROWS.compile(dialect=engine.dialect))

    def __repr__(self) -> str:
        return f"Keystore({self.engine.url!r}, {self.keyring!r})"

    # ------------------------------------------------------------------ subject keys
    def create_subject_key(self, subject_id: uuid.UUID) -> int:
        """Give the subject a data key if it has none; returns its current version.

        Idempotent and safe under concurrency; refused for an erased subject.
        """
        return self._add_version(subject_id, rotate=False).version

    def rotate_subject_key(self, subject_id: uuid.UUID) -> int:
        """Add a new data-key version that new writes use; older versions still decrypt."""
        return self._add_version(subject_id, rotate=True).version

    def data_key(self, subject_id: uuid.UUID, version: int | None = None) -> DataKey:
        """The unwrapped data key (the newest version unless ``version`` is given).

        Every first read of a subject in a unit of work comes here, so it is one Core
        query on a pooled connection (no ORM session), and the key is never cached across
        units of work: a key destroyed by another process is refused from the next one on.
        """
        if self._server:
            found = _server_key_rows(self.engine, self._key_sql, subject_id)
            return self._pick(subject_id, found, version)
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            rows = conn.execute(_KEY_ROWS, {"subject_id": subject_id}).all()
        return self._pick(subject_id, rows, version)

    def ensure_subject_key(self, subject_id: uuid.UUID) -> DataKey:
        """The subject's newest data key, created on first use."""
        with self._reads() as session:
            rows = self._rows(session, subject_id)
        if rows:
            return self._pick(subject_id, rows, None)
        return self._add_version(subject_id, rotate=False)

    def is_destroyed(self, subject_id: uuid.UUID) -> bool:
        """True once the subject's data key has been destroyed."""
        with self._reads() as session:
            found = session.scalar(
                select(SubjectKey.version)
                .where(SubjectKey.subject_id == subject_id, SubjectKey.destroyed_at.is_not(None))
                .limit(1)
            )
        return found is not None

    def destroy(self, subject_id: uuid.UUID, reason: str) -> int:
        """Crypto-shred: destroy every version of the subject's data key; returns how many.

        Irreversible. A subject that never had a key gets a tombstone, so none is made later.
        """
        return self.destroy_many([subject_id], reason)

    def destroy_many(self, subject_ids: Iterable[uuid.UUID], reason: str) -> int:
        """Crypto-shred many subjects in one keystore transaction (see :meth:`destroy`);
        returns how many key versions were destroyed. Subjects with no key get a tombstone."""
        reason = _checked_reason(reason)
        wanted = sorted(set(subject_ids), key=str)
        if not wanted:
            return 0
        now = self.clock.now()
        destroyed = 0
        with transaction(self._sessions) as session:
            if is_sqlite(self.engine):
                session.execute(text("PRAGMA secure_delete = ON"))
            for start in range(0, len(wanted), _DESTROY_CHUNK):
                chunk = wanted[start : start + _DESTROY_CHUNK]
                result = session.connection().execute(
                    update(SubjectKey)
                    .where(SubjectKey.subject_id.in_(chunk), SubjectKey.wrapped.is_not(None))
                    .values(wrapped=None, destroyed_at=now, destroyed_reason=reason)
                )
                destroyed += result.rowcount
                known = set(
                    session.scalars(
                        select(SubjectKey.subject_id).where(SubjectKey.subject_id.in_(chunk))
                    )
                )
                session.add_all(
                    SubjectKey(
                        subject_id=subject_id,
                        version=1,
                        kek_id=None,
                        wrapped=None,
                        created_at=now,
                        destroyed_at=now,
                        destroyed_reason=reason,
                    )
                    for subject_id in chunk
                    if subject_id not in known
                )
        self._scrub_journal()
        return destroyed

    # ------------------------------------------------------------------ key-encryption keys
    def rewrap_all(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        batch_size: int = REWRAP_BATCH,
    ) -> int:
        """Re-wrap every live data key not under the active KEK; returns how many.

        Only the keystore changes: data ciphertexts stay byte-for-byte the same. Batches
        commit as they go, so an interrupted run is resumed by running it again.
        """
        self.keyring.refresh()
        active = self.keyring.active_id
        stale = and_(SubjectKey.wrapped.is_not(None), SubjectKey.kek_id != active)
        with self._reads() as session:
            total = session.scalar(select(func.count()).select_from(SubjectKey).where(stale)) or 0
        done = 0
        if progress:
            progress(done, total)
        after: tuple[uuid.UUID, int] | None = None
        while True:
            query = (
                select(SubjectKey)
                .where(stale)
                .order_by(SubjectKey.subject_id, SubjectKey.version)
                .limit(batch_size)
                .with_for_update()
            )
            if after is not None:
                query = query.where(
                    or_(
                        SubjectKey.subject_id > after[0],
                        and_(SubjectKey.subject_id == after[0], SubjectKey.version > after[1]),
                    )
                )
            with transaction(self._sessions) as session:
                rows = session.scalars(query).all()
                for row in rows:
                    key = self._unwrap(row)
                    row.kek_id, row.wrapped = self.keyring.wrap(key, _wrap_aad(row))
            if not rows:
                return done
            done += len(rows)
            after = (rows[-1].subject_id, rows[-1].version)
            if progress:
                progress(done, max(total, done))

    def rotate_kek(self, progress: Callable[[int, int], None] | None = None) -> tuple[str, int]:
        """Add a KEK, make it active and re-wrap every data key under it: (new id, count)."""
        kek_id = self.keyring.rotate()
        return kek_id, self.rewrap_all(progress)

    def retire_kek(self, kek_id: str) -> None:
        """Remove a KEK from the ring; refused while it is active or still wraps data keys."""
        self.keyring.refresh()
        if kek_id == self.keyring.active_id:
            raise KeyRetirementRefused(
                f"{kek_id!r} is the active key-encryption key; rotate first, then retire it"
            )
        with self._reads() as session:
            live = session.scalar(
                select(func.count())
                .select_from(SubjectKey)
                .where(SubjectKey.kek_id == kek_id, SubjectKey.wrapped.is_not(None))
            )
        if live:
            raise KeyRetirementRefused(
                f"{kek_id!r} still wraps {live} data key(s); re-wrap them first "
                "(klaremont keys rotate), then retire it"
            )
        self.keyring.retire(kek_id)

    def status(self) -> KeystoreStatus:
        """Data keys per KEK, live and destroyed counts, and KEK ids the ring lacks."""
        live = SubjectKey.wrapped.is_not(None)
        destroyed = SubjectKey.destroyed_at.is_not(None)
        distinct_subjects = func.count(SubjectKey.subject_id.distinct())
        with self._reads() as session:
            per_kek = {
                str(kek): int(count)
                for kek, count in session.execute(
                    select(SubjectKey.kek_id, func.count()).where(live).group_by(SubjectKey.kek_id)
                )
            }
            subjects = session.scalar(select(distinct_subjects).where(live))
            destroyed_subjects = session.scalar(select(distinct_subjects).where(destroyed))
            destroyed_keys = session.scalar(
                select(func.count()).where(destroyed, SubjectKey.kek_id.is_not(None))
            )
        self.keyring.refresh()
        keks = list(self.keyring.kek_ids)
        return KeystoreStatus(
            active_kek=self.keyring.active_id,
            keks=keks,
            data_keys_per_kek={kek: per_kek.get(kek, 0) for kek in keks},
            unknown_keks=sorted(set(per_kek) - set(keks)),
            live_keys=sum(per_kek.values()),
            subjects=subjects or 0,
            destroyed_subjects=destroyed_subjects or 0,
            destroyed_keys=destroyed_keys or 0,
        )

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _rows(session: Session, subject_id: uuid.UUID) -> Sequence[SubjectKey]:
        return session.scalars(
            select(SubjectKey)
            .where(SubjectKey.subject_id == subject_id)
            .order_by(SubjectKey.version)
        ).all()

    def _pick(self, subject_id: uuid.UUID, rows: Sequence[_KeyRow], version: int | None) -> DataKey:
        if not rows:
            raise UnknownKey(f"subject {subject_id} has no data key")
        for row in rows:
            if row.destroyed_at is not None:
                raise SubjectKeyDestroyed(subject_id, row.destroyed_at)
        if version is None:
            row = rows[-1]
        else:
            matches = [row for row in rows if row.version == version]
            if not matches:
                raise UnknownKey(f"subject {subject_id} has no data key version {version}")
            row = matches[0]
        return DataKey.from_bytes(subject_id, row.version, self._unwrap(row))

    def _unwrap(self, row: _KeyRow) -> bytes:
        if row.wrapped is None or row.kek_id is None:
            raise SubjectKeyDestroyed(row.subject_id, row.destroyed_at)
        try:
            return self.keyring.unwrap(row.kek_id, row.wrapped, _wrap_aad(row))
        except CiphertextIntegrityError:
            raise CiphertextIntegrityError(
                f"wrapped data key of subject {row.subject_id} version {row.version} failed its "
                "integrity check (altered, or copied from another subject or version)"
            ) from None

    def _add_version(self, subject_id: uuid.UUID, *, rotate: bool) -> DataKey:
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                with transaction(self._sessions) as session:
                    rows = self._rows(session, subject_id)
                    if rows and not rotate:
                        return self._pick(subject_id, rows, None)
                    if any(row.destroyed_at is not None for row in rows):
                        return self._pick(subject_id, rows, None)  # raises SubjectKeyDestroyed
                    version = rows[-1].version + 1 if rows else 1
                    key = os.urandom(DATA_KEY_BYTES)
                    row = SubjectKey(
                        subject_id=subject_id, version=version, created_at=self.clock.now()
                    )
                    row.kek_id, row.wrapped = self.keyring.wrap(key, _wrap_aad(row))
                    session.add(row)
                return DataKey.from_bytes(subject_id, version, key)
            except IntegrityError:
                # Another process added this version first (PostgreSQL); read again.
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
        raise AssertionError  # the loop returns or raises

    def _scrub_journal(self) -> None:
        """SQLite: copy the zeroed pages into the database file and truncate the WAL."""
        truncate_wal(self.engine)


def _wrap_aad(row: _KeyRow) -> bytes:
    return subject_key_aad(row.subject_id, row.version)


def subject_key_aad(subject_id: uuid.UUID | str, version: int) -> bytes:
    """What a wrapped key is bound to: its subject (a UUID, or its text with dashes) and
    version (the key ring adds the KEK id)."""
    return f"klaremont/subject-key/v1\x00{subject_id}\x00{version}".encode()
