"""An older backup restored after an erasure does not bring the person back: the erasure
ledger is re-applied, in the ORM and in the raw bytes (PP-R-ERASE, IS-SENS-DISPOSE, PP-KEEP)."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import timedelta

import pytest
from backup_support import TEST_ACTOR, postgres_only, raw_bytes, seed_person, sqlite_only
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from klaremont.backup import service
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.customers.models import Address, ContactRecord, Customer, Invoice, PaymentCard
from klaremont.db.subjects import Subject
from klaremont.errors import PurposeRefused
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.purposes.decide import authorise
from klaremont.rights import erasure, intake
from klaremont.rights.states import RequestKind

PERSONAL = (Customer, Address, PaymentCard, ContactRecord)
SEALED = {
    "customers": ("name", "date_of_birth", "gender", "email", "phone", "mobile"),
    "addresses": ("line1", "town", "postcode"),
    "payment_cards": ("token",),
    "contact_records": ("summary",),
}
INDEXES = {"customers": ("email_bidx", "phone_bidx", "mobile_bidx")}


def _erase(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE)
        return erasure.erase(uow, made.id)


def _stored_traces(platform, person) -> list[bytes]:
    """The person's ciphertexts and blind-index digests exactly as stored."""
    columns = [(t, c) for group in (SEALED, INDEXES) for t, names in group.items() for c in names]
    traces: list[bytes] = []
    with platform.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        subject = person.subject_id.hex if sqlite else person.subject_id
        for table, column in columns:
            query = text(f"SELECT {column} FROM {table} WHERE subject_id = :s")
            for (value,) in conn.execute(query, {"s": subject}):
                if value is not None:
                    traces.append(value.encode() if isinstance(value, str) else bytes(value))
    assert len(traces) >= 12
    return traces


def _assert_gone(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for model in PERSONAL:
            count = uow.session.scalar(
                select(func.count()).select_from(model).where(model.subject_id == person.subject_id)
            )
            assert count == 0, model.__tablename__
        subject = uow.session.get(Subject, person.subject_id)
        assert subject.erased_at is not None
        assert subject.restricted_at is not None


@sqlite_only
@pytest.mark.policy("PP-R-ERASE", "PP-KEEP", "IS-SENS-DISPOSE")
def test_restoring_a_backup_from_before_the_erasure_does_not_bring_the_person_back(platform, clock):
    """Erase, restore an older backup: no canary readable (ORM, raw bytes); invoices kept."""
    alice = seed_person(platform, "alice")
    bob = seed_person(platform, "bob")
    traces = _stored_traces(platform, alice)
    path, _ = service.create(platform)
    reply = _erase(platform, alice)
    assert reply.retained["invoices"] == 2
    clock.advance(timedelta(hours=1))
    report = service.restore(platform, path)
    assert report.ledger.subjects_found == 1
    assert report.ledger.rows_deleted > 0
    _assert_gone(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        invoices = uow.session.scalars(
            select(Invoice).where(Invoice.subject_id == alice.subject_id)
        ).all()
        assert {i.billing_name for i in invoices} == set(alice.invoice_values.values())
        assert uow.session.get(Customer, bob.customer_id).email == bob.email
    with platform.unit_of_work() as uow, pytest.raises(PurposeRefused):
        authorise(uow, subject=alice.subject_id, purpose=Purpose.INVOICING,
                  categories=[DataCategory.INVOICES])  # fmt: skip
    with platform.unit_of_work() as uow:
        authorise(uow, subject=alice.subject_id, purpose=Purpose.LEGAL_OBLIGATION,
                  categories=[DataCategory.INVOICES])  # fmt: skip
    data = raw_bytes(platform)
    for value in alice.canaries.values():
        assert value.encode() not in data, value
    for trace in traces:
        assert trace not in data, "an erased ciphertext or digest survived in the file"
    assert bob.email.encode() not in data  # sealed, as every personal value is
    assert _stored_traces(platform, bob)  # Bob is untouched


@sqlite_only
@pytest.mark.policy("PP-R-ERASE", "IS-SENS-DISPOSE")
def test_a_shredded_person_stays_unreadable_in_any_restored_backup(platform, clock):
    """No hold: the key is destroyed; a restored older backup is re-erased, unreadable anyway."""
    old = seed_person(platform, "old", invoice_age=timedelta(days=7 * 365))
    path, _ = service.create(platform)
    _erase(platform, old)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for message in uow.session.scalars(select(OutboxMessage)):
            message.status = MailStatus.SENT
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == [old.subject_id]
    with pytest.raises(SubjectKeyDestroyed):
        platform.keystore.data_key(old.subject_id)
    report = service.restore(platform, path)
    assert report.ledger.subjects_found == 1
    _assert_gone(platform, old)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(Invoice)
                .where(Invoice.subject_id == old.subject_id)
            )
            == 0
        )
    data = raw_bytes(platform)
    for value in old.canaries.values():
        assert value.encode() not in data


@sqlite_only
@pytest.mark.policy("PP-R-ERASE")
def test_the_ledger_survives_losing_its_table(platform):
    """A backup with an empty ledger table is re-erased too: the ledger file outside wins."""
    alice = seed_person(platform, "alice")
    path, _ = service.create(platform)
    _erase(platform, alice)
    with platform.engine.begin() as conn:
        conn.execute(text("DELETE FROM erasure_ledger"))
    service.restore(platform, path, keep_current=False)
    _assert_gone(platform, alice)


def _pg(tool: str, *args: str) -> None:
    subprocess.run([tool, *args], check=True, capture_output=True, timeout=120)  # noqa: S603


@postgres_only
@pytest.mark.policy("PP-R-ERASE", "PP-KEEP", "IS-SENS-DISPOSE")
def test_pg_restore_of_an_older_dump_then_reapply_ledger(platform, tmp_path):
    """PostgreSQL: dump, erase, pg_restore the older dump, reapply-ledger: still erased."""
    alice = seed_person(platform, "alice")
    bob = seed_person(platform, "bob")
    url = make_url(str(platform.engine.url)).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    dump = tmp_path / "before.dump"
    _pg("pg_dump", "--format=custom", f"--file={dump}", dsn)
    _erase(platform, alice)
    platform.dispose()
    _pg("pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={dsn}", str(dump))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, alice.customer_id) is not None  # back, until...
    report = service.reapply_ledger(platform)
    assert report.subjects_found == 1
    _assert_gone(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(Invoice)
                .where(Invoice.subject_id == alice.subject_id)
            )
            == 2
        )
        assert uow.session.get(Customer, bob.customer_id).email == bob.email
    assert os.environ.get("KLAREMONT_TEST_DATABASE") == "postgresql"


@pytest.mark.policy("IS-SENS-DISPOSE", "PP-R-ERASE")
def test_keys_shredded_elsewhere_count_as_ledger_entries(platform):
    """A key destroyed outside an erasure (a retention purge) gets the rows deleted on re-apply."""
    purged = seed_person(platform, "purged")
    kept = seed_person(platform, "kept")
    platform.keystore.destroy(purged.subject_id, "retention purge")
    platform.keystore.destroy(uuid.uuid4(), "a staff member's key")  # not a data subject
    report = service.reapply_ledger(platform)
    assert report.entries == 1
    assert report.subjects_found == 1
    _assert_gone(platform, purged)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(Invoice)
                .where(Invoice.subject_id == purged.subject_id)
            )
            == 0
        )  # unreadable without the key: nothing is held
        assert uow.session.get(Customer, kept.customer_id) is not None
    again = service.reapply_ledger(platform)
    assert again.rows_deleted == 0  # idempotent
