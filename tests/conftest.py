"""Shared fixtures: every test gets a real, freshly migrated database (SQLite or PostgreSQL).

The backend comes from ``KLAREMONT_TEST_DATABASE`` (``sqlite`` by default, or ``postgresql``).
A template database is migrated once per worker; each test gets its own copy of it, so
tests commit for real, triggers fire, and nothing leaks between tests.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from backend_support import BACKEND, pg_admin, pg_url
from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.platform import Platform
from klaremont.policy.model import SecondFactorPolicy
from klaremont.web.app import create_app

# Unique per test process, so concurrent runs against one PostgreSQL server never collide.
WORKER = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday morning in the office
_counter = itertools.count()

# Property tests prove behaviour, not speed: no per-example deadline (CI machines are loaded).
hypothesis_settings.register_profile(
    "klaremont", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("klaremont")


@dataclass(frozen=True)
class DatabasePair:
    """URLs of a data store and its separate keystore."""

    database_url: str
    keystore_url: str


def _settings(var_dir: Path, pair: DatabasePair) -> Settings:
    return Settings(
        environment=Environment.TEST,
        var_dir=var_dir,
        database_url=pair.database_url,
        keystore_url=pair.keystore_url,
    )


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabasePair]:
    """A migrated, empty template database pair, built once per test worker."""
    if BACKEND == "postgresql":
        names = (f"kt_{WORKER}_tpl", f"kt_{WORKER}_tpl_ks")
        pg_admin(*[f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])
        pg_admin(*[f'CREATE DATABASE "{n}"' for n in names])
        pair = DatabasePair(pg_url(names[0]), pg_url(names[1]))
    else:
        root = tmp_path_factory.mktemp("template")
        pair = DatabasePair(
            f"sqlite:///{root / 'klaremont.db'}", f"sqlite:///{root / 'keystore.db'}"
        )
    platform = Platform.build(_settings(tmp_path_factory.mktemp("template-var"), pair))
    platform.upgrade()
    platform.dispose()
    if BACKEND != "postgresql":
        for url in (pair.database_url, pair.keystore_url):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield pair
    if BACKEND == "postgresql":
        pg_admin(*[f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])


@pytest.fixture
def database(db_template: DatabasePair, tmp_path: Path) -> Iterator[DatabasePair]:
    """A fresh copy of the template for this test."""
    if BACKEND == "postgresql":
        n = next(_counter)
        data, keys = f"kt_{WORKER}_{n}", f"kt_{WORKER}_{n}_ks"
        tpl_data = db_template.database_url.rsplit("/", 1)[1]
        tpl_keys = db_template.keystore_url.rsplit("/", 1)[1]
        pg_admin(
            f'DROP DATABASE IF EXISTS "{data}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{keys}" WITH (FORCE)',
            f'CREATE DATABASE "{data}" TEMPLATE "{tpl_data}"',
            f'CREATE DATABASE "{keys}" TEMPLATE "{tpl_keys}"',
        )
        yield DatabasePair(pg_url(data), pg_url(keys))
        pg_admin(*[f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in (data, keys)])
        return
    target = tmp_path / "db"
    target.mkdir()
    copies = []
    for url in (db_template.database_url, db_template.keystore_url):
        source = Path(url.removeprefix("sqlite:///"))
        shutil.copyfile(source, target / source.name)
        copies.append(f"sqlite:///{target / source.name}")
    yield DatabasePair(copies[0], copies[1])


@pytest.fixture
def clock() -> ManualClock:
    """A clock frozen at a Monday morning; tests move it with ``advance``."""
    return ManualClock(START)


@pytest.fixture
def settings(database: DatabasePair, tmp_path: Path) -> Settings:
    """Test settings pointing at this test's databases and a private var directory."""
    return _settings(tmp_path / "var", database)


@pytest.fixture
def platform(settings: Settings, clock: ManualClock) -> Iterator[Platform]:
    """A platform on this test's own databases.

    Most tests sign staff in with a password alone, so the policy's second factor for
    privileged roles (on by default) is off here; tests/staff/test_second_factor.py and
    the demo tests turn it back on.
    """
    built = Platform.build(settings, clock=clock)
    built.policy = built.policy.model_copy(
        update={"second_factor": SecondFactorPolicy(required_for_privileged=False)}
    )
    yield built
    built.dispose()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    """An HTTPS test client for the web app (so Secure cookies round-trip)."""
    with TestClient(create_app(platform), base_url="https://testserver") as test_client:
        yield test_client


def pytest_report_header() -> str:
    """Say which database backend this run uses."""
    return f"klaremont test database: {BACKEND}"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """A test that calls ``klaremont.logging.configure`` leaves logging as it found it: a
    console renderer left on the root logger printed the test client's request lines (query
    strings and all) into a later test's captured output, which that test reads as the log."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level, raising = root.handlers[:], root.level, logging.raiseExceptions
    access = logging.getLogger("uvicorn.access").disabled
    clients = {name: logging.getLogger(name).level for name in ("httpx2", "httpcore2")}
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.raiseExceptions = raising
    logging.getLogger("uvicorn.access").disabled = access
    for name, was in clients.items():
        logging.getLogger(name).setLevel(was)
