"""The sanitiser's column-at-a-time keys and its verification digests.

Production's values are opened a column at a time and refused for a subject with no key or
a destroyed one; the copy's are sealed as ``seal_value`` seals them. Verification compares
keyed digests: the interpreter's string hash when its key is random, else BLAKE2b under the
run key; evidence gathered under another key (a worker not forked from the parent) is
refused rather than merged.
"""

from __future__ import annotations

import copy
import os
import struct
import subprocess
import sys
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sanitize_support import KEY, OTHER_KEY

from klaremont.crypto.aead import DataKey, open_value, seal_value
from klaremont.crypto.blind_index import BlindIndexer
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.errors import SubjectKeyDestroyed, UnknownKey
from klaremont.platform import Platform
from klaremont.sanitize.copykeys import COPY_KEYS_MADE_AT, CopyKeys, SourceKeys
from klaremont.sanitize.fakes import Faker, _interpreter_key_is_random
from klaremont.sanitize.transform import CANARY, Evidence, Transformer, comparables, digests_of

TABLE, COLUMN = "customers", "email"
ROWS = [uuid.UUID(f"00000000-0000-4000-8000-{n:012d}") for n in range(1, 6)]
ADA = uuid.UUID("11111111-1111-4111-8111-111111111111")
BOB = uuid.UUID("22222222-2222-4222-8222-222222222222")
NOBODY_KNOWN = uuid.UUID("33333333-3333-4333-8333-333333333333")


def _blake2b() -> Faker:
    return Faker(KEY, interpreter_keyed=False)


# ---------------------------------------------------------------------- production's keys


def test_source_keys_open_a_column_of_several_subjects_and_key_versions(platform: Platform):
    """Values of two subjects, one of them rotated, open in one column; None stays None."""
    writer = CryptoContext(platform.keystore)
    first = writer.seal(ADA, TABLE, COLUMN, ROWS[0], "ada@example.co.uk")
    assert writer.rotate_subject_key(ADA) == 2
    second = writer.seal(ADA, TABLE, COLUMN, ROWS[1], "ada.new@example.co.uk")
    bobs = writer.seal(BOB, TABLE, COLUMN, ROWS[2], "bob@example.org")
    assert struct.unpack(">I", second[1:5]) == (2,)

    keys = SourceKeys(platform.keystore)
    subjects = [ADA.hex, ADA.hex, BOB.hex, BOB.hex]
    keys.load(subjects)
    ids = [str(r) for r in ROWS[:4]]
    opened = keys.open_column(TABLE, COLUMN, subjects, ids, [first, second, bobs, None])
    assert opened == [b"ada@example.co.uk", b"ada.new@example.co.uk", b"bob@example.org", None]

    # a worker process opens with the keys the parent hands it, and only those
    worker = SourceKeys(platform.keystore)
    worker.take([BOB.hex], keys.handed([BOB.hex]))
    assert worker.open_column(TABLE, COLUMN, [BOB.hex], [ids[2]], [bobs]) == [b"bob@example.org"]
    worker.forget()
    with pytest.raises(UnknownKey):
        worker.open_column(TABLE, COLUMN, [BOB.hex], [ids[2]], [bobs])


@pytest.mark.policy("IS-SENS-DEV")
def test_source_keys_refuse_a_subject_with_no_key(platform: Platform):
    """A value of a subject production holds no key for is refused, naming the subject and
    the version; so is a version the subject never had."""
    stray = DataKey.from_bytes(NOBODY_KNOWN, 1, bytes(32))
    sealed = seal_value(stray, TABLE, COLUMN, ROWS[0], b"made with a key the keystore never held")
    keys = SourceKeys(platform.keystore)
    keys.load([NOBODY_KNOWN.hex])
    with pytest.raises(UnknownKey) as caught:
        keys.open_column(TABLE, COLUMN, [NOBODY_KNOWN.hex], [str(ROWS[0])], [sealed])
    assert NOBODY_KNOWN.hex in caught.value.detail
    assert "version 1" in caught.value.detail

    version_one = CryptoContext(platform.keystore).seal(ADA, TABLE, COLUMN, ROWS[1], "ada")
    claims_two = version_one[:1] + struct.pack(">I", 2) + version_one[5:]
    keys.load([ADA.hex])
    assert keys.open_column(TABLE, COLUMN, [ADA.hex], [str(ROWS[1])], [version_one]) == [b"ada"]
    with pytest.raises(UnknownKey, match="no data key version 2"):
        keys.open_column(TABLE, COLUMN, [ADA.hex], [str(ROWS[1])], [claims_two])


