"""Sealing values: layout, binding to place and subject, shredding, caching, round trips."""

from __future__ import annotations

import struct
import uuid
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, event

from klaremont.clock import SystemClock
from klaremont.crypto.aead import DataKey, associated_data
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.errors import CiphertextIntegrityError, CryptoError, SubjectKeyDestroyed
from klaremont.crypto.keyring import KeyRing
from klaremont.crypto.keystore import Keystore
from klaremont.crypto.keystore_models import KeystoreBase
from klaremont.db.engine import make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ROW = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_ROW = uuid.UUID("00000000-0000-4000-8000-000000000002")


@pytest.fixture(scope="module")
def shared_crypto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CryptoContext]:
    """A crypto context over a real keystore, shared by the property test's examples."""
    root = tmp_path_factory.mktemp("sealing")
    engine = make_engine(f"sqlite:///{root / 'keystore.db'}")
    KeystoreBase.metadata.create_all(engine)
    yield CryptoContext(Keystore(engine, KeyRing.load_or_create(root / "kek.json"), SystemClock()))
    engine.dispose()


@pytest.mark.policy("DP-SECURE")
def test_text_and_bytes_round_trip(crypto: CryptoContext) -> None:
    """A sealed text or byte value opens to exactly what was sealed."""
    subject = uuid.uuid4()
    sealed = crypto.seal(subject, "customers", "email", ROW, "ada@example.co.uk")
    assert crypto.open(subject, "customers", "email", ROW, sealed) == "ada@example.co.uk"
    blob = crypto.seal(subject, "customers", "photo", ROW, b"\x00\xff binary")
    assert crypto.open_bytes(subject, "customers", "photo", ROW, blob) == b"\x00\xff binary"
    with pytest.raises(CryptoError, match="open_bytes"):
        crypto.open(subject, "customers", "photo", ROW, blob)


def test_ciphertext_layout(crypto: CryptoContext) -> None:
    """Format byte 0x01, the 4-byte key version, a 12-byte nonce, then ciphertext and tag."""
    subject = uuid.uuid4()
    first = crypto.seal(subject, "t", "c", ROW, "hello")
    second = crypto.seal(subject, "t", "c", ROW, "hello")
    assert first[0] == 0x01
    assert struct.unpack(">I", first[1:5]) == (1,)
    assert len(first) == 1 + 4 + 12 + len("hello") + 16
    assert first[5:17] != second[5:17]  # a fresh nonce every time
    assert first != second


def test_associated_data_names_table_column_row_and_subject() -> None:
    """The associated data is the documented, versioned binding of a value to its place."""
    subject = uuid.UUID("11111111-1111-4111-8111-111111111111")
    expected = f"klaremont/v1\x00customers\x00email\x00{ROW}\x00{subject}".encode()
    assert associated_data("customers", "email", ROW, subject) == expected


@pytest.mark.policy("DP-SECURE")
@pytest.mark.parametrize(
    ("table", "column", "row"),
    [("customers", "email", OTHER_ROW), ("customers", "phone", ROW), ("addresses", "email", ROW)],
)
def test_value_moved_elsewhere_fails_integrity(
    crypto: CryptoContext, table: str, column: str, row: uuid.UUID
) -> None:
    """A value read at another row, column or table fails, naming where it was read."""
    subject = uuid.uuid4()
    sealed = crypto.seal(subject, "customers", "email", ROW, "ada@example.co.uk")
    with pytest.raises(CiphertextIntegrityError) as caught:
        crypto.open(subject, table, column, row, sealed)
    assert f"{table}.{column}" in caught.value.detail
    assert str(row) in caught.value.detail
    assert "ada" not in caught.value.detail


def test_value_moved_to_another_subject_fails_integrity(crypto: CryptoContext) -> None:
    """A value attributed to another subject fails instead of decrypting."""
    owner, other = uuid.uuid4(), uuid.uuid4()
    crypto.seal(other, "t", "c", ROW, "other's value")
    sealed = crypto.seal(owner, "t", "c", ROW, "owner's value")
    with pytest.raises(CiphertextIntegrityError):
        crypto.open(other, "t", "c", ROW, sealed)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-1] + bytes([b[-1] ^ 0x01]), id="tag"),
        pytest.param(lambda b: b[:20] + bytes([b[20] ^ 0x80]) + b[21:], id="body"),
        pytest.param(lambda b: b"\x02" + b[1:], id="format"),
        pytest.param(lambda b: b[:10], id="truncated"),
    ],
)
def test_altered_value_fails_integrity(crypto: CryptoContext, damage) -> None:
    """Any altered, truncated or unknown-format value fails its integrity check."""
    subject = uuid.uuid4()
    sealed = crypto.seal(subject, "t", "c", ROW, "a long enough personal value")
    with pytest.raises(CiphertextIntegrityError, match=r"t\.c"):
        crypto.open(subject, "t", "c", ROW, damage(sealed))


