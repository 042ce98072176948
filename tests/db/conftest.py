"""Fixtures for migration tests: an empty database pair (no template: these tests choose the
revision a database starts at), and extra capability revision folders."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from migration_support import BACKEND, PG_ADMIN_URL
from sqlalchemy import create_engine, text

from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.db import migrate
from klaremont.platform import Platform

_counter = itertools.count()
_WORKER = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _pg_admin(statements: list[str]) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def empty_platform(tmp_path: Path, clock: ManualClock) -> Iterator[Platform]:
    """A platform on a brand-new, empty data store and keystore (nothing migrated)."""
    if BACKEND == "postgresql":
        n = next(_counter)
        names = (f"kt_mig_{_WORKER}_{n}", f"kt_mig_{_WORKER}_{n}_ks")
        _pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names])
        _pg_admin([f'CREATE DATABASE "{name}"' for name in names])
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        urls = (f"{base}/{names[0]}", f"{base}/{names[1]}")
    else:
        names = ()
        urls = (f"sqlite:///{tmp_path / 'klaremont.db'}", f"sqlite:///{tmp_path / 'keystore.db'}")
    settings = Settings(
        environment=Environment.TEST,
        var_dir=tmp_path / "var",
        database_url=urls[0],
        keystore_url=urls[1],
    )
    platform = Platform.build(settings, clock=clock)
    yield platform
    platform.dispose()
    if names:
        _pg_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names])


@pytest.fixture
def capability_folders(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Add temporary capability revision folders to the data store's version locations."""
    shipped = migrate.capability_migration_dirs()

    def add(*folders: Path) -> None:
        monkeypatch.setattr(migrate, "capability_migration_dirs", lambda: [*shipped, *folders])

    return add