@pytest.mark.policy("IS-SENS-DEV")
def test_source_keys_refuse_a_destroyed_subject_and_open_the_others(platform: Platform):
    """After crypto-shredding, the subject's values raise SubjectKeyDestroyed (its id, the
    copy's fixed date); another subject's values in the same column still open."""
    writer = CryptoContext(platform.keystore)
    kept = writer.seal(BOB, TABLE, COLUMN, ROWS[0], "bob@example.org")
    erased = writer.seal(ADA, TABLE, COLUMN, ROWS[1], "ada@example.co.uk")
    platform.keystore.destroy(ADA, "erasure in a test")

    keys = SourceKeys(platform.keystore)
    assert ADA.hex in keys.destroyed_subjects()
    assert BOB.hex not in keys.destroyed_subjects()
    subjects = [BOB.hex, ADA.hex]
    keys.load(subjects)
    assert keys.open_column(TABLE, COLUMN, [BOB.hex], [str(ROWS[0])], [kept]) == [
        b"bob@example.org"
    ]
    ids = [str(ROWS[0]), str(ROWS[1])]
    with pytest.raises(SubjectKeyDestroyed) as caught:
        keys.open_column(TABLE, COLUMN, subjects, ids, [kept, erased])
    assert caught.value.subject_id == ADA
    assert caught.value.destroyed_at == COPY_KEYS_MADE_AT
    assert caught.value.status == 410
    # a None of the erased subject asks for no key at all
    assert keys.open_column(TABLE, COLUMN, subjects, ids, [kept, None]) == [
        b"bob@example.org",
        None,
    ]

    # not told of the destruction, the keys still refuse: the key itself is gone
    unaware = SourceKeys(platform.keystore)
    unaware.load([ADA.hex])
    with pytest.raises(UnknownKey):
        unaware.open_column(TABLE, COLUMN, [ADA.hex], [str(ROWS[1])], [erased])


# ---------------------------------------------------------------------- the copy's keys


def test_copy_keys_seal_a_column_as_seal_value_with_the_copys_keys():
    """Each value seals to the bytes ``seal_value`` gives it under the subject's derived
    version-1 key and the run's nonce key; each subject noted for the keystore once."""
    keys = CopyKeys(KEY)
    subjects = [ADA.hex, BOB.hex, ADA.hex, NOBODY_KNOWN.hex, BOB.hex]
    plain = ["ada@example.com", "bob@example.com", None, None, "b\u00f6b@example.com"]
    ids = [str(r) for r in ROWS]
    sealed = keys.seal_column(TABLE, COLUMN, subjects, ids, plain)
    expected = [
        None
        if p is None
        else seal_value(
            DataKey.from_bytes(uuid.UUID(hex=s), 1, keys._raw(s)),
            TABLE,
            COLUMN,
            r,
            p.encode(),
            nonce_key=keys._nonce_key,
        )
        for s, r, p in zip(subjects, ROWS, plain, strict=True)
    ]
    assert sealed == expected
    assert keys.fresh == [ADA.hex, BOB.hex]  # once each; only None: no key made
    assert CopyKeys(KEY).seal_column(TABLE, COLUMN, subjects, ids, plain) == sealed
    assert CopyKeys(OTHER_KEY).seal_column(TABLE, COLUMN, subjects, ids, plain) != sealed
    key = DataKey.from_bytes(ADA, 1, keys._raw(ADA.hex))
    assert sealed[0] is not None
    assert open_value(key, TABLE, COLUMN, ROWS[0], sealed[0]) == b"ada@example.com"


# ---------------------------------------------------------------------- verification digests


@pytest.mark.policy("IS-SENS-DEV")
def test_blake2b_digests_are_16_bytes_keyed_by_the_run_key():
    """Without the interpreter's hash: 16 bytes, the same for the same run key and text,
    others for another run key or another text, and not the text itself."""
    text = "ada@example.co.uk"
    digest = _blake2b().verify_digest(text)
    assert isinstance(digest, bytes)
    assert len(digest) == 16
    assert Faker(KEY, interpreter_keyed=False).verify_digest(text) == digest
    assert Faker(OTHER_KEY, interpreter_keyed=False).verify_digest(text) != digest
    assert _blake2b().verify_digest("bob@example.org") != digest
    assert text.encode() not in digest
    assert _blake2b().verify_digest is not hash


