"""Sealed ORM fields: one declaration per field, sealed at flush, opened lazily, found by index."""

from __future__ import annotations

import pickle
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, assert_type

import pytest
from sqlalchemy import Engine, MetaData, String, Uuid, inspect, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from klaremont.crypto.context import CryptoContext
from klaremont.crypto.errors import (
    CiphertextIntegrityError,
    CryptoContextMissing,
    SubjectKeyDestroyed,
)
from klaremont.crypto.fields import SealedField, SealedMixin, blind_match, sealed
from klaremont.db.base import NAMING_CONVENTION, IdMixin, UTCDateTime
from klaremont.db.engine import make_engine
from klaremont.db.uow import transaction
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from klaremont.crypto.keystore import Keystore


class OrmBase(DeclarativeBase):
    """A declarative base for this test module only."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class Person(SealedMixin, IdMixin, OrmBase):
    """A test-only model with three sealed fields, two of them indexed."""

    __tablename__ = "people"

    subject_id: Mapped[uuid.UUID]
    nickname: Mapped[str] = mapped_column(String(40), default="")
    email = sealed(index="email")
    phone = sealed(index="phone")
    notes = sealed()


ADA = "ada.lovelace@example.co.uk"
ADA_PHONE = "07700 900123"
ADA_NOTES = "prefers parcels left with the concierge"


@pytest.fixture
def data_db(tmp_path: Path) -> Path:
    """Path of this test's data-store SQLite file."""
    return tmp_path / "data.db"


@pytest.fixture
def data_engine(data_db: Path) -> Iterator[Engine]:
    """A real SQLite data store with the test model's table."""
    engine = make_engine(f"sqlite:///{data_db}")
    OrmBase.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(data_engine: Engine) -> sessionmaker[Session]:
    """Sessions like the platform's (objects stay usable after commit)."""
    return sessionmaker(data_engine, expire_on_commit=False)


@pytest.fixture
def unit(sessions: sessionmaker[Session], keystore: Keystore):
    """Open a unit of work the way the platform does: one transaction, one crypto context."""

    @contextmanager
    def open_unit() -> Iterator[Session]:
        with transaction(sessions) as session:
            session.info["crypto"] = CryptoContext(keystore)
            yield session

    return open_unit


def _add_person(unit, subject: uuid.UUID | None = None, **values: str) -> Person:
    with unit() as session:
        person = Person(subject_id=subject or uuid.uuid4(), **values)
        session.add(person)
    return person


def _raw_row(engine: Engine, row_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM people WHERE id = :id"), {"id": row_id.hex}).one()
        return dict(row._mapping)


def test_one_declaration_maps_ciphertext_and_index_columns() -> None:
    """Each sealed field maps a column of its own name; indexed ones add an indexed _bidx column."""
    table = OrmBase.metadata.tables["people"]
    columns = {c.name: c for c in table.columns}
    assert {"email", "email_bidx", "phone", "phone_bidx", "notes"} <= set(columns)
    assert "notes_bidx" not in columns
    assert all(columns[name].nullable for name in ("email", "email_bidx", "notes"))
    assert any(ix.columns.keys() == ["email_bidx"] for ix in table.indexes)
    assert inspect(Person).columns["_email_sealed"].name == "email"


@pytest.mark.policy("DP-SECURE")
def test_round_trip_through_the_orm(unit) -> None:
    """Values set on a model are stored sealed and read back in a later unit of work."""
    person = _add_person(unit, email=ADA, phone=ADA_PHONE, notes=ADA_NOTES)
    with unit() as session:
        loaded: Person | None = session.get(Person, person.id)
        assert loaded is not None
        assert (loaded.email, loaded.phone, loaded.notes) == (ADA, ADA_PHONE, ADA_NOTES)
        assert_type(loaded.email, str | None)  # checked by mypy: the descriptor is typed
        assert_type(Person.email, SealedField)


@pytest.mark.policy("DP-SECURE")
def test_database_holds_only_ciphertext_and_blind_index(unit, data_engine: Engine) -> None:
    """The row holds version-tagged ciphertext and a 64-hex index, never the plaintext."""
    person = _add_person(unit, email=ADA, notes=ADA_NOTES)
    raw = _raw_row(data_engine, person.id)
    assert raw["email"][0] == 0x01
    assert ADA.encode() not in raw["email"]
    assert len(raw["email_bidx"]) == 64
    assert raw["phone"] is None
    assert raw["phone_bidx"] is None


@pytest.mark.policy("IS-SENS-SAFE")
def test_raw_database_files_contain_no_plaintext(
    unit, data_engine: Engine, data_db: Path, scan_sqlite
) -> None:
    """A byte scan of the SQLite file and its WAL finds none of the sealed values."""
    people = [
        _add_person(unit, email=f"person{i}.secret@example.org", notes=f"secret note number {i}")
        for i in range(25)
    ]
    needles = [b"secret@example.org", b"secret note number", ADA_PHONE.replace(" ", "").encode()]
    with unit() as session:
        session.add(Person(subject_id=uuid.uuid4(), phone=ADA_PHONE, nickname="marker-nick"))
    assert scan_sqlite(data_db, [b"marker-nick"])  # the scan does see stored plaintext columns
    assert scan_sqlite(data_db, needles) == []
    data_engine.dispose()  # checkpoint the WAL into the file, then look again
    assert scan_sqlite(data_db, needles) == []
    assert len(people) == 25


@pytest.mark.policy("DP-SECURE")
def test_value_swapped_between_rows_fails(unit, data_engine: Engine) -> None:
    """A ciphertext copied into another row by SQL fails its integrity check on read."""
    victim = _add_person(unit, email=ADA)
    thief = _add_person(unit, email="thief@example.com")
    with data_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE people SET email = (SELECT email FROM people WHERE id = :v) WHERE id = :t"
            ),
            {"v": victim.id.hex, "t": thief.id.hex},
        )
    with unit() as session:
        loaded = session.get(Person, thief.id)
        assert loaded is not None
        with pytest.raises(CiphertextIntegrityError) as caught:
            _ = loaded.email
    assert "people.email" in caught.value.detail
    assert str(thief.id) in caught.value.detail


