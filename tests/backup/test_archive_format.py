"""The encrypted file format refuses every malformed file with one clear line, and format 1
backups (plain SQLite copies of the data store, from before encryption) still restore
(IS-SENS-SAFE)."""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
import struct

import pytest
from backup_support import BACKEND, TEST_ACTOR, seed_person
from typer.testing import CliRunner

from klaremont.backup import archive, service
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer
from klaremont.db import migrate
from klaremont.errors import NotFound

KEY = secrets.token_bytes(32)


def _sealed(frames: list[tuple[bytes, bytes, bool]]) -> bytes:
    out = io.BytesIO()
    writer = archive.Writer(out, KEY, "test-backup")
    for tag, data, last in frames:
        writer._frame(tag, data, last=last)
    return out.getvalue()


def _read(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(tag, chunk) for tag, chunk, _ in archive.chunks(io.BytesIO(data), KEY, "f")]


def _with_header(header: bytes) -> bytes:
    return archive.MAGIC + struct.pack(">I", len(header)) + header


def test_a_well_formed_file_reads_back_part_by_part():
    """Parts come back in order, each chunk checked, ending at the manifest."""
    data = _sealed([(b"D", b"data", False), (b"K", b"keys", False), (b"M", b"{}", True)])
    assert _read(data) == [(b"D", b"data"), (b"K", b"keys"), (b"M", b"{}")]


@pytest.mark.policy("IS-SENS-SAFE")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an encrypted Klaremont backup"),
        (archive.MAGIC + b"\x00\x01", "cut short"),
        (_with_header(b"{not json"), "header is damaged"),
        (archive.MAGIC + struct.pack(">I", 1 << 20), "header is damaged"),
        (
            _with_header(b'{"format": 9, "backup_id": "x", "nonce_prefix": "AAAAAAAAAA=="}'),
            "format this version does not read",
        ),
        (_sealed([(b"D", b"data", False)]), "cut short"),
        (_sealed([(b"M", b"{}", False)]), "out of place"),
        (_sealed([(b"D", b"data", True)]), "out of place"),
        (_sealed([(b"X", b"data", False)]), "out of place"),
        (_sealed([(b"D", b"x", False)])[:-5], "cut short"),
    ],
)
def test_a_malformed_file_is_refused(data, message):
    """Empty, cut, unreadable header, unknown format, missing end, a part out of place."""
    with pytest.raises(archive.BackupInvalid, match=message) as refused:
        _read(data)
    assert "\n" not in refused.value.detail


def test_a_damaged_chunk_length_is_refused():
    """A chunk length no writer makes is refused before anything is read into memory."""
    good = _sealed([(b"D", b"data", False), (b"M", b"{}", True)])
    start = len(archive.MAGIC) + 4 + struct.unpack(">I", good[8:12])[0]
    bad = good[:start] + struct.pack(">I", 3) + good[start + 4 :]
    with pytest.raises(archive.BackupInvalid, match="chunk 0 is damaged"):
        _read(bad)


def _format1(platform) -> tuple:
    """A backup as the first version wrote it: a plain copy of the data store and a manifest."""
    live = service.database_file(platform)
    folder = service.backup_dir(platform)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "klaremont-20260301T000000000000Z.db"
    with sqlite3.connect(live) as source, sqlite3.connect(path) as target:
        source.backup(target)
    manifest = {
        "file": path.name, "created_at": "2026-03-01T00:00:00+00:00",
        "sha256": service.sha256_of(path), "size": path.stat().st_size,
        "schema_revision": " ".join(migrate.current_revisions(platform.engine)),
        "database": "sqlite", "keystore_included": False, "format": 1,
    }  # fmt: skip
    manifest_file = path.with_name(path.name + service.MANIFEST_SUFFIX)
    manifest_file.write_text(json.dumps(manifest))
    return path, manifest_file, manifest


@pytest.mark.skipif(BACKEND != "sqlite", reason="format 1 backups were plain SQLite copies")
@pytest.mark.policy("IS-SENS-SAFE")
def test_a_format_1_backup_still_restores(platform):
    """Checked against its manifest and SQLite's integrity check, then restored (the data
    store alone: format 1 never held the keystore); listed as not encrypted."""
    first = seed_person(platform, "first")
    path, manifest_file, manifest = _format1(platform)
    later = seed_person(platform, "later")
    listed = {item.path.name: item.key for item in service.listing(platform)}
    assert listed[path.name] == "none (format 1, not encrypted)"
    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["backup", "restore", str(path), "--yes"])
    finally:
        use_platform(None)
    assert result.exit_code == 0, result.output
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, first.customer_id).email == first.email
        assert uow.session.get(Customer, later.customer_id) is None
    assert platform.audit.verify(platform.engine).ok
    manifest_file.write_text(json.dumps({**manifest, "schema_revision": "2099_01_01_0000_x"}))
    with pytest.raises(service.BackupInvalid, match="unknown to this version"):
        service.restore(platform, path)
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(service.BackupInvalid, match="SHA-256"):
        service.restore(platform, path)
    manifest_file.write_text(json.dumps({**manifest, "sha256": service.sha256_of(path)}))
    path.write_bytes(original[:100] + b"\xff" * (len(original) - 100))
    manifest_file.write_text(json.dumps({**manifest, "sha256": service.sha256_of(path)}))
    with pytest.raises(service.BackupInvalid, match="integrity check failed"):
        service.restore(platform, path)
    manifest_file.unlink()
    with pytest.raises(NotFound, match="needs its manifest"):
        service.restore(platform, path)
