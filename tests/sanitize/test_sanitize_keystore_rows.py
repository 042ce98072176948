"""The copy's keystore rows as SQLite keeps them, and reading only some columns of a table.

``CopyKeys.store_fresh`` writes the copy's wrapped data keys as stored values (ids as 32 hex
digits, the fixed creation time converted once) through ``rawio.Writer``: the rows must be
the bytes a SQLAlchemy Core insert of the same values writes, and the copy's keystore must
open them with the copy's key ring. ``rawio.read_batches`` with ``only`` reads a subset of
a table's columns, in the table's order, in primary-key order, as stored or through
SQLAlchemy's types.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sanitize_support import KEY
from sqlalchemy import Engine, create_engine, func, select

from backend_support import BACKEND
from klaremont.clock import SystemClock
from klaremont.crypto.aead import open_value
from klaremont.crypto.errors import CiphertextIntegrityError
from klaremont.crypto.keyring import KeyRing
from klaremont.crypto.keystore import Keystore, subject_key_aad
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.customers.models import Customer
from klaremont.db import migrate
from klaremont.db.engine import make_engine
from klaremont.platform import Platform
from klaremont.sanitize import rawio
from klaremont.sanitize.copykeys import COPY_KEYS_MADE_AT, CopyKeys

KEYS = SubjectKey.__table__
TABLE, COLUMN = "customers", "email"
# hex letters in every id: a case or form change of the stored text would show
ADA = uuid.UUID("a1b2c3d4-e5f6-4a7b-8c9d-aeafbfcfdfef")
BOB = uuid.UUID("0000000b-0b0b-4b0b-8b0b-b0b0b0b0b0b0")
CAROL = uuid.UUID("ccccdddd-eeee-4fff-8aaa-bbbbccccdddd")
DAVE = uuid.UUID("d0000000-0000-4000-8000-00000000000d")
ROWS = [uuid.UUID(f"00000000-0000-4000-8000-{n:012d}") for n in range(1, 9)]
STORED = (
    "SELECT subject_id, typeof(subject_id), version, kek_id, hex(wrapped), typeof(wrapped), "
    "created_at, typeof(created_at), destroyed_at, destroyed_reason FROM subject_keys "
    "ORDER BY rowid"
)


@pytest.fixture(scope="module")
def keystore_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite keystore file (migrated once; each test copies it)."""
    path = tmp_path_factory.mktemp("keystore") / "keystore.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine, migrate.KEYSTORE)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _fresh_keystore(template: Path, place: Path) -> Engine:
    shutil.copyfile(template, place)
    return make_engine(f"sqlite:///{place}")


