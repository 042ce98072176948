"""Sealing and opening a column at a time: value for value the bytes of ``seal_value`` with a
synthetic nonce, the plaintexts of ``open_value``, and the same refusals, naming the place."""

from __future__ import annotations

import hashlib
import struct
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from klaremont.crypto.aead import (
    MIN_SEALED_BYTES,
    DataKey,
    open_column,
    open_value,
    seal_column,
    seal_value,
    subject_tag,
)
from klaremont.crypto.errors import CiphertextIntegrityError

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.crypto.aead import ColumnKey

TABLE, COLUMN = "customers", "email"
NONCE_KEY = hashlib.sha256(b"test nonce key").digest()
ADA = uuid.UUID("11111111-1111-4111-8111-111111111111")
BOB = uuid.UUID("2b2b2b2b-aaaa-4bbb-8ccc-dddddddddddd")
CY = uuid.UUID("c0ffee00-0000-4000-8000-00000000beef")
ROWS = [uuid.UUID(f"00000000-0000-4000-8000-{n:012d}") for n in range(1, 8)]
# (subject, data-key version, row, plaintext): several subjects and versions, None kept
BATCH: list[tuple[uuid.UUID, int, uuid.UUID, bytes | None]] = [
    (ADA, 1, ROWS[0], b"ada@example.co.uk"),
    (BOB, 1, ROWS[1], None),
    (BOB, 2, ROWS[2], b"bob.builder@example.org"),
    (CY, 3, ROWS[3], "Zo\u00eb \u00dcnic\u00f6de, Flat 2".encode()),
    (ADA, 2, ROWS[4], b""),
    (CY, 1, ROWS[5], None),
    (ADA, 1, ROWS[6], b"ada@example.co.uk"),  # the same value at another row
]


def raw_key(subject: uuid.UUID, version: int) -> bytes:
    """A distinct 32-byte data key for each subject and version."""
    return hashlib.sha256(f"data key {subject} v{version}".encode()).digest()


def data_key(subject: uuid.UUID, version: int) -> DataKey:
    return DataKey.from_bytes(subject, version, raw_key(subject, version))


def column_key(subject: uuid.UUID, version: int, *, tag_of: str | None = None) -> ColumnKey:
    """The column form of :func:`data_key` (``tag_of``: the hex the subject tag is made of)."""
    tag = subject_tag(subject.hex if tag_of is None else tag_of)
    return (AESGCM(raw_key(subject, version)), version, tag)


def sealed_one_by_one(batch=BATCH, *, nonce_key: bytes | None = NONCE_KEY) -> list[bytes | None]:
    return [
        None if p is None else seal_value(data_key(s, v), TABLE, COLUMN, r, p, nonce_key=nonce_key)
        for s, v, r, p in batch
    ]


def sealed_as_column(batch=BATCH) -> list[bytes | None]:
    def key_for(at: int) -> ColumnKey:
        subject, version, _, _ = batch[at]
        # upper-case hex for one subject: the tag must not depend on the digits' case
        return column_key(subject, version, tag_of=subject.hex.upper() if subject == BOB else None)

    return seal_column(
        TABLE,
        COLUMN,
        [str(r) for _, _, r, _ in batch],
        [p for _, _, _, p in batch],
        key_for,
        nonce_key=NONCE_KEY,
    )


def key_by_row(batch=BATCH) -> Callable[[int, int], ColumnKey]:
    """``key_for`` of :func:`open_column`: row ``at``'s subject's key of the asked version."""
    return lambda at, version: column_key(batch[at][0], version)


# ---------------------------------------------------------------------- sealing


@pytest.mark.policy("DP-SECURE")
def test_seal_column_is_seal_value_with_a_synthetic_nonce_byte_for_byte():
    """Each value of a column seals to exactly the bytes ``seal_value`` gives it."""
    column = sealed_as_column()
    assert column == sealed_one_by_one()
    assert [v is None for v in column] == [p is None for _, _, _, p in BATCH]
    versions = [struct.unpack(">I", v[1:5])[0] for v in column if v is not None]
    assert versions == [v for _, v, _, p in BATCH if p is not None]
    # the same value at another row seals to other bytes (the row is in the nonce and AAD)
    assert column[0] != column[6]
    # another nonce key, other bytes: the nonce key is used, not ignored
    assert sealed_one_by_one(nonce_key=bytes(32)) != column


def test_seal_column_asks_each_row_with_a_value_for_its_key_once():
    """``key_for`` is asked by the row's position in the batch, never for a ``None``."""
    asked: list[int] = []

    def key_for(at: int) -> ColumnKey:
        asked.append(at)
        subject, version, _, _ = BATCH[at]
        return column_key(subject, version)

    seal_column(
        TABLE,
        COLUMN,
        [str(r) for _, _, r, _ in BATCH],
        [p for _, _, _, p in BATCH],
        key_for,
        nonce_key=NONCE_KEY,
    )
    assert asked == [at for at, (_, _, _, p) in enumerate(BATCH) if p is not None]


