"""Fixtures for migration tests: an empty data store (no template: these tests choose the
revision a database starts at), and extra capability revision folders."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend_support import BACKEND, pg_admin, pg_url
from klaremont.db import migrate

_counter = itertools.count()
_WORKER = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new, empty data store (nothing migrated) on the test backend."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'wave-1' / 'klaremont.db'}"
        return
    name = f"kt_mig_{_WORKER}_{next(_counter)}"
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    yield pg_url(name)
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def capability_folders(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Add temporary capability revision folders to the data store's version locations."""
    shipped = migrate.capability_migration_dirs()

    def add(*folders: Path) -> None:
        monkeypatch.setattr(migrate, "capability_migration_dirs", lambda: [*shipped, *folders])

    return add
