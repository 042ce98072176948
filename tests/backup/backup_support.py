"""Backup test helpers: seeded people (the rights helpers), erasure, raw bytes, decrypted parts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from rights_support import TEST_ACTOR, Person, seed_person
from sqlalchemy import func, select

from backend_support import BACKEND
from klaremont.backup import archive, keys
from klaremont.backup.service import database_file
from klaremont.customers.models import Address, ContactRecord, Customer, PaymentCard
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.rights import erasure, intake
from klaremont.rights.erasure import ErasureReply
from klaremont.rights.states import RequestKind

sqlite_only = pytest.mark.skipif(
    BACKEND != "sqlite", reason="reads the embedded SQLite files' raw bytes"
)
postgres_only = pytest.mark.skipif(
    BACKEND != "postgresql", reason="checks the PostgreSQL tools (pg_dump, pg_restore)"
)
PERSONAL = (Customer, Address, PaymentCard, ContactRecord)


def raw_bytes(platform: Platform) -> bytes:
    """Every byte of the live SQLite database: the file, its WAL and its shared memory."""
    live = database_file(platform)
    data = b""
    for path in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        if path.exists():
            data += path.read_bytes()
    return data


def erase(platform: Platform, person: Person) -> ErasureReply:
    """Erase ``person`` through the rights service, as a signed-in request."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE)
        return erasure.erase(uow, made.id)


def assert_gone(platform: Platform, person: Person) -> None:
    """No personal row of ``person`` is left, and the subject is marked erased."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        for model in PERSONAL:
            count = uow.session.scalar(
                select(func.count()).select_from(model).where(model.subject_id == person.subject_id)
            )
            assert count == 0, model.__tablename__
        subject = uow.session.get(Subject, person.subject_id)
        assert subject is not None
        assert subject.erased_at is not None


def decrypted_parts(platform: Platform, path: Path) -> dict[bytes, bytes]:
    """Every part of a backup, decrypted with its key (for scanning what is inside)."""
    with path.open("rb") as handle:
        header, _ = archive.read_header(handle, path.name)
    key = keys.load_key(platform.settings, platform.keyring, header.backup_id)
    parts: dict[bytes, bytes] = {}
    with path.open("rb") as handle:
        for tag, data, _ in archive.chunks(handle, key, path.name):
            parts[tag] = parts.get(tag, b"") + data
    return parts


def rewrite(
    platform: Platform,
    path: Path,
    change_manifest: dict[str, object],
    parts_changed: dict[bytes, bytes] | None = None,
) -> None:
    """Re-seal a backup under its own key with manifest fields or parts changed (a forgery
    only the key's holder could make: the manifest's digests are updated to match)."""
    import hashlib  # noqa: PLC0415 - only this helper needs it
    import json  # noqa: PLC0415 - only this helper needs it

    with path.open("rb") as handle:
        header, _ = archive.read_header(handle, path.name)
    key = keys.load_key(platform.settings, platform.keyring, header.backup_id)
    parts = decrypted_parts(platform, path)
    manifest = json.loads(parts.pop(archive.PART_MANIFEST))
    names = {archive.PART_DATA: "data", archive.PART_KEYSTORE: "keystore"}
    for tag, data in (parts_changed or {}).items():
        parts[tag] = data
        manifest["parts"][names[tag]] = {
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    manifest.update(change_manifest)
    scratch = path.with_name(path.name + ".forged")
    with scratch.open("wb") as target:
        writer = archive.Writer(target, key, header.backup_id)
        for tag, data in parts.items():
            for start in range(0, len(data), archive.CHUNK):
                chunk = data[start : start + archive.CHUNK]
                writer._frame(tag, chunk, last=False)
        writer.finish(json.dumps(manifest).encode())
    scratch.replace(path)


__all__ = [
    "BACKEND",
    "TEST_ACTOR",
    "Person",
    "assert_gone",
    "decrypted_parts",
    "erase",
    "postgres_only",
    "raw_bytes",
    "rewrite",
    "seed_person",
    "sqlite_only",
]
