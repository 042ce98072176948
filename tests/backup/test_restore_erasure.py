"""An older backup restored after an erasure does not bring the person back, on SQLite and on
PostgreSQL, in one command: the erasure ledger is re-applied, destroyed keys are destroyed
again, the old checkpoint file is set aside and the audit log verifies (PP-R-ERASE,
IS-SENS-DISPOSE, PP-KEEP, IS-SENS-SAFE)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from backup_support import (
    BACKEND,
    TEST_ACTOR,
    assert_gone,
    erase,
    raw_bytes,
    rewrite,
    seed_person,
    sqlite_only,
)
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.backup import archive, service
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.customers.models import Customer, Invoice
from klaremont.errors import KlaremontError, PurposeRefused
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.purposes.decide import authorise
from klaremont.rights import erasure

SEALED = {
    "customers": ("name", "date_of_birth", "gender", "email", "phone", "mobile"),
    "addresses": ("line1", "town", "postcode"),
    "payment_cards": ("token",),
    "contact_records": ("summary",),
}
INDEXES = {"customers": ("email_bidx", "phone_bidx", "mobile_bidx")}


def _stored_traces(platform, person) -> list[bytes]:
    """The person's ciphertexts and blind-index digests exactly as stored."""
    columns = [(t, c) for group in (SEALED, INDEXES) for t, names in group.items() for c in names]
    traces: list[bytes] = []
    with platform.engine.connect() as conn:
        subject = person.subject_id.hex
        for table, column in columns:
            query = text(f"SELECT {column} FROM {table} WHERE subject_id = :s")
            for (value,) in conn.execute(query, {"s": subject}):
                if value is not None:
                    traces.append(value.encode() if isinstance(value, str) else bytes(value))
    assert len(traces) >= 12
    return traces


def _shred_now(platform, person) -> None:
    """Erase with no hold left, send the notice, and let the scheduled shred destroy the key."""
    erase(platform, person)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for message in uow.session.scalars(select(OutboxMessage)):
            message.status = MailStatus.SENT
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert erasure.shred_due(uow) == [person.subject_id]
    with pytest.raises(SubjectKeyDestroyed):
        platform.keystore.data_key(person.subject_id)


@pytest.mark.policy("PP-R-ERASE", "PP-KEEP", "IS-SENS-DISPOSE")
def test_one_restore_command_keeps_every_erasure_and_the_audit_log_verifies(platform, clock):
    """Back up; erase one person (kept invoices) and shred another; restore the older backup
    with one command: both stay gone, the shredded key is destroyed again although the
    keystore came back, Bob is untouched, the old checkpoint file is set aside and
    ``klaremont audit verify`` passes with no manual step."""
    alice = seed_person(platform, "alice")
    old = seed_person(platform, "old", invoice_age=timedelta(days=7 * 365))
    bob = seed_person(platform, "bob")
    service.create(platform)  # audited: the next backup carries a sealed checkpoint file
    platform.audit.flush()
    path, _ = service.create(platform)
    reply = erase(platform, alice)
    assert reply.retained["invoices"] == 2
    _shred_now(platform, old)
    clock.advance(timedelta(hours=1))
    platform.audit.flush()
    before = platform.audit.checkpoint_file.read_bytes()
    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["backup", "restore", str(path), "--yes"])
        assert result.exit_code == 0, result.output
        verified = CliRunner().invoke(main.app, ["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    finally:
        use_platform(None)
    for person in (alice, old):
        assert_gone(platform, person)
    with pytest.raises(SubjectKeyDestroyed):
        platform.keystore.data_key(old.subject_id)  # the restored keystore had it again
    assert platform.keystore.is_destroyed(old.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        invoices = uow.session.scalars(
            select(Invoice).where(Invoice.subject_id == alice.subject_id)
        ).all()
        assert {i.billing_name for i in invoices} == set(alice.invoice_values.values())
        assert uow.session.get(Customer, bob.customer_id).email == bob.email
        restored = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "backup.restore")
        ).one()
        details = json.loads(restored.details)
    with platform.unit_of_work() as uow, pytest.raises(PurposeRefused):
        authorise(uow, subject=alice.subject_id, purpose=Purpose.INVOICING,
                  categories=[DataCategory.INVOICES])  # fmt: skip
    superseded = list(platform.audit.checkpoint_file.parent.glob("*.superseded-*"))
    assert len(superseded) == 1
    assert superseded[0].read_bytes().startswith(before)
    assert details["superseded_checkpoints"] == superseded[0].name
    assert details["keys_destroyed_again"] == 1
    assert details["keystore_restored"] is True
    assert details["database"] == BACKEND
    kept = list(platform.audit.checkpoint_file.parent.glob("*.from-backup-*"))
    assert len(kept) == 1  # the backup's own copy of the checkpoints, for an auditor
    report = platform.audit.verify(platform.engine)
    assert report.ok, report
    assert report.sealed_seq >= restored.seq


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_backup_that_fails_to_load_changes_nothing(platform):
    """A backup whose data part is not a database (sealed by the key's holder, so every
    check before loading passes) fails while loading: the live databases stay as they were
    and no half-filled database is left behind."""
    seed_person(platform, "first")
    path, _ = service.create(platform)
    later = seed_person(platform, "later")
    rewrite(platform, path, {}, {archive.PART_DATA: b"this is not a database dump" * 100})
    service.verify(platform, path)  # every chunk and digest checks out
    names_before = _databases(platform)
    with pytest.raises(KlaremontError) as failed:
        service.restore(platform, path, keep_current=False)
    assert "\n" not in failed.value.detail
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, later.customer_id) is not None
    assert _databases(platform) == names_before
    assert not list(platform.audit.checkpoint_file.parent.glob("*.superseded-*"))