def _stored(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(STORED).fetchall()
    conn.close()
    return rows


def _copy_keys_and_ring(tmp_path: Path) -> tuple[CopyKeys, KeyRing]:
    """The copy's keys and its key ring, as the sanitiser makes them (the key file first)."""
    keys = CopyKeys(KEY)
    key_file = tmp_path / "copy-keys" / "kek.json"
    keys.write_key_file(key_file)
    return keys, KeyRing.load(key_file)


def _seal(keys: CopyKeys, subjects: Sequence[uuid.UUID]) -> list[bytes | None]:
    """One e-mail address a subject sealed with the copy's keys (which notes each subject)."""
    rows = [str(r) for r in ROWS[: len(subjects)]]
    plain = [f"person{n}@example.com" for n in range(len(subjects))]
    return keys.seal_column(TABLE, COLUMN, [s.hex for s in subjects], rows, plain)


@pytest.mark.policy("IS-SENS-DEV")
def test_store_fresh_writes_the_bytes_a_core_insert_writes(
    keystore_template: Path, tmp_path: Path
) -> None:
    """Ids, versions, KEK ids, wrapped keys, the fixed creation time (its text and its
    storage class), NULLs: byte for byte what SQLAlchemy's Core insert of the same values
    (UUID objects, the aware datetime) writes into a fresh SQLite keystore."""
    keys, ring = _copy_keys_and_ring(tmp_path)
    subjects = [ADA, BOB, CAROL]
    _seal(keys, subjects)
    assert keys.fresh == [s.hex for s in subjects]
    raw_engine = _fresh_keystore(keystore_template, tmp_path / "raw.db")
    core_engine = _fresh_keystore(keystore_template, tmp_path / "core.db")
    try:
        assert keys.store_fresh(raw_engine, ring) == 3
        assert keys.fresh == []
        # the same values, made independently: wrapped under the same AAD as the keystore
        # binds (subject as a UUID), with the copy's derived data keys
        wrapped = ring.wrap_synthetic_many(
            [(keys._raw(s.hex), subject_key_aad(s, 1)) for s in subjects]
        )
        with core_engine.begin() as conn:
            conn.execute(
                KEYS.insert(),
                [
                    {
                        "subject_id": s,
                        "version": 1,
                        "kek_id": kek_id,
                        "wrapped": blob,
                        "created_at": COPY_KEYS_MADE_AT,
                        "destroyed_at": None,
                        "destroyed_reason": None,
                    }
                    for s, (kek_id, blob) in zip(subjects, wrapped, strict=True)
                ],
            )
    finally:
        raw_engine.dispose()
        core_engine.dispose()
    written = _stored(tmp_path / "raw.db")
    assert written == _stored(tmp_path / "core.db")
    assert [row[:4] for row in written] == [(s.hex, "text", 1, keys.kek_id) for s in subjects]
    assert {row[5:8] for row in written} == {("blob", "2000-01-01 00:00:00.000000", "text")}
    assert {row[8:] for row in written} == {(None, None)}
    assert len({row[4] for row in written}) == 3


@pytest.mark.policy("IS-SENS-DEV")
def test_the_copys_keystore_opens_what_store_fresh_wrote(
    keystore_template: Path, tmp_path: Path
) -> None:
    """The copy's keystore, with a key ring read again from the copy's key file, unwraps each
    stored key; the values sealed with the copy's keys open with it, and only in their
    place."""
    keys, _ = _copy_keys_and_ring(tmp_path)
    subjects = [ADA, BOB, CAROL]
    sealed = _seal(keys, subjects)
    engine = _fresh_keystore(keystore_template, tmp_path / "copy-keystore.db")
    try:
        assert keys.store_fresh(engine, KeyRing.load(tmp_path / "copy-keys" / "kek.json")) == 3
        keystore = Keystore(
            engine, KeyRing.load(tmp_path / "copy-keys" / "kek.json"), SystemClock()
        )
        for n, (subject, value) in enumerate(zip(subjects, sealed, strict=True)):
            key = keystore.data_key(subject)
            assert (key.subject_id, key.version) == (subject, 1)
            assert value is not None
            assert (
                open_value(key, TABLE, COLUMN, ROWS[n], value) == f"person{n}@example.com".encode()
            )
        with pytest.raises(CiphertextIntegrityError):  # another subject's key: refused
            open_value(keystore.data_key(BOB), TABLE, COLUMN, ROWS[0], sealed[0] or b"")
        assert keystore.status()["live_keys"] == 3
    finally:
        engine.dispose()


@pytest.mark.policy("IS-SENS-DEV")
def test_a_second_store_writes_only_new_subjects_and_an_empty_one_nothing(
    keystore_template: Path, tmp_path: Path
) -> None:
    """Subjects already stored are not written again; with nothing fresh, store_fresh
    returns 0 without touching the database."""
    keys, ring = _copy_keys_and_ring(tmp_path)
    place = tmp_path / "copy-keystore.db"
    engine = _fresh_keystore(keystore_template, place)
    try:
        _seal(keys, [ADA, BOB])
        assert keys.store_fresh(engine, ring) == 2
        _seal(keys, [BOB, CAROL, ADA, DAVE])
        assert keys.fresh == [CAROL.hex, DAVE.hex]
        assert keys.store_fresh(engine, ring) == 2
        assert [row[0] for row in _stored(place)] == [s.hex for s in (ADA, BOB, CAROL, DAVE)]
        _seal(keys, [DAVE, ADA])  # all known: nothing fresh
        assert keys.fresh == []
        unreachable = create_engine(f"sqlite:///{tmp_path / 'no such folder' / 'keys.db'}")
        assert keys.store_fresh(unreachable, ring) == 0  # never connects
        assert keys.store_fresh(engine, ring) == 0
        assert len(_stored(place)) == 4
    finally:
        engine.dispose()


@pytest.mark.policy("IS-SENS-DEV")
def test_store_fresh_into_the_test_backends_keystore_reads_back_and_opens(
    platform: Platform, tmp_path: Path
) -> None:
    """On the test backend's own keystore (SQLite or PostgreSQL, whose rows go by COPY):
    the rows read back through SQLAlchemy's types as the values, and the keystore opens
    them with the copy's key ring."""
    keys, ring = _copy_keys_and_ring(tmp_path)
    subjects = [ADA, BOB, CAROL]
    sealed = _seal(keys, subjects)
    engine = platform.keystore_engine
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(KEYS)).scalar_one()
    assert keys.store_fresh(engine, ring) == 3
    columns = (KEYS.c.subject_id, KEYS.c.version, KEYS.c.kek_id, KEYS.c.created_at)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns, KEYS.c.destroyed_at).where(KEYS.c.subject_id.in_(subjects))
        ).all()
        after = conn.execute(select(func.count()).select_from(KEYS)).scalar_one()
    assert after == before + 3
    assert sorted(tuple(r) for r in rows) == sorted(
        (s, 1, keys.kek_id, COPY_KEYS_MADE_AT, None) for s in subjects
    )
    keystore = Keystore(engine, ring, SystemClock())
    for n, (subject, value) in enumerate(zip(subjects, sealed, strict=True)):
        assert value is not None
        key = keystore.data_key(subject)
        assert open_value(key, TABLE, COLUMN, ROWS[n], value) == f"person{n}@example.com".encode()


