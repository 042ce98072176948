"""The test run's database backend and the PostgreSQL server's admin connection, shared by
every folder's test support (one place for the server's URL and the autocommit helper
that creates and drops the databases tests make)."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

BACKEND = os.environ.get("KLAREMONT_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "KLAREMONT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pg_url(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_admin(*statements: str) -> None:
    """Run ``statements`` on the server's admin database, each committed on its own
    (``CREATE DATABASE`` and ``DROP DATABASE`` cannot run in a transaction)."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
