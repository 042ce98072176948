"""Subject data keys: creation, versions, crypto-shredding, re-wrapping and KEK retirement."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, select, text

from klaremont.crypto.aead import open_value, seal_value
from klaremont.crypto.errors import (
    CiphertextIntegrityError,
    KeyRetirementRefused,
    SubjectKeyDestroyed,
    UnknownKey,
)
from klaremont.crypto.keystore_models import SubjectKey
from klaremont.db import migrate
from klaremont.db.engine import make_engine
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.clock import ManualClock
    from klaremont.crypto.keyring import KeyRing
    from klaremont.crypto.keystore import Keystore


def _wrapped(engine: Engine, subject_id: uuid.UUID) -> list[bytes]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(SubjectKey.wrapped).where(SubjectKey.subject_id == subject_id)
        ).scalars()
        return [row for row in rows if row is not None]


def test_migration_builds_the_keystore_without_drift(tmp_path: Path) -> None:
    """Migrating a fresh keystore database to head matches the models exactly."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh-keystore.db'}")
    try:
        migrate.upgrade(engine, migrate.KEYSTORE)
        assert migrate.drift(engine, migrate.KEYSTORE) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    finally:
        engine.dispose()


def test_create_subject_key_is_idempotent(keystore: Keystore) -> None:
    """Creating a subject's key twice keeps version 1 and the same key."""
    subject = uuid.uuid4()
    assert keystore.create_subject_key(subject) == 1
    first = keystore.data_key(subject)
    assert keystore.create_subject_key(subject) == 1
    sealed = seal_value(first, "t", "c", 1, b"value")
    assert open_value(keystore.data_key(subject), "t", "c", 1, sealed) == b"value"


def test_ensure_subject_key_creates_once(keystore: Keystore, keystore_engine: Engine) -> None:
    """The first ensure creates the key; later ones return the same version."""
    subject = uuid.uuid4()
    key = keystore.ensure_subject_key(subject)
    assert (key.subject_id, key.version) == (subject, 1)
    again = keystore.ensure_subject_key(subject)
    assert open_value(again, "t", "c", 1, seal_value(key, "t", "c", 1, b"x")) == b"x"
    assert len(_wrapped(keystore_engine, subject)) == 1


def test_missing_subject_key_is_unknown(keystore: Keystore) -> None:
    """Asking for the key of a subject that has none, or a missing version, is UnknownKey."""
    subject = uuid.uuid4()
    with pytest.raises(UnknownKey, match=str(subject)):
        keystore.data_key(subject)
    keystore.create_subject_key(subject)
    with pytest.raises(UnknownKey, match="version 7"):
        keystore.data_key(subject, 7)


def test_subject_key_rotation_keeps_old_versions_readable(keystore: Keystore) -> None:
    """After rotation the newest version is current and values under version 1 still open."""
    subject = uuid.uuid4()
    old = keystore.ensure_subject_key(subject)
    sealed_old = seal_value(old, "t", "c", 1, b"before")
    assert keystore.rotate_subject_key(subject) == 2
    current = keystore.data_key(subject)
    assert current.version == 2
    assert open_value(keystore.data_key(subject, 1), "t", "c", 1, sealed_old) == b"before"
    assert keystore.rotate_subject_key(subject) == 3


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_destroy_shreds_one_subject_only(keystore: Keystore, key_clock: ManualClock) -> None:
    """Destroying a subject's key makes every version unreadable (410) and spares others."""
    erased, kept = uuid.uuid4(), uuid.uuid4()
    keystore.ensure_subject_key(erased)
    keystore.rotate_subject_key(erased)
    kept_key = keystore.ensure_subject_key(kept)

    assert keystore.destroy(erased, "erasure") == 2
    assert keystore.is_destroyed(erased)
    assert not keystore.is_destroyed(kept)
    for version in (None, 1, 2):
        with pytest.raises(SubjectKeyDestroyed) as caught:
            keystore.data_key(erased, version)
        assert caught.value.status == 410
        assert caught.value.code == "subject-erased"
        assert caught.value.detail == (
            f"personal data of subject {erased} was crypto-shredded on 2026-03-02 "
            "and cannot be read"
        )
    assert keystore.data_key(kept).version == kept_key.version
    assert keystore.destroy(erased, "erasure") == 0


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_shredded_subject_never_gets_a_new_key(keystore: Keystore) -> None:
    """Creating, ensuring or rotating the key of an erased subject is refused."""
    subject = uuid.uuid4()
    keystore.ensure_subject_key(subject)
    keystore.destroy(subject, "erasure")
    for attempt in (
        keystore.create_subject_key,
        keystore.ensure_subject_key,
        keystore.rotate_subject_key,
    ):
        with pytest.raises(SubjectKeyDestroyed):
            attempt(subject)


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_erasing_a_subject_without_a_key_leaves_a_tombstone(keystore: Keystore) -> None:
    """A subject erased before it had a key is marked destroyed and never gets one."""
    subject = uuid.uuid4()
    assert keystore.destroy(subject, "erasure") == 0
    assert keystore.is_destroyed(subject)
    with pytest.raises(SubjectKeyDestroyed):
        keystore.ensure_subject_key(subject)
    assert keystore.status()["destroyed_subjects"] == 1
    assert keystore.status()["destroyed_keys"] == 0


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_destroyed_key_bytes_are_gone_from_the_keystore_files(
    keystore: Keystore, keystore_engine: Engine, keystore_db: Path, scan_sqlite
) -> None:
    """After destruction the wrapped key bytes occur nowhere in the keystore file or its WAL."""
    erased, kept = uuid.uuid4(), uuid.uuid4()
    keystore.ensure_subject_key(erased)
    keystore.rotate_subject_key(erased)
    keystore.ensure_subject_key(kept)
    erased_wrapped = _wrapped(keystore_engine, erased)
    kept_wrapped = _wrapped(keystore_engine, kept)
    needles = erased_wrapped + [w[:16] for w in erased_wrapped] + [w[-16:] for w in erased_wrapped]
    assert scan_sqlite(keystore_db, needles)  # present before, so the scan can see them

    keystore.destroy(erased, "erasure")

    assert scan_sqlite(keystore_db, needles) == []
    assert scan_sqlite(keystore_db, kept_wrapped)  # the other subject's key is still stored


