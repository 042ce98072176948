"""Backup test helpers: the rights helpers (seeded people), raw bytes of the database files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from rights_support import TEST_ACTOR, Person, seed_person

from klaremont.backup.service import database_file
from klaremont.platform import Platform

BACKEND = os.environ.get("KLAREMONT_TEST_DATABASE", "sqlite")
sqlite_only = pytest.mark.skipif(
    BACKEND != "sqlite",
    reason="backup create/restore copies the embedded SQLite file; PostgreSQL uses pg_dump",
)
postgres_only = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="checks the PostgreSQL path (pg_dump advice, pg_restore + ledger re-apply)",
)


def raw_bytes(platform: Platform) -> bytes:
    """Every byte of the live SQLite database: the file, its WAL and its shared memory."""
    live = database_file(platform)
    data = b""
    for path in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        if path.exists():
            data += path.read_bytes()
    return data


__all__ = ["TEST_ACTOR", "Person", "postgres_only", "raw_bytes", "seed_person", "sqlite_only"]