def test_a_column_and_its_row_ids_must_be_as_long_as_each_other():
    """A column with more values than row ids is refused, not sealed short."""
    with pytest.raises(ValueError):
        seal_column(
            TABLE,
            COLUMN,
            [str(ROWS[0])],
            [b"one", b"two"],
            lambda _: column_key(ADA, 1),
            nonce_key=NONCE_KEY,
        )
    with pytest.raises(ValueError):
        open_column(TABLE, COLUMN, [str(ROWS[0]), str(ROWS[1])], [None], key_by_row())


# ---------------------------------------------------------------------- opening


@pytest.mark.policy("DP-SECURE")
def test_open_column_gives_back_what_seal_column_sealed():
    """Every value opens to its plaintext, ``None`` stays ``None``, each key asked by the
    row's position and the version its header names."""
    asked: list[tuple[int, int]] = []

    def key_for(at: int, version: int) -> ColumnKey:
        asked.append((at, version))
        return column_key(BATCH[at][0], version)

    ids = [str(r) for _, _, r, _ in BATCH]
    opened = open_column(TABLE, COLUMN, ids, sealed_as_column(), key_for)
    assert opened == [p for _, _, _, p in BATCH]
    assert asked == [(at, v) for at, (_, v, _, p) in enumerate(BATCH) if p is not None]


@pytest.mark.policy("DP-SECURE")
def test_open_column_equals_open_value_on_values_sealed_with_random_nonces():
    """Values sealed the usual way (random nonces) open as ``open_value`` opens them, also
    when the driver hands them over as a memoryview or bytearray."""
    sealed = sealed_one_by_one(nonce_key=None)
    assert sealed != sealed_one_by_one(nonce_key=None)  # random: fresh bytes each time
    one_by_one = [
        None if v is None else open_value(data_key(s, version), TABLE, COLUMN, r, v)
        for (s, version, r, _), v in zip(BATCH, sealed, strict=True)
    ]
    handed: list[Any] = list(sealed)
    handed[0] = memoryview(handed[0])  # as PostgreSQL's driver hands bytea over
    handed[2] = bytearray(handed[2])  # any bytes-like value
    ids = [str(r) for _, _, r, _ in BATCH]
    assert open_column(TABLE, COLUMN, ids, handed, key_by_row()) == one_by_one
    assert one_by_one == [p for _, _, _, p in BATCH]


@pytest.mark.policy("DP-SECURE")
@given(
    subjects=st.lists(st.uuids(), min_size=1, max_size=3),
    rows=st.lists(
        st.tuples(st.integers(0, 2), st.integers(1, 3), st.uuids(), st.none() | st.binary()),
        max_size=8,
    ),
)
def test_any_column_seals_as_seal_value_and_opens_back(
    subjects: list[uuid.UUID], rows: list[tuple[int, int, uuid.UUID, bytes | None]]
) -> None:
    """Any batch of subjects, versions, row ids and values: the same bytes, and back."""
    batch = [(subjects[n % len(subjects)], v, r, p) for n, v, r, p in rows]
    column = sealed_as_column(batch)
    assert column == sealed_one_by_one(batch)
    ids = [str(r) for _, _, r, _ in batch]
    assert open_column(TABLE, COLUMN, ids, column, key_by_row(batch)) == [p for *_, p in batch]


# ---------------------------------------------------------------------- refusals


def _flip(at: int) -> Callable[[bytes], bytes]:
    return lambda b: b[:at] + bytes([b[at] ^ 0x01]) + b[at + 1 :]


@pytest.mark.policy("DP-SECURE")
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(lambda b: b[: MIN_SEALED_BYTES - 1], "truncated", id="truncated"),
        pytest.param(lambda b: b[:5], "truncated", id="header-only"),
        pytest.param(lambda b: b"\x02" + b[1:], "unknown format", id="format"),
        pytest.param(lambda b: b"\x00" + b[1:], "unknown format", id="format-zero"),
        pytest.param(_flip(8), "altered or moved", id="nonce"),
        pytest.param(_flip(20), "altered or moved", id="ciphertext"),
        pytest.param(_flip(-1), "altered or moved", id="tag"),
        pytest.param(lambda b: b + b"\x00", "altered or moved", id="lengthened"),
    ],
)
def test_an_altered_value_fails_integrity_naming_its_table_column_and_row(
    damage: Callable[[bytes], bytes], reason: str
) -> None:
    """A truncated, unknown-format or tampered value is refused, the error naming the row
    it was read at (not the batch's first) and never the plaintext."""
    batch = [(ADA, 1, ROWS[0], b"a fine first value"), (ADA, 1, ROWS[1], b"secret ada value")]
    column = sealed_as_column(batch)
    assert column[1] is not None
    column[1] = damage(column[1])
    ids = [str(r) for _, _, r, _ in batch]
    with pytest.raises(CiphertextIntegrityError) as caught:
        open_column(TABLE, COLUMN, ids, column, key_by_row(batch))
    detail = caught.value.detail
    assert f"{TABLE}.{COLUMN}" in detail
    assert f"row {ROWS[1]}" in detail
    assert reason in detail
    assert "secret" not in detail