def test_destroy_reason_is_validated(keystore: Keystore) -> None:
    """A destruction reason must be short printable text."""
    for reason in ("", "   ", "x" * 65, "bad\nreason"):
        with pytest.raises(ValidationFailed, match="reason"):
            keystore.destroy(uuid.uuid4(), reason)


def test_wrapped_key_copied_to_another_subject_fails(
    keystore: Keystore, keystore_engine: Engine
) -> None:
    """A wrapped key moved to another subject's row fails its integrity check, never decrypts."""
    victim, attacker = uuid.uuid4(), uuid.uuid4()
    keystore.ensure_subject_key(victim)
    keystore.ensure_subject_key(attacker)
    with keystore_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE subject_keys SET wrapped = "
                "(SELECT wrapped FROM subject_keys WHERE subject_id = :victim) "
                "WHERE subject_id = :attacker"
            ),
            {"victim": victim.hex, "attacker": attacker.hex},
        )
    with pytest.raises(CiphertextIntegrityError, match=str(attacker)):
        keystore.data_key(attacker)


@pytest.mark.policy("DP-SECURE")
def test_rewrap_moves_every_live_key_to_the_active_kek(
    keystore: Keystore, keyring: KeyRing, keystore_engine: Engine
) -> None:
    """Re-wrapping puts every live key under the new KEK, reports progress, keeps the keys."""
    subjects = [uuid.uuid4() for _ in range(5)]
    sealed = {s: seal_value(keystore.ensure_subject_key(s), "t", "c", 1, s.bytes) for s in subjects}
    erased = uuid.uuid4()
    keystore.ensure_subject_key(erased)
    keystore.destroy(erased, "erasure")
    old_kek = keyring.active_id
    new_kek = keyring.rotate()
    calls: list[tuple[int, int]] = []

    assert keystore.rewrap_all(lambda done, total: calls.append((done, total)), batch_size=2) == 5

    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    with keystore_engine.connect() as conn:
        rows = conn.execute(select(SubjectKey.subject_id, SubjectKey.kek_id, SubjectKey.wrapped))
        by_subject = {row.subject_id: (row.kek_id, row.wrapped) for row in rows}
    assert all(by_subject[s][0] == new_kek for s in subjects)
    assert by_subject[erased] == (old_kek, None)
    for subject, value in sealed.items():
        assert open_value(keystore.data_key(subject), "t", "c", 1, value) == subject.bytes
    assert keystore.rewrap_all() == 0


def test_kek_retirement_waits_until_no_key_uses_it(keystore: Keystore, keyring: KeyRing) -> None:
    """A KEK that still wraps data keys cannot be retired; after re-wrapping it can."""
    subject = uuid.uuid4()
    key = keystore.ensure_subject_key(subject)
    old_kek = keyring.active_id
    keyring.rotate()
    with pytest.raises(KeyRetirementRefused, match="1 data key"):
        keystore.retire_kek(old_kek)
    new_kek, count = keystore.rotate_kek()
    assert count == 1
    with pytest.raises(KeyRetirementRefused, match="active"):
        keystore.retire_kek(new_kek)
    keystore.retire_kek(old_kek)
    assert old_kek not in keyring.kek_ids
    sealed = seal_value(key, "t", "c", 1, b"still here")
    assert open_value(keystore.data_key(subject), "t", "c", 1, sealed) == b"still here"


def test_status_counts_keys_per_kek_and_destroyed_subjects(
    keystore: Keystore, keyring: KeyRing, keystore_engine: Engine
) -> None:
    """Status reports keys per KEK, subjects, destroyed subjects and KEKs the ring lacks."""
    first_kek = keyring.active_id
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    keystore.ensure_subject_key(a)
    keystore.rotate_subject_key(a)
    keystore.ensure_subject_key(b)
    second_kek = keyring.rotate()
    keystore.ensure_subject_key(c)
    keystore.destroy(b, "erasure")
    with keystore_engine.begin() as conn:
        conn.execute(
            text("UPDATE subject_keys SET kek_id = 'kek-lost' WHERE subject_id = :c"), {"c": c.hex}
        )
    report = keystore.status()
    assert report == {
        "active_kek": second_kek,
        "keks": sorted([first_kek, second_kek]),
        "data_keys_per_kek": {first_kek: 2, second_kek: 0},
        "unknown_keks": ["kek-lost"],
        "live_keys": 3,
        "subjects": 2,
        "destroyed_subjects": 1,
        "destroyed_keys": 1,
    }