@pytest.mark.policy("DP-SECURE")
def test_value_swapped_between_columns_fails(unit, data_engine: Engine) -> None:
    """A ciphertext copied into another column of the same row fails its integrity check."""
    person = _add_person(unit, email=ADA, notes=ADA_NOTES)
    with data_engine.begin() as conn:
        conn.execute(text("UPDATE people SET notes = email WHERE id = :id"), {"id": person.id.hex})
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        assert loaded.email == ADA
        with pytest.raises(CiphertextIntegrityError, match=r"people\.notes"):
            _ = loaded.notes


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_shredding_one_subject_leaves_others_readable(
    unit, keystore: Keystore, data_engine: Engine
) -> None:
    """After one subject is shredded its fields raise SubjectKeyDestroyed; another's still read."""
    erased = _add_person(unit, email=ADA, notes=ADA_NOTES)
    kept = _add_person(unit, email="kept@example.com")
    before = _raw_row(data_engine, erased.id)
    keystore.destroy(erased.subject_id, "erasure")
    with unit() as session:
        loaded_erased = session.get(Person, erased.id)
        loaded_kept = session.get(Person, kept.id)
        assert loaded_erased is not None
        assert loaded_kept is not None
        for name in ("email", "notes"):
            with pytest.raises(SubjectKeyDestroyed) as caught:
                getattr(loaded_erased, name)
            assert caught.value.code == "subject-erased"
        assert loaded_kept.email == "kept@example.com"
    assert _raw_row(data_engine, erased.id)["email"] == before["email"]  # ciphertext, unreadable


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_shredding_within_a_unit_of_work_hides_already_decrypted_values(unit) -> None:
    """Values decrypted earlier in a unit of work are refused once it shreds the subject."""
    person = _add_person(unit, email=ADA)
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        assert loaded.email == ADA
        session.info["crypto"].destroy(loaded.subject_id, "erasure")
        with pytest.raises(SubjectKeyDestroyed):
            _ = loaded.email


@pytest.mark.policy("DP-SECURE")
def test_kek_rotation_rewraps_keys_without_touching_data(
    unit, keystore: Keystore, data_engine: Engine
) -> None:
    """Rotating the KEK and retiring the old one leaves every data byte as it was, readable."""
    people = [_add_person(unit, email=f"p{i}@example.com", notes=f"note {i}") for i in range(6)]
    with data_engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM people ORDER BY id")).all()
    old_kek = keystore.keyring.active_id
    new_kek, count = keystore.rotate_kek()
    keystore.retire_kek(old_kek)
    assert count == 6
    with data_engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM people ORDER BY id")).all() == before
    assert keystore.status()["data_keys_per_kek"] == {new_kek: 6}
    with unit() as session:
        for i, person in enumerate(people):
            loaded = session.get(Person, person.id)
            assert loaded is not None
            assert (loaded.email, loaded.notes) == (f"p{i}@example.com", f"note {i}")