# ---------------------------------------------------------------------- some columns only


def _read(engine: Engine, *, raw: bool, only: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for part in rawio.read_batches(engine, Customer.__table__, raw=raw, only=only)
        for r in part
    ]


def test_read_batches_reads_only_the_columns_asked_in_table_order_by_key(
    seeded: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``only`` (in any order) gives those columns in the table's order (email comes before
    id), every row once, in primary-key order over several batches, as stored (ids as the
    engine keeps them) and through SQLAlchemy's types (UUID objects), the same values as
    the whole rows hold."""
    monkeypatch.setattr(rawio, "BATCH", 3)
    engine = seeded.engine
    names = [c.name for c in Customer.__table__.columns]
    assert names.index("email") < names.index("id")
    with engine.connect() as conn:
        customers = conn.execute(select(func.count()).select_from(Customer.__table__)).scalar_one()
    assert customers > 3  # more than one batch
    at_email, at_id = names.index("email"), names.index("id")
    for raw in (True, False):
        whole = _read(engine, raw=raw)
        assert len(whole) == customers
        expected = [(row[at_email], row[at_id]) for row in whole]
        for only in (["id", "email"], ["email", "id"]):
            got = _read(engine, raw=raw, only=only)
            assert got == expected, (raw, only)
        ids = [row[1] for row in expected]
        assert ids == sorted(ids)
        assert len(set(ids)) == customers
        assert all(isinstance(row[0], bytes) for row in expected)  # sealed e-mail, as stored
        assert _read(engine, raw=raw, only=["id"]) == [(i,) for i in ids]
    stored_ids = [row[1] for row in _read(engine, raw=True, only=["email", "id"])]
    typed_ids = [row[0] for row in _read(engine, raw=False, only=["id"])]
    assert all(isinstance(i, uuid.UUID) for i in typed_ids)
    dashed = BACKEND == "postgresql"
    assert stored_ids == [str(i) if dashed else i.hex for i in typed_ids]
    raw_emails = [row[0] for row in _read(engine, raw=True, only=["email"])]
    assert raw_emails == [row[0] for row in _read(engine, raw=False, only=["email"])]


def test_read_batches_refuses_columns_the_table_lacks_and_a_bare_name(seeded: Platform) -> None:
    """A name the table does not have is named in the error (never silently dropped), and
    one name given as a string (not a list of names) is refused."""
    with pytest.raises(ValueError, match="customers has no column 'nickname'"):
        _read(seeded.engine, raw=True, only=["id", "nickname"])
    with pytest.raises(TypeError, match="a list of column names"):
        _read(seeded.engine, raw=False, only="email")
