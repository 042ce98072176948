"""The transform's batch paths give what the value-at-a-time forms give.

Several sealed columns of a batch are sealed with each row's key looked up once
(``CopyKeys.seal_columns``): the same bytes as one column at a time and as
``aead.seal_value`` with the same synthetic nonce, and a key is made (and kept for the
copy's keystore) only for a row with something to seal. Ids are sliced into their dashed
form, and their hex taken, a column at a time, for every form a driver returns. References
keep everything but their longest run of ASCII digits.
"""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from klaremont.crypto.aead import DataKey, open_value, seal_value
from klaremont.sanitize.copykeys import CopyKeys
from klaremont.sanitize.fakes import Faker
from klaremont.sanitize.transform import (
    comparable,
    comparables,
    dashed,
    dashed_all,
    digests_of,
    hex_of,
    hexes_of,
)

KEY = b"k" * 32
ADA = uuid.UUID("a1b2c3d4-e5f6-4a7b-8c9d-aeafbfcfdfef")
BOB = uuid.UUID("0000000b-0b0b-4b0b-8b0b-b0b0b0b0b0b0")
ROW_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ROW_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def _data_key(keys: CopyKeys, subject: uuid.UUID) -> DataKey:
    raw = keys._raw(subject.hex)
    return DataKey(subject_id=subject, version=1, aead=AESGCM(raw))


@pytest.mark.policy("IS-SENS-DEV")
def test_several_columns_sealed_at_once_are_the_bytes_of_one_value_at_a_time():
    keys = CopyKeys(KEY)
    subjects, ids = [ADA.hex, BOB.hex], [str(ROW_A), str(ROW_B)]
    columns = {"name": ["Ada Lovelace", None], "email": ["ada@example.com", "bob@example.com"]}
    together = keys.seal_columns("customers", columns, subjects, ids)
    alone = CopyKeys(KEY)
    for column, plain in columns.items():
        assert together[column] == alone.seal_column("customers", column, subjects, ids, plain)
    nonce_key = keys._nonce_key
    for column, plain in columns.items():
        for subject, row, text, sealed in zip(
            (ADA, BOB), (ROW_A, ROW_B), plain, together[column], strict=True
        ):
            if text is None:
                assert sealed is None
                continue
            key = _data_key(keys, subject)
            assert sealed == seal_value(key, "customers", column, row, text.encode(),
                                        nonce_key=nonce_key)  # fmt: skip
            assert open_value(key, "customers", column, row, sealed) == text.encode()
    assert keys.fresh == [ADA.hex, BOB.hex]


@pytest.mark.policy("IS-SENS-DEV")
def test_a_row_with_nothing_to_seal_makes_no_key():
    keys = CopyKeys(KEY)
    sealed = keys.seal_columns(
        "customers",
        {"name": ["Ada Lovelace", None], "phone": [None, None]},
        [ADA.hex, BOB.hex],
        [str(ROW_A), str(ROW_B)],
    )
    assert sealed == {"name": [sealed["name"][0], None], "phone": [None, None]}
    assert keys.fresh == [ADA.hex]  # Bob had nothing sealed: no key in the copy's keystore


def test_ids_a_column_at_a_time_in_every_form():
    lower = ADA.hex
    forms = [lower, lower.upper(), str(ADA), ADA, "0" * 32]
    assert (
        dashed_all(forms)
        == [dashed(v) for v in forms]
        == [str(ADA)] * 4 + ["00000000-0000-0000-0000-000000000000"]
    )
    assert hexes_of(forms) == [hex_of(v) for v in forms]
    assert dashed_all([lower, BOB.hex]) == [str(ADA), str(BOB)]  # the sliced path
    assert hexes_of([lower, BOB.hex]) == [lower, BOB.hex]
    assert dashed_all([]) == []


def test_comparable_texts_a_column_at_a_time_follow_comparable_value_by_value():
    faker = Faker(KEY, interpreter_keyed=False)
    digest = faker.verify_digest
    values = ["ada@example.com", "abc", None, str(ADA), ADA, b"\x01\x02\x03", 42, "x" * 36,
              "-" * 36, ADA.hex]  # fmt: skip
    expected = {digest(t) for t in map(comparable, values) if t is not None}
    assert digests_of(values, digest) == expected
    texts = [v for v in values if isinstance(v, str)]  # text only: no value one by one
    assert digests_of(texts, digest) == {digest(t) for t in map(comparable, texts) if t}
    assert len(digests_of(texts, digest)) == 3  # the e-mail, the id (either form), the x-s
    assert comparables(values) == [comparable(v) for v in values]
    assert comparables(["ada@example.com", "abc"]) == ["ada@example.com", None]


@pytest.mark.policy("IS-SENS-DEV")
def test_a_reference_keeps_all_but_its_first_longest_run_of_digits():
    faker = Faker(KEY, interpreter_keyed=False)
    made = faker.reference("KL-1234567-89-7654321")
    assert (made[:3], made[10:]) == ("KL-", "-89-7654321")
    assert made[3:10] != "1234567"
    assert made[3:10].isdigit()
    longest = faker.reference("A123456B12345678")
    assert longest[:8] == "A123456B"
    assert longest[8:] != "12345678"
    assert longest[8:].isdigit()
    short = faker.reference("KL-12345")  # below FF3-1's domain: a keyed shuffle
    assert short != "KL-12345"
    assert short.startswith("KL-")
    assert short[3:].isdigit()
    assert faker.reference("no digits") == "no digits"
    # digits of other scripts are not ASCII digits: kept as they are (verification then
    # finds the value unchanged and fails the copy), never handed to FF3-1
    arabic = "KL-\u0661\u0662\u0663\u0664\u0665\u0666\u0667"
    assert faker.reference(arabic) == arabic