def _databases(platform) -> list[str]:
    """The databases beside this test's own (PostgreSQL), or the files in its folder."""
    if BACKEND == "sqlite":
        folder = service.database_file(platform).parent
        return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))
    prefix = str(platform.engine.url.database)
    with platform.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p ORDER BY datname"),
            {"p": prefix + "%"},
        ).all()
    return [row[0] for row in rows]


@sqlite_only
@pytest.mark.policy("PP-R-ERASE", "PP-KEEP", "IS-SENS-DISPOSE")
def test_restoring_a_backup_from_before_the_erasure_leaves_no_trace_in_the_file(platform, clock):
    """Erase, restore an older backup: no canary, ciphertext or digest left in the raw bytes."""
    alice = seed_person(platform, "alice")
    bob = seed_person(platform, "bob")
    traces = _stored_traces(platform, alice)
    path, _ = service.create(platform)
    erase(platform, alice)
    clock.advance(timedelta(hours=1))
    report = service.restore(platform, path)
    assert report.ledger.subjects_found == 1
    assert report.ledger.rows_deleted > 0
    assert_gone(platform, alice)
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
def test_a_shredded_person_stays_unreadable_in_any_restored_backup(platform):
    """No hold: the key is destroyed; a restored older backup is re-erased, unreadable anyway."""
    old = seed_person(platform, "old", invoice_age=timedelta(days=7 * 365))
    path, _ = service.create(platform)
    _shred_now(platform, old)
    report = service.restore(platform, path)
    assert report.ledger.subjects_found == 1
    assert report.keys_destroyed_again == 1
    assert_gone(platform, old)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        count = uow.session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.subject_id == old.subject_id)
        )
        assert count == 0
    data = raw_bytes(platform)
    for value in old.canaries.values():
        assert value.encode() not in data


@pytest.mark.policy("PP-R-ERASE")
def test_the_ledger_survives_losing_its_table(platform):
    """A backup with an empty ledger table is re-erased too: the ledger file outside wins."""
    alice = seed_person(platform, "alice")
    path, _ = service.create(platform)
    erase(platform, alice)
    with platform.engine.begin() as conn:
        conn.execute(text("DELETE FROM erasure_ledger"))
    service.restore(platform, path, keep_current=False)
    assert_gone(platform, alice)
