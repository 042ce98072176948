"""Backups of the embedded store: online copy with a manifest, no keys inside, verified
restore (IS-SENS-SAFE, IS-SENS-DISPOSE)."""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest
from backup_support import TEST_ACTOR, postgres_only, seed_person, sqlite_only
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.ddl import drop_append_only_ddl
from klaremont.audit.models import AuditEvent
from klaremont.backup import service
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer


@pytest.fixture
def run(platform):
    """Invoke ``klaremont ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(main.app, list(args), **kw)
    use_platform(None)


@sqlite_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_backup_is_a_verified_copy_without_any_key(platform):
    """The copy matches its manifest, is private to the owner, and holds no data key."""
    seed_person(platform, "kept")
    path, manifest = service.create(platform)
    assert path.parent == platform.settings.var_dir / "backups"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert manifest.sha256 == service.sha256_of(path)
    assert manifest.keystore_included is False
    assert manifest.schema_revision
    assert service.verify(path) == manifest
    with sqlite3.connect(path) as copy:
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        assert "customers" in tables
        assert "subject_keys" not in tables
        assert copy.execute("SELECT count(*) FROM customers").fetchone()[0] == 1
    assert not path.with_name(path.name + "-wal").exists()
    assert service.listing(platform) == [(path, manifest)]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "backup.create")
        ).one()
        assert json.loads(event.details)["sha256_b64"] == service.audit_digest(manifest.sha256)


@pytest.mark.policy("IS-SENS-SAFE")
def test_digests_are_audited_in_a_form_that_never_looks_like_a_card_number():
    """A digest goes into audit details as base64, which the card-number guard always accepts."""
    import base64  # noqa: PLC0415

    from klaremont.audit.redaction import check_details, contains_pan  # noqa: PLC0415

    risky = "4111111111111111" + "00" * 24  # a digest that starts like a card number
    encoded = service.audit_digest(risky)
    assert not contains_pan(encoded)
    check_details({"sha256_b64": encoded})
    assert base64.urlsafe_b64decode(encoded + "=") == bytes.fromhex(risky)


@sqlite_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_a_changed_backup_or_an_unknown_schema_is_refused(platform):
    """One flipped byte, or a schema this version does not know, and the restore does not start."""
    path, manifest = service.create(platform)
    manifest_file = path.with_name(path.name + service.MANIFEST_SUFFIX)
    original = path.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0xFF
    path.write_bytes(bytes(changed))
    with pytest.raises(service.BackupInvalid, match="SHA-256"):
        service.restore(platform, path)
    path.write_bytes(original)
    assert service.verify(path) == manifest
    forged = json.loads(manifest_file.read_text())
    forged["schema_revision"] = "9999_from_the_future"
    manifest_file.write_text(json.dumps(forged))
    with pytest.raises(service.BackupInvalid, match="unknown"):
        service.restore(platform, path)


@sqlite_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_restore_brings_back_the_backup_and_keeps_the_replaced_copy(platform):
    """A restore puts the backup's rows back, keeps a copy of what it replaced, and is audited."""
    first = seed_person(platform, "first")
    path, _ = service.create(platform)
    later = seed_person(platform, "later")
    report = service.restore(platform, path)
    assert report.previous_copy is not None
    assert report.previous_copy.exists()
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, first.customer_id) is not None
        assert uow.session.get(Customer, later.customer_id) is None
        restored = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "backup.restore")
        ).one()
        assert json.loads(restored.details)["file"] == path.name


@sqlite_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_backup_commands(platform, run):
    """create, list, verify and restore at the shell, with their progress and summaries."""
    seed_person(platform, "shell")
    created = run("backup", "create")
    assert created.exit_code == 0, created.output
    assert "data keys are not in it" in " ".join(created.output.split())
    path, _ = service.listing(platform)[0]
    assert path.name in run("backup", "list").output
    assert "ok" in run("backup", "verify", str(path)).output
    restored = run("backup", "restore", str(path), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "erasure ledger re-applied" in restored.output
    ledger = run("backup", "reapply-ledger")
    assert ledger.exit_code == 0
    assert "0 entries" in ledger.output


@postgres_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_postgresql_points_to_its_own_tools(platform, run):
    """On PostgreSQL, create and restore say to use pg_dump and pg_restore, then reapply-ledger."""
    with pytest.raises(service.BackupUnsupported, match="pg_dump") as refused:
        service.create(platform)
    assert "reapply-ledger" in refused.value.detail
    result = run("backup", "create")
    assert isinstance(result.exception, service.BackupUnsupported)
    assert run("backup", "reapply-ledger").exit_code == 0


@sqlite_only
@pytest.mark.policy("IS-SENS-SAFE", "DP-SECURE")
def test_audit_verify_accepts_a_restore_and_keeps_the_superseded_checkpoints(platform, run):
    """Restoring an older backup shortens the chain; the checkpoints that sealed the longer
    one are set aside (named and hashed in the restore event), so verify stays clean, and a
    later truncation of the restored chain is still caught."""
    seed_person(platform, "first")
    path, _ = service.create(platform)
    seed_person(platform, "later")  # events the restore takes away
    platform.audit.flush()
    before = platform.audit.checkpoint_file.read_bytes()
    service.restore(platform, path)
    superseded = list(platform.audit.checkpoint_file.parent.glob("*.superseded-*"))
    assert len(superseded) == 1
    assert superseded[0].read_bytes().startswith(before)  # plus the pre-restore copy's event
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        restored = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "backup.restore")
        ).one()
        details = json.loads(restored.details)
    assert details["superseded_checkpoints"] == superseded[0].name
    assert details["superseded_checkpoints_sha256_b64"] == service.audit_digest(
        service.sha256_of(superseded[0])
    )
    report = platform.audit.verify(platform.engine)
    assert report.ok, report
    assert report.sealed_seq >= restored.seq  # the restore event itself is sealed
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    with platform.engine.begin() as conn:  # an attacker drops the triggers and truncates
        for statement in drop_append_only_ddl(platform.engine.dialect.name):
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("DELETE FROM audit_events WHERE seq >= ?", (restored.seq,))
    assert not platform.audit.verify(platform.engine).ok