def test_edited_version_header_fails_integrity(crypto: CryptoContext) -> None:
    """Pointing a value at another key version (that exists) fails rather than mis-decrypting."""
    subject = uuid.uuid4()
    sealed = crypto.seal(subject, "t", "c", ROW, "value")
    crypto.rotate_subject_key(subject)
    moved = sealed[:1] + struct.pack(">I", 2) + sealed[5:]
    with pytest.raises(CiphertextIntegrityError):
        crypto.open(subject, "t", "c", ROW, moved)


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_shredded_subject_raises_and_others_still_open(keystore: Keystore) -> None:
    """After shredding, the subject's values raise SubjectKeyDestroyed; another's still open."""
    erased, kept = uuid.uuid4(), uuid.uuid4()
    writer = CryptoContext(keystore)
    erased_value = writer.seal(erased, "t", "c", ROW, "erase me")
    kept_value = writer.seal(kept, "t", "c", OTHER_ROW, "keep me")
    keystore.destroy(erased, "erasure")

    reader = CryptoContext(keystore)
    with pytest.raises(SubjectKeyDestroyed) as caught:
        reader.open(erased, "t", "c", ROW, erased_value)
    assert caught.value.status == 410
    assert reader.open(kept, "t", "c", OTHER_ROW, kept_value) == "keep me"
    with pytest.raises(SubjectKeyDestroyed):
        reader.seal(erased, "t", "c", ROW, "new data for an erased subject")


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_destroy_through_the_context_drops_its_cached_key(crypto: CryptoContext) -> None:
    """A context that shredded a subject no longer opens its values from its key cache."""
    subject = uuid.uuid4()
    sealed = crypto.seal(subject, "t", "c", ROW, "value")
    assert crypto.open(subject, "t", "c", ROW, sealed) == "value"
    assert crypto.destroy(subject, "erasure") == 1
    with pytest.raises(SubjectKeyDestroyed):
        crypto.open(subject, "t", "c", ROW, sealed)
    with pytest.raises(SubjectKeyDestroyed):
        crypto.check_not_shredded(subject)


def test_keys_are_cached_for_the_unit_of_work(
    crypto: CryptoContext, keystore_engine: Engine
) -> None:
    """Within one context a subject's key is fetched once; forget() fetches it again."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(keystore_engine, "before_cursor_execute", count)
    try:
        subject = uuid.uuid4()
        sealed = [crypto.seal(subject, "t", "c", i, f"value {i}") for i in range(20)]
        opened = [crypto.open(subject, "t", "c", i, s) for i, s in enumerate(sealed)]
        assert opened[-1] == "value 19"
        after_first_use = len(statements)
        crypto.seal(subject, "t", "c", 99, "more")
        assert len(statements) == after_first_use
        crypto.forget(subject)
        crypto.open(subject, "t", "c", 0, sealed[0])
        assert len(statements) > after_first_use
    finally:
        event.remove(keystore_engine, "before_cursor_execute", count)


def test_rotated_subject_key_seals_new_values_and_opens_old(crypto: CryptoContext) -> None:
    """After rotating a subject's key new values use version 2 and version-1 values still open."""
    subject = uuid.uuid4()
    old = crypto.seal(subject, "t", "c", ROW, "old")
    assert crypto.rotate_subject_key(subject) == 2
    new = crypto.seal(subject, "t", "c", ROW, "new")
    assert struct.unpack(">I", new[1:5]) == (2,)
    assert crypto.open(subject, "t", "c", ROW, old) == "old"
    assert crypto.open(subject, "t", "c", ROW, new) == "new"


def test_no_key_material_in_reprs(crypto: CryptoContext, key_file: Path) -> None:
    """Data keys, contexts and keystores show ids and counts, never key bytes."""
    raw = bytes(range(32))
    key = DataKey.from_bytes(uuid.uuid4(), 1, raw)
    crypto.seal(uuid.uuid4(), "t", "c", ROW, "x")
    shown = repr(key) + repr(crypto) + repr(crypto.keystore) + repr(crypto.keystore.indexer)
    assert raw.hex() not in shown
    assert key_file.read_text().split('"index_key": "')[1][:20] not in shown
    with pytest.raises(ValueError):
        DataKey.from_bytes(uuid.uuid4(), 1, b"short")


@pytest.mark.policy("DP-SECURE")
@given(value=st.text(), row=st.integers(min_value=0, max_value=2**63))
def test_any_text_round_trips(shared_crypto: CryptoContext, value: str, row: int) -> None:
    """Every Unicode text seals and opens back to itself, bound to its row."""
    subject = uuid.UUID(int=row % 7)
    sealed = shared_crypto.seal(subject, "t", "c", row, value)
    assert shared_crypto.open(subject, "t", "c", row, sealed) == value
    assert len(value.encode()) < 8 or value.encode() not in sealed