@pytest.mark.policy("IS-SENS-DEV")
@pytest.mark.skipif(
    not _interpreter_key_is_random(),
    reason="this interpreter's string-hash key was fixed (PYTHONHASHSEED set to a number): "
    "verification digests fall back to BLAKE2b here, so the interpreter-keyed digest cannot "
    "be tested in this process (the subprocess tests below cover both cases)",
)
def test_digests_are_the_interpreters_keyed_string_hash_when_its_key_is_random():
    """The default (and ``interpreter_keyed=True``) digest is ``hash``: an int, the same
    whichever run key, as every process forked from this one computes it."""
    text = "ada@example.co.uk"
    for faker in (Faker(KEY), Faker(OTHER_KEY), Faker(KEY, interpreter_keyed=True)):
        digest = faker.verify_digest(text)
        assert isinstance(digest, int)
        assert digest == hash(text)
    assert Faker(KEY).verify_digest("bob@example.org") != hash(text)


_DIGEST_IN_A_NEW_INTERPRETER = """
import sys
from klaremont.sanitize.fakes import Faker
from klaremont.sanitize.transform import CANARY
digest = Faker(sys.argv[1].encode()).verify_digest(CANARY)
print(type(digest).__name__, digest.hex() if isinstance(digest, bytes) else digest)
"""


def _digest_in_a_new_interpreter(hash_seed: str | None) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    done = subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", _DIGEST_IN_A_NEW_INTERPRETER, KEY.decode()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    kind, value = done.stdout.split()
    return kind, value


@pytest.mark.policy("IS-SENS-DEV")
def test_an_interpreter_with_hash_randomisation_off_digests_with_blake2b():
    """With PYTHONHASHSEED=0 the string hash is unkeyed: the default digest is BLAKE2b
    under the run key, the same as here and in any other process."""
    assert _digest_in_a_new_interpreter("0") == ("bytes", _blake2b().verify_digest(CANARY).hex())


@pytest.mark.policy("IS-SENS-DEV")
def test_evidence_of_an_interpreter_with_another_hash_key_is_refused():
    """Two interpreters started apart draw different hash keys: their digests differ, and
    evidence gathered by one is refused by the other (a spawned worker cannot be merged)."""
    first, second = _digest_in_a_new_interpreter(None), _digest_in_a_new_interpreter(None)
    assert first[0] == second[0] == "int"
    assert first[1] != second[1]
    with pytest.raises(RuntimeError, match="another key"):
        Evidence(canary=int(first[1])).merge(Evidence(canary=int(second[1])))


@pytest.mark.policy("IS-SENS-DEV")
def test_an_interpreter_with_a_fixed_non_zero_hash_seed_digests_with_blake2b():
    """A fixed seed (``PYTHONHASHSEED=123``) leaves hash randomisation on in name only: the
    key is known, so verification digests with BLAKE2b under the run key."""
    assert _digest_in_a_new_interpreter("123") == ("bytes", _blake2b().verify_digest(CANARY).hex())


# ---------------------------------------------------------------------- digests of a column


@pytest.mark.policy("IS-SENS-DEV")
def test_digests_of_skip_none_and_short_texts_and_ignore_numbers():
    digest = _blake2b().verify_digest
    asked: list[str] = []

    def recording(text: str) -> bytes | int:
        asked.append(text)
        return digest(text)

    values = [None, "", "a", "abcde", "abcdef", 123456789, 10**30, 3.14159265, True, "abcdef"]
    assert digests_of(values, recording) == {digest("abcdef")}
    assert asked == ["abcdef", "abcdef"]  # no call for None, short texts or numbers
    assert digests_of([], recording) == set()
    assert digests_of([None, 1234567, "12345"], recording) == set()


@pytest.mark.policy("IS-SENS-DEV")
def test_digests_of_an_id_are_the_same_whichever_form_it_is_kept_in():
    """A dashed id, its 32 hex digits and the UUID itself digest alike (a copied id is
    seen whichever form the engine keeps it in); bytes digest as their hex text."""
    digest = _blake2b().verify_digest
    subject = uuid.UUID("c0ffee00-1234-4abc-8def-00000000beef")
    expected = {digest(subject.hex)}
    assert digests_of([str(subject)], digest) == expected
    assert digests_of([subject.hex], digest) == expected
    assert digests_of([subject], digest) == expected
    assert digests_of([str(subject), subject.hex, subject], digest) == expected
    # 36 characters that are not a dashed id are digested as they are
    assert digests_of(["x" * 36], digest) == {digest("x" * 36)}
    # bytes: their hex text, when that is long enough
    assert digests_of([b"\x01\x02\xab"], digest) == {digest("0102ab")}
    assert digests_of([memoryview(b"\x01\x02\xab")], digest) == {digest("0102ab")}
    assert digests_of([subject.bytes], digest) == expected
    assert digests_of([b"\x01\x02"], digest) == set()