@pytest.mark.policy("DP-SECURE")
def test_a_value_of_key_version_2_is_refused_by_a_version_1_key():
    """The key handed back must be of the version the value names; another is refused."""
    column = sealed_as_column([(BOB, 2, ROWS[2], b"bob.builder@example.org")])
    with pytest.raises(CiphertextIntegrityError) as caught:
        open_column(TABLE, COLUMN, [str(ROWS[2])], column, lambda _, __: column_key(BOB, 1))
    detail = caught.value.detail
    assert f"{TABLE}.{COLUMN}" in detail
    assert str(ROWS[2]) in detail
    assert "sealed with key version 2, not 1" in detail


@pytest.mark.policy("DP-SECURE")
def test_a_version_header_edited_to_another_existing_version_fails_integrity():
    """A version-1 value whose header now says 2, opened with the real version-2 key, fails
    (the header is authenticated) instead of decrypting."""
    column = sealed_as_column([(ADA, 1, ROWS[0], b"ada@example.co.uk")])
    assert column[0] is not None
    edited = column[0][:1] + struct.pack(">I", 2) + column[0][5:]
    with pytest.raises(CiphertextIntegrityError, match=r"customers\.email.*altered or moved"):
        open_column(TABLE, COLUMN, [str(ROWS[0])], [edited], lambda _, v: column_key(ADA, v))


@pytest.mark.policy("DP-SECURE")
@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        pytest.param(TABLE, COLUMN, ROWS[5], id="another-row"),
        pytest.param(TABLE, "phone", ROWS[0], id="another-column"),
        pytest.param("addresses", COLUMN, ROWS[0], id="another-table"),
    ],
)
def test_a_value_moved_to_another_place_fails_integrity(
    table: str, column: str, row: uuid.UUID
) -> None:
    """A value read at another row, column or table is refused, naming where it was read."""
    sealed = sealed_as_column([(ADA, 1, ROWS[0], b"ada@example.co.uk")])
    with pytest.raises(CiphertextIntegrityError) as caught:
        open_column(table, column, [str(row)], sealed, lambda _, v: column_key(ADA, v))
    detail = caught.value.detail
    assert f"{table}.{column}" in detail
    assert str(row) in detail
    assert "altered or moved" in detail
    assert "ada@" not in detail


@pytest.mark.policy("DP-SECURE")
@pytest.mark.parametrize(
    "key_for",
    [
        pytest.param(lambda _, v: column_key(BOB, v), id="the-other-subject's-key"),
        # the owner's key bytes, but bound to the other subject: the tag is authenticated too
        pytest.param(lambda _, v: column_key(ADA, v, tag_of=BOB.hex), id="owner's-key-other-tag"),
    ],
)
def test_a_value_moved_to_another_subject_fails_integrity(
    key_for: Callable[[int, int], ColumnKey],
) -> None:
    """A value attributed to another subject is refused instead of decrypting."""
    sealed = sealed_as_column([(ADA, 1, ROWS[0], b"ada@example.co.uk")])
    owner = open_column(TABLE, COLUMN, [str(ROWS[0])], sealed, lambda _, v: column_key(ADA, v))
    assert owner == [b"ada@example.co.uk"]
    with pytest.raises(CiphertextIntegrityError) as caught:
        open_column(TABLE, COLUMN, [str(ROWS[0])], sealed, key_for)
    assert f"{TABLE}.{COLUMN}" in caught.value.detail
    assert str(ROWS[0]) in caught.value.detail


# ---------------------------------------------------------------------- the subject tag


@given(subject=st.uuids())
def test_subject_tag_is_the_dashed_lower_case_id_from_either_case_of_hex(
    subject: uuid.UUID,
) -> None:
    """The tag is what ``str(UUID)`` gives (as ``DataKey`` binds values), whatever the case."""
    for h in (subject.hex, subject.hex.upper()):
        assert subject_tag(h) == str(uuid.UUID(hex=h)).encode()
    assert subject_tag(subject.hex.upper()) == DataKey.from_bytes(subject, 1, bytes(32)).subject_tag


def test_subject_tag_of_known_ids():
    assert subject_tag("c0ffee000000400080000000" + "0000beef") == (
        b"c0ffee00-0000-4000-8000-00000000beef"
    )
    assert subject_tag("ABCDEF0123456789ABCDEF0123456789") == (
        b"abcdef01-2345-6789-abcd-ef0123456789"
    )
