"""Helpers for the audit tests (importable by name, like ``policyhelp``).

The backend follows ``KLAREMONT_TEST_DATABASE`` (``sqlite`` by default, ``postgresql`` for
a throwaway database on the local server). The tables come from the models and the
append-only triggers from :mod:`klaremont.audit.ddl`, as the lead's migration will.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from backend_support import BACKEND, pg_admin, pg_url
from klaremont.audit.ddl import archivable_ddl, drop_archivable_ddl
from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.audit.log import AuditLog
from klaremont.audit.models import AuditArchiveRange, AuditEvent, AuditHead
from klaremont.clock import ManualClock
from klaremont.customers.actions import CustomerAction
from klaremont.db.base import Base
from klaremont.db.engine import make_engine

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ALICE = Actor(ActorType.STAFF, "alice", label="Alice Example")


def create_audit_tables(engine: Engine) -> None:
    """Create the audit tables (if missing) and (re)install the append-only triggers."""
    tables = [AuditEvent.__table__, AuditHead.__table__, AuditArchiveRange.__table__]
    Base.metadata.create_all(engine, tables=tables)
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in [*drop_archivable_ddl(dialect), *archivable_ddl(dialect)]:
            conn.exec_driver_sql(statement)


def drop_triggers(engine: Engine) -> None:
    """Remove the append-only triggers, as an attacker with database access would."""
    with engine.begin() as conn:
        for statement in drop_archivable_ddl(engine.dialect.name):
            conn.exec_driver_sql(statement)


def new_engine(tmp_path: Path, name: str = "audit") -> Iterator[Engine]:
    """A fresh database on the configured backend with the audit tables."""
    if BACKEND == "postgresql":
        db_name = f"kt_audit_{uuid.uuid4().hex[:12]}"
        pg_admin(f'CREATE DATABASE "{db_name}"')
        engine = make_engine(pg_url(db_name), pool_size=5)
        try:
            create_audit_tables(engine)
            yield engine
        finally:
            engine.dispose()
            pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        return
    engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    try:
        create_audit_tables(engine)
        yield engine
    finally:
        engine.dispose()


@dataclass
class Writer:
    """Appends events the way services do: one transaction each, clock moving on."""

    audit: AuditLog
    sessions: sessionmaker[Session]
    clock: ManualClock

    def one(self, **overrides: Any) -> AuditEvent:
        """Append one event in its own committed transaction."""
        fields: dict[str, Any] = {
            "action": CustomerAction.PERSONAL_DATA_READ,
            "outcome": Outcome.SUCCESS,
            "actor": ALICE,
            "origin": "192.0.2.10",
            "resource": "customer/42",
            "purpose": "support",
            "details": {"fields": ["email", "name"]},
            "request_id": "req-1",
        }
        fields.update(overrides)
        self.clock.advance(timedelta(seconds=1))
        with self.sessions.begin() as session:
            return self.audit.record(session, **fields)

    def many(self, count: int, **overrides: Any) -> list[AuditEvent]:
        """Append ``count`` events, each in its own transaction (so each is sealed)."""
        return [self.one(**{"resource": f"customer/{i}", **overrides}) for i in range(count)]


Tamper = Callable[..., None]

requires_postgresql = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="needs PostgreSQL (run with KLAREMONT_TEST_DATABASE=postgresql)",
)


def only_sqlite(why: str) -> pytest.MarkDecorator:
    """Skip on PostgreSQL, saying which SQLite-only behaviour the test needs."""
    return pytest.mark.skipif(BACKEND != "sqlite", reason=f"SQLite only: {why}")


def rows(engine: Engine) -> list[dict[str, Any]]:
    """Every stored event, in order, as plain dicts."""
    with engine.connect() as conn:
        result = conn.execute(text("SELECT * FROM audit_events ORDER BY seq"))
        return [dict(r._mapping) for r in result]


def run_workers(work: Callable[[int], None], count: int) -> None:
    """Run ``work(n)`` for n in 0..count-1 in threads started together; re-raise any failure.

    The threads wait at a barrier first, so their appends really contend.
    """
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            start.wait()
            work(worker)
        except BaseException as exc:  # noqa: BLE001 - reported by the calling thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
