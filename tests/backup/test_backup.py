"""Backups of both databases, encrypted under their own key: what is in them and what is not,
what a tampered or key-less backup does, and the commands (IS-SENS-SAFE, IS-SENS-DISPOSE).

These run on the backend under test: SQLite files, or PostgreSQL with the real pg_dump and
pg_restore, each test on its own pair of databases.
"""

from __future__ import annotations

import base64
import json
import stat

import pytest
from backup_support import (
    BACKEND,
    TEST_ACTOR,
    decrypted_parts,
    rewrite,
    seed_person,
)
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.backup import archive, keys, service
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer
from klaremont.errors import NotFound


@pytest.fixture
def run(platform):
    """Invoke ``klaremont ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(main.app, list(args), **kw)
    use_platform(None)


def _secrets(platform) -> list[bytes]:
    """Every key that decrypts data or signs the audit log, in every form it is stored."""
    found: list[bytes] = []
    kek_file = json.loads(platform.settings.key_file.read_text())
    for value in [*kek_file["keks"].values(), kek_file["index_key"]]:
        found += [value.encode(), base64.b64decode(value)]
    found.append(platform.settings.audit_signing_key_file.read_bytes().strip())
    return found


def _events(platform, action: str) -> list[dict[str, object]]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [json.loads(row.details) for row in rows]


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_backup_holds_both_databases_encrypted_and_no_key(platform):
    """The file is private, sealed under its own key kept apart, and neither the file nor
    what it decrypts to holds a personal value in clear, the card token, or any key."""
    person = seed_person(platform, "kept")
    first, _ = service.create(platform)  # an audited event for the manifest's audit head
    path, manifest = service.create(platform)
    assert path.parent == platform.settings.var_dir / "backups"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_file = keys.key_path(platform.settings, manifest.backup_id)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert path.parent not in key_file.parents
    assert manifest.sha256 == service.sha256_of(path)
    assert manifest.encrypted
    assert manifest.keystore_included
    assert manifest.database == BACKEND
    assert manifest.schema_revision
    assert manifest.keystore_revision
    assert manifest.ledger_entries == 0
    assert manifest.audit_head_seq
    assert manifest.audit_head_hash_b64
    assert manifest.checkpoints_included
    assert set(manifest.parts) >= {"data", "keystore"}
    stored = path.read_bytes()
    parts = decrypted_parts(platform, path)
    inside = b"".join(parts.values())
    assert set(parts) >= {archive.PART_DATA, archive.PART_KEYSTORE, archive.PART_MANIFEST}
    assert b"customers" in parts[archive.PART_DATA]  # the dump is really there...
    assert b"subject_keys" in parts[archive.PART_KEYSTORE]
    for value in [*person.canaries.values(), "tok_canary_", "Canary"]:
        assert value.encode() not in stored, value  # ...and nothing in it reads in clear
        assert value.encode() not in inside, value
    for secret in _secrets(platform):
        assert secret not in stored
        assert secret not in inside
    backup_key = keys.load_key(platform.settings, platform.keyring, manifest.backup_id)
    assert backup_key not in stored
    assert base64.b64encode(backup_key) not in stored
    assert service.verify(platform, path) == manifest.sealed()
    listed = service.listing(platform)
    assert {(item.path, item.key) for item in listed} == {(first, "present"), (path, "present")}
    created = _events(platform, "backup.create")
    assert created[1]["sha256_b64"] == service.audit_digest(manifest.sha256)
    assert created[0]["encrypted"] is True


@pytest.mark.policy("IS-SENS-SAFE")
def test_digests_are_audited_in_a_form_that_never_looks_like_a_card_number():
    """A digest goes into audit details as base64, which the card-number guard always accepts."""
    from klaremont.audit.redaction import check_details, contains_pan  # noqa: PLC0415

    risky = "4111111111111111" + "00" * 24  # a digest that starts like a card number
    encoded = service.audit_digest(risky)
    assert not contains_pan(encoded)
    check_details({"sha256_b64": encoded})
    assert base64.urlsafe_b64decode(encoded + "=") == bytes.fromhex(risky)


def _live_state(platform, person) -> bool:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return uow.session.get(Customer, person.customer_id) is not None


@pytest.mark.policy("IS-SENS-SAFE")
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("flip", "chunk .* failed its integrity check"),
        ("truncate", "cut short"),
        ("append", "bytes follow the end"),
        ("header", "cannot be decrypted with its backup key"),
        ("not-a-backup", "not an encrypted Klaremont backup"),
    ],
)
def test_a_tampered_backup_is_refused_and_nothing_changes(platform, damage, message):
    """Any changed, cut or extended file is refused with one clear line; the live databases,
    the checkpoint file and the backups are as they were."""
    seed_person(platform, "first")
    path, _ = service.create(platform)
    later = seed_person(platform, "later")
    original = path.read_bytes()
    changed = bytearray(original)
    if damage == "flip":
        changed[-50] ^= 0x01  # inside the last chunk
    elif damage == "truncate":
        del changed[-100:]
    elif damage == "append":
        changed += b"\x00" * 8
    elif damage == "header":  # another valid nonce prefix in the clear header
        at = original.index(b'"nonce_prefix": "') + len(b'"nonce_prefix": "')
        changed[at] = ord("B") if changed[at] == ord("A") else ord("A")
    else:
        changed = bytearray(b"PGDMP" + original[5:])
    path.write_bytes(bytes(changed))
    platform.audit.flush()
    checkpoints = platform.audit.checkpoint_file.read_bytes()
    backups = sorted(p.name for p in service.backup_dir(platform).iterdir())
    with pytest.raises(service.BackupInvalid, match=message) as refused:
        service.restore(platform, path)
    assert "\n" not in refused.value.detail
    assert _live_state(platform, later)  # the later customer is still there
    assert platform.audit.checkpoint_file.read_bytes() == checkpoints
    assert sorted(p.name for p in service.backup_dir(platform).iterdir()) == backups
    assert not list(platform.audit.checkpoint_file.parent.glob("*.superseded-*"))


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_backup_from_a_newer_version_or_the_other_database_is_refused(platform):
    """A schema head this version does not know, or a backup of the other kind of database,
    and the restore does not start (the manifest is sealed: forging it needs the key)."""
    path, _ = service.create(platform)
    rewrite(platform, path, {"schema_revision": "2099_01_01_0000_from_the_future"})
    with pytest.raises(service.BackupInvalid, match="unknown to this version"):
        service.restore(platform, path)
    other = "postgresql" if BACKEND == "sqlite" else "sqlite"
    rewrite(platform, path, {"schema_revision": None, "database": other})
    with pytest.raises(service.BackupUnsupported, match=f"a {other} backup cannot be restored"):
        service.restore(platform, path)
    if BACKEND == "postgresql":
        rewrite(platform, path, {"database": BACKEND, "tool": "pg_dump 99"})
        with pytest.raises(service.BackupUnsupported, match="pg_restore 99 or newer"):
            service.restore(platform, path)
    rewrite(platform, path, {"database": BACKEND, "parts": {}})
    with pytest.raises(service.BackupInvalid, match="does not match its manifest"):
        service.restore(platform, path)


@pytest.mark.policy("IS-SENS-DISPOSE", "IS-SENS-SAFE")
def test_destroying_a_backups_key_makes_it_unrestorable(platform, run):
    """destroy-key crypto-shreds one backup: audited, shown in the listing, and every copy
    of that backup can no longer be read or restored; other backups are untouched."""
    person = seed_person(platform, "shredded")
    path, manifest = service.create(platform)
    kept, _ = service.create(platform)
    copy = path.with_name("offsite-copy.kbak")
    copy.write_bytes(path.read_bytes())
    result = run("backup", "destroy-key", manifest.backup_id, "--yes")
    assert result.exit_code == 0, result.output
    assert not keys.key_path(platform.settings, manifest.backup_id).exists()
    states = {item.manifest.backup_id: item.key for item in service.listing(platform)}
    assert states[manifest.backup_id] == "destroyed"
    assert "destroyed" in run("backup", "list").output
    for candidate in (path, copy):
        with pytest.raises(NotFound, match="its key does not exist"):
            service.restore(platform, candidate)
    assert _live_state(platform, person)
    assert _events(platform, "backup.key-destroy") == [{"backup_id": manifest.backup_id}]
    with pytest.raises(NotFound, match="no key to destroy"):
        service.destroy_key(platform, manifest.backup_id)
    assert service.verify(platform, kept).backup_id != manifest.backup_id


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_key_file_from_another_backup_is_refused(platform):
    """A backup key is bound to its backup: another backup's key file does not open it."""
    first, one = service.create(platform)
    _, two = service.create(platform)
    keys.key_path(platform.settings, one.backup_id).write_bytes(
        keys.key_path(platform.settings, two.backup_id).read_bytes()
    )
    with pytest.raises(service.BackupInvalid, match="does not belong to this backup"):
        service.verify(platform, first)
    keys.key_path(platform.settings, one.backup_id).write_text("not json")
    with pytest.raises(service.BackupInvalid, match="key file is damaged"):
        service.verify(platform, first)
    with pytest.raises(NotFound, match="no such backup file"):
        service.verify(platform, first.with_name("missing.kbak"))


@pytest.mark.policy("IS-SENS-SAFE")
def test_backup_commands(platform, run):
    """create, list, verify, restore at the shell, with their progress and summaries."""
    seed_person(platform, "shell")
    created = run("backup", "create")
    assert created.exit_code == 0, created.output
    words = " ".join(created.output.split())
    assert "no key-encryption key or signing key is in it" in words
    item = service.listing(platform)[0]
    assert item.manifest.backup_id[-6:] in run("backup", "list").output  # the id's random tail
    assert "ok" in run("backup", "verify", str(item.path)).output
    restored = run("backup", "restore", str(item.path), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "erasure ledger re-applied" in restored.output
    assert "checkpoint file was set aside" in " ".join(restored.output.split())
    declined = run("backup", "restore", str(item.path), input="n\n")
    assert declined.exit_code != 0
    ledger = run("backup", "reapply-ledger")
    assert ledger.exit_code == 0
    assert "0 entries" in ledger.output
