"""Signed checkpoints: the signing key's safety, the file's format, forged and foreign lines."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from audithelp import Writer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from klaremont.audit.checkpoints import (
    CheckpointSigner,
    append_checkpoint,
    load_or_create_signing_key,
    load_trusted_keys,
    read_checkpoints,
)
from klaremont.audit.log import AuditLog
from klaremont.audit.report import BreakKind
from klaremont.clock import ManualClock
from klaremont.config import Settings
from klaremont.errors import ConfigurationError
from klaremont.staff.actions import StaffAction


@pytest.mark.policy("DP-SECURE")
def test_signing_key_is_created_private(tmp_path: Path) -> None:
    """The key is created on first use with mode 0600 in a 0700 directory, and reused after."""
    path = tmp_path / "keys" / "audit-signing.key"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = load_or_create_signing_key(path)
    assert CheckpointSigner(first).key_id == CheckpointSigner(again).key_id
    assert (tmp_path / "keys" / "audit-signing.key.pub").exists()


@pytest.mark.policy("DP-SECURE")
def test_group_readable_signing_key_is_refused(tmp_path: Path) -> None:
    """A signing key that group or others can read is refused with the fix in the message."""
    path = tmp_path / "keys" / "audit-signing.key"
    load_or_create_signing_key(path)
    path.chmod(0o640)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create_signing_key(path)


def test_non_ed25519_key_is_refused(tmp_path: Path) -> None:
    """A PEM file holding some other kind of key is refused."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    path = tmp_path / "audit.key"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="not an Ed25519"):
        load_or_create_signing_key(path)


def test_from_settings_uses_the_configured_files(tmp_path: Path, clock: ManualClock) -> None:
    """from_settings signs with the configured key and writes to the configured file."""
    settings = Settings(var_dir=tmp_path / "var")
    audit = AuditLog.from_settings(settings, clock)
    assert settings.audit_signing_key_file is not None
    assert settings.audit_signing_key_file.exists()
    assert audit.checkpoint_file == settings.audit_checkpoint_file
    assert audit.signer.key_id in audit.trusted_keys


def test_checkpoint_line_format(writer: Writer) -> None:
    """Each line is JSON with exactly seq, hash, at, key_id and sig, and the file is private."""
    event = writer.one()
    line = writer.audit.checkpoint_file.read_text().splitlines()[0]
    body = json.loads(line)
    assert set(body) == {"seq", "hash", "at", "key_id", "sig"}
    assert (body["seq"], body["hash"], body["at"]) == (1, event.hash, event.occurred_at)
    assert stat.S_IMODE(writer.audit.checkpoint_file.stat().st_mode) == 0o600


def test_forced_checkpoint_signs_the_last_event(writer: Writer, engine: Engine) -> None:
    """checkpoint() signs the newest stored event now, even one committed unsealed."""
    events = writer.many(2)
    checkpoint = writer.audit.checkpoint(engine)
    assert checkpoint is not None
    assert (checkpoint.seq, checkpoint.hash) == (2, events[-1].hash)
    assert len(read_checkpoints(writer.audit.checkpoint_file)[0]) == 3


def test_forced_checkpoint_of_an_empty_log_is_none(audit: AuditLog, engine: Engine) -> None:
    """There is nothing to sign in an empty log."""
    assert audit.checkpoint(engine) is None


@pytest.mark.policy("IS-USE-MONITOR")
def test_forged_newest_checkpoint_is_a_bad_signature(writer: Writer, engine: Engine) -> None:
    """A checkpoint line whose signature does not verify is reported at its event."""
    writer.many(3)
    lines = writer.audit.checkpoint_file.read_text().splitlines()
    body = json.loads(lines[-1])
    body["sig"] = body["sig"][::-1]
    lines[-1] = json.dumps(body)
    writer.audit.checkpoint_file.write_text("\n".join(lines) + "\n")
    report = writer.audit.verify(engine)
    assert (report.first_broken, report.kind) == (3, BreakKind.BAD_SIGNATURE)