def test_subject_key_rotation_applies_to_new_writes_only(
    unit, keystore: Keystore, data_engine: Engine
) -> None:
    """After a subject key rotation a rewritten field uses version 2 and untouched ones stay v1."""
    person = _add_person(unit, email=ADA, notes=ADA_NOTES)
    keystore.rotate_subject_key(person.subject_id)
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        loaded.email = "new.address@example.com"
    raw = _raw_row(data_engine, person.id)
    assert int.from_bytes(raw["email"][1:5], "big") == 2
    assert int.from_bytes(raw["notes"][1:5], "big") == 1
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        assert (loaded.email, loaded.notes) == ("new.address@example.com", ADA_NOTES)


def test_lookup_by_blind_index_finds_normalised_matches(unit) -> None:
    """A blind-index query finds a row by any normalised form of its e-mail or phone."""
    ada = _add_person(unit, email=ADA, phone=ADA_PHONE)
    _add_person(unit, email="someone.else@example.com", phone="07700 900456")
    with unit() as session:
        by_email = session.scalars(
            select(Person).where(
                blind_match(Person.email, "  ADA.Lovelace@Example.co.uk ", session)
            )
        ).all()
        by_phone = session.scalars(
            select(Person).where(Person.phone.matches("+44 (0)7700 900 123", session))
        ).all()
        nobody = session.scalars(
            select(Person).where(blind_match(Person.email, "nobody@example.com", session))
        ).all()
    assert [p.id for p in by_email] == [ada.id]
    assert [p.id for p in by_phone] == [ada.id]
    assert nobody == []
    with pytest.raises(TypeError, match="no blind index"):
        blind_match(Person.notes, "x", session)


def test_changing_or_clearing_a_value_updates_its_index(unit, data_engine: Engine) -> None:
    """A changed value gets a new ciphertext and index; None clears both."""
    person = _add_person(unit, email=ADA)
    first = _raw_row(data_engine, person.id)
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        loaded.email = "changed@example.com"
        assert loaded.email == "changed@example.com"  # readable before the flush
    second = _raw_row(data_engine, person.id)
    assert second["email"] != first["email"]
    assert second["email_bidx"] != first["email_bidx"]
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        loaded.email = None
    cleared = _raw_row(data_engine, person.id)
    assert (cleared["email"], cleared["email_bidx"]) == (None, None)


def test_rollback_discards_unflushed_values(unit, sessions: sessionmaker[Session]) -> None:
    """A value assigned but rolled back is forgotten, like any other unflushed change."""
    person = _add_person(unit, email=ADA)
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        loaded.email = "never.saved@example.com"
        loaded.nickname = "never saved"
        session.rollback()
        assert loaded.email == ADA
        loaded.notes = "expired before the flush"
        session.expire(loaded, ["_notes_sealed"])
        assert loaded.notes is None
        session.expire(loaded)
        assert loaded.email == ADA


def test_malformed_indexed_value_is_refused_on_assignment() -> None:
    """An indexed field refuses a malformed value at once, naming the field and not the value."""
    person = Person(subject_id=uuid.uuid4())
    with pytest.raises(ValidationFailed, match="phone") as caught:
        person.phone = "call me maybe"
    assert "call me" not in caught.value.detail
    with pytest.raises(TypeError):
        person.notes = b"bytes"  # type: ignore[assignment]


def test_missing_crypto_context_is_a_clear_error(sessions: sessionmaker[Session], unit) -> None:
    """Flushing or reading a sealed field without a crypto context says what is missing."""
    with pytest.raises(CryptoContextMissing, match=r"Person\.email"), transaction(sessions) as bare:
        bare.add(Person(subject_id=uuid.uuid4(), email=ADA))
    person = _add_person(unit, email=ADA, notes=ADA_NOTES)
    assert person.email == ADA  # detached, but decrypted values stay cached on the object
    with transaction(sessions) as bare:
        loaded = bare.get(Person, person.id)
        assert loaded is not None
        with pytest.raises(CryptoContextMissing, match="unit_of_work"):
            _ = loaded.notes


def test_pickled_object_carries_no_plaintext(unit) -> None:
    """Pickling a model keeps its ciphertext but drops decrypted and pending plaintext."""
    person = _add_person(unit, email=ADA)
    with unit() as session:
        loaded = session.get(Person, person.id)
        assert loaded is not None
        assert loaded.email == ADA
        loaded.notes = ADA_NOTES
        dumped = pickle.dumps(loaded)
    assert ADA.encode() not in dumped
    assert ADA_NOTES.encode() not in dumped


def test_mixin_must_come_before_the_declarative_base() -> None:
    """Listing SealedMixin after the base is refused, since its columns would be missed."""

    class OtherBase(DeclarativeBase):
        pass

    with pytest.raises(TypeError, match="before the declarative base"):

        class Misordered(OtherBase, SealedMixin):
            __tablename__ = "misordered"
            id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
            email = sealed(index="email")
