"""Fixtures for key handling and field encryption: a real key file and a real keystore file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from klaremont.clock import ManualClock
from klaremont.crypto.context import CryptoContext
from klaremont.crypto.keyring import KeyRing
from klaremont.crypto.keystore import Keystore
from klaremont.crypto.keystore_models import KeystoreBase
from klaremont.db.engine import make_engine

if TYPE_CHECKING:
    from sqlalchemy import Engine

KEY_DAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


Scan = Callable[[Path, list[bytes]], list[tuple[str, bytes]]]


def _scan_sqlite(database: Path, needles: list[bytes]) -> list[tuple[str, bytes]]:
    """Every (file name, needle) where a needle occurs in the raw bytes of the database,
    its WAL or its shared-memory file.
    """
    found: list[tuple[str, bytes]] = []
    for suffix in ("", "-wal", "-shm"):
        path = database.with_name(database.name + suffix)
        if path.exists():
            raw = path.read_bytes()
            found.extend((path.name, needle) for needle in needles if needle in raw)
    return found


@pytest.fixture
def scan_sqlite() -> Scan:
    """A raw byte scan of a SQLite database and its -wal and -shm files."""
    return _scan_sqlite


@pytest.fixture
def key_clock() -> ManualClock:
    """A frozen clock so KEK ids and destruction dates are predictable."""
    return ManualClock(KEY_DAY)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """Where the key file of this test lives (created on first use)."""
    return tmp_path / "keys" / "kek.json"


@pytest.fixture
def keyring(key_file: Path, key_clock: ManualClock) -> KeyRing:
    """A key ring backed by a fresh key file."""
    return KeyRing.load_or_create(key_file, clock=key_clock)


@pytest.fixture
def keystore_db(tmp_path: Path) -> Path:
    """Path of this test's keystore SQLite file."""
    return tmp_path / "keystore.db"


@pytest.fixture
def keystore_engine(keystore_db: Path) -> Iterator[Engine]:
    """A real SQLite keystore database with its tables."""
    engine = make_engine(f"sqlite:///{keystore_db}")
    KeystoreBase.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def keystore(keystore_engine: Engine, keyring: KeyRing, key_clock: ManualClock) -> Keystore:
    """The keystore over the real keystore database and key file."""
    return Keystore(keystore_engine, keyring, key_clock)


@pytest.fixture
def crypto(keystore: Keystore) -> CryptoContext:
    """One unit of work's crypto context."""
    return CryptoContext(keystore)