@pytest.mark.policy("IS-USE-MONITOR")
def test_forged_old_checkpoint_is_found_when_checking_all_signatures(
    writer: Writer, engine: Engine
) -> None:
    """A bad signature on an older line that agrees with the table is found by --all-signatures."""
    writer.many(4)
    lines = writer.audit.checkpoint_file.read_text().splitlines()
    body = json.loads(lines[1])
    body["sig"] = "A" + body["sig"][1:] if body["sig"][0] != "A" else "B" + body["sig"][1:]
    lines[1] = json.dumps(body)
    writer.audit.checkpoint_file.write_text("\n".join(lines) + "\n")
    assert writer.audit.verify(engine).ok  # the newest genuine checkpoint vouches for event 2
    report = writer.audit.verify(engine, all_signatures=True)
    assert (report.first_broken, report.kind) == (2, BreakKind.BAD_SIGNATURE)


@pytest.mark.policy("IS-USE-MONITOR")
def test_checkpoint_by_unknown_key_is_reported(writer: Writer, engine: Engine) -> None:
    """A checkpoint signed by a key the log does not trust is reported at its event."""
    writer.many(3)
    stranger = CheckpointSigner(Ed25519PrivateKey.generate())
    append_checkpoint(writer.audit.checkpoint_file, stranger.sign(2, "a" * 64, "now"))
    report = writer.audit.verify(engine)
    assert (report.first_broken, report.kind) == (2, BreakKind.UNKNOWN_KEY)


def test_retired_public_keys_beside_the_key_are_trusted(tmp_path: Path) -> None:
    """Public keys named after the signing key stay trusted, so old checkpoints still verify."""
    path = tmp_path / "keys" / "audit-signing.key"
    current = CheckpointSigner(load_or_create_signing_key(path))
    retired_path = tmp_path / "retired.key"
    retired = CheckpointSigner(load_or_create_signing_key(retired_path))
    (tmp_path / "keys" / "audit-signing.2025.pub").write_bytes(
        (tmp_path / "retired.key.pub").read_bytes()
    )
    assert set(load_trusted_keys(path)) == {current.key_id, retired.key_id}


def test_malformed_checkpoint_lines_are_reported(writer: Writer, engine: Engine) -> None:
    """Lines that are not checkpoints are reported by line number."""
    writer.one()
    with writer.audit.checkpoint_file.open("a") as handle:
        handle.write("not json\n")
        handle.write('{"seq": 0, "hash": "x", "at": "", "key_id": "", "sig": ""}\n')
        handle.write('{"seq": 1}\n')
        handle.write('{"seq": 1, "hash": "' + "Z" * 64 + '", "at": "", "key_id": "", "sig": ""}\n')
        handle.write('{"seq": 1, "hash": "' + "a" * 64 + '", "at": 1, "key_id": "", "sig": ""}\n')
    report = writer.audit.verify(engine)
    kinds = [(f.kind, f.message) for f in report.findings]
    assert [k for k, _ in kinds] == [BreakKind.MALFORMED_CHECKPOINT] * 5
    assert kinds[0][1] == "line 2: not JSON"
    assert report.first_broken is None
    assert "checkpoint file" in report.summary()


def test_unwritable_checkpoint_file_does_not_undo_the_commit(
    tmp_path: Path, clock: ManualClock, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """If the checkpoint cannot be written the events stay committed, unsealed, and it is logged."""
    from audithelp import ALICE  # noqa: PLC0415
    from sqlalchemy.orm import sessionmaker  # noqa: PLC0415

    blocked = tmp_path / "blocked"
    blocked.mkdir()
    signer = CheckpointSigner(load_or_create_signing_key(tmp_path / "k" / "audit.key"))
    audit = AuditLog(clock=clock, signer=signer, checkpoint_file=blocked)  # a directory
    factory = sessionmaker(engine)
    audit.install(factory)
    with factory.begin() as session:
        audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    assert "audit checkpoint for event 1 not written" in caplog.text
    audit.checkpoint_file = tmp_path / "checkpoints.jsonl"
    report = audit.verify(engine)
    assert report.ok
    assert report.unsealed_tail == 1