_VALUES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text("ab-", min_size=36, max_size=36),
    st.binary(max_size=20),
    st.uuids(),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
)


@given(values=st.lists(_VALUES, max_size=12))
def test_digests_of_digest_what_comparables_shows(values: list[object]) -> None:
    """Column for column, :func:`digests_of` is the digest of every text
    :func:`comparables` compares (the two must never disagree on what a value reads as)."""
    digest = _blake2b().verify_digest
    shown = comparables(values)
    assert digests_of(values, digest) == {digest(t) for t in shown if t is not None}


@pytest.mark.policy("IS-SENS-DEV")
def test_digests_of_a_mostly_dashed_36_character_text_follow_comparable():
    digest = _blake2b().verify_digest
    for text in ("-" * 36, "ab" + "-" * 34):
        assert comparables([text]) == [None]
        assert digests_of([text], digest) == set()


# ---------------------------------------------------------------------- evidence


def _gathered(canary: bytes | int) -> Evidence:
    return Evidence(
        canary=canary,
        source={b"source-1", b"source-2"},
        fakes={b"fake-1"},
        unchanged={"customers.email": 1, "customers.name": 2},
        copied={"orders.note": {b"copied-1"}},
    )


@pytest.mark.policy("IS-SENS-DEV")
def test_evidence_under_another_key_is_refused_and_nothing_is_taken_in():
    parent = _gathered(_blake2b().verify_digest(CANARY))
    before = copy.deepcopy(parent)
    worker = Evidence(
        canary=Faker(OTHER_KEY, interpreter_keyed=False).verify_digest(CANARY),
        source={b"worker-source"},
        fakes={b"worker-fake"},
        unchanged={"customers.email": 5, "addresses.line1": 1},
        copied={"orders.note": {b"worker-copied"}, "notes.body": {b"worker-copied"}},
    )
    with pytest.raises(RuntimeError, match="another key: verification cannot hold"):
        parent.merge(worker)
    assert parent == before
    # an int canary (the interpreter's hash) never equals a bytes one (BLAKE2b)
    with pytest.raises(RuntimeError):
        parent.merge(Evidence(canary=hash(CANARY)))
    assert parent == before


@pytest.mark.policy("IS-SENS-DEV")
def test_evidence_under_the_same_key_is_merged():
    """Digest sets are joined, unchanged counts added up, copied places joined by place."""
    canary = _blake2b().verify_digest(CANARY)
    parent = _gathered(canary)
    worker = Evidence(
        canary=Faker(KEY, interpreter_keyed=False).verify_digest(CANARY),
        source={b"source-2", b"source-3"},
        fakes={b"fake-2"},
        unchanged={"customers.email": 3, "addresses.line1": 1},
        copied={"orders.note": {b"copied-2"}, "notes.body": {b"copied-3"}},
    )
    parent.merge(worker)
    assert parent.canary == canary
    assert parent.source == {b"source-1", b"source-2", b"source-3"}
    assert parent.fakes == {b"fake-1", b"fake-2"}
    assert parent.unchanged == {"customers.email": 4, "customers.name": 2, "addresses.line1": 1}
    assert parent.copied == {
        "orders.note": {b"copied-1", b"copied-2"},
        "notes.body": {b"copied-3"},
    }
    assert worker.copied == {"orders.note": {b"copied-2"}, "notes.body": {b"copied-3"}}
    parent.copied["notes.body"].add(b"later")
    assert worker.copied["notes.body"] == {b"copied-3"}  # the worker's sets are not shared


@pytest.mark.policy("IS-SENS-DEV")
def test_a_transformers_new_evidence_carries_its_fakers_canary(platform: Platform):
    """Empty evidence marked with the faker's digest of the canary: transformers of the
    same run key merge each other's evidence, of another run key refuse it."""

    def transformer(key: bytes) -> Transformer:
        keys = CopyKeys(key)
        faker = Faker(key, interpreter_keyed=False)
        return Transformer(faker, SourceKeys(platform.keystore), keys, BlindIndexer(keys.index_key))

    parent, same, other = transformer(KEY), transformer(KEY), transformer(OTHER_KEY)
    fresh = parent.new_evidence()
    assert fresh == Evidence(canary=parent.faker.verify_digest(CANARY))
    assert parent.evidence == fresh
    assert fresh is not parent.evidence  # each call, its own evidence
    gathered = same.new_evidence()
    gathered.source.add(b"a source digest")
    parent.evidence.merge(gathered)
    assert parent.evidence.source == {b"a source digest"}
    with pytest.raises(RuntimeError):
        parent.evidence.merge(other.new_evidence())
