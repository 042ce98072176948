"""Database layer: engine rules, portable types, unit of work and migration drift."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from klaremont.customers.actions import CustomerAction
from klaremont.db import migrate
from klaremont.db.base import UTCDateTime
from klaremont.db.engine import normalise_url
from klaremont.db.models import PlatformMeta


def test_models_and_migrations_agree(platform) -> None:
    """A database at head has exactly the tables and columns the models declare (no drift)."""
    platform.upgrade()
    assert migrate.drift(platform.engine, migrate.DATA) == []
    assert migrate.drift(platform.keystore_engine, migrate.KEYSTORE) == []


def test_keystore_is_a_separate_database(platform) -> None:
    """Wrapped data keys live apart from the data: no key table in the data store."""
    assert platform.settings.keystore_url != platform.settings.database_url
    with platform.engine.connect() as conn:
        tables = set(platform.engine.dialect.get_table_names(conn))
    assert "subject_keys" not in tables
    assert "audit_events" in tables


def test_sqlite_runs_in_wal_with_foreign_keys(platform) -> None:
    """The embedded database uses WAL and enforces foreign keys."""
    if platform.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to the embedded database")
    with platform.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unit_of_work_commits_on_success(platform) -> None:
    """Work inside a unit of work is committed when the block ends."""
    with platform.unit_of_work() as uow:
        uow.session.add(PlatformMeta(key="k", value="v"))
    with platform.unit_of_work() as uow:
        assert uow.session.get(PlatformMeta, "k").value == "v"


def test_unit_of_work_rolls_back_on_error(platform) -> None:
    """An error inside a unit of work leaves nothing half-written."""

    def half_written() -> None:
        with platform.unit_of_work() as uow:
            uow.session.add(PlatformMeta(key="k", value="v"))
            uow.session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        half_written()
    with platform.unit_of_work() as uow:
        assert uow.session.get(PlatformMeta, "k") is None


@pytest.mark.policy("IS-AC-CLOCK")
def test_naive_datetimes_are_refused() -> None:
    """A timestamp without a timezone is refused rather than guessed."""
    column_type = UTCDateTime()
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2026, 1, 1), _Dialect("postgresql"))  # noqa: DTZ001


@pytest.mark.policy("IS-AC-CLOCK")
def test_timestamps_read_back_as_utc() -> None:
    """SQLite's naive values come back as aware UTC datetimes."""
    column_type = UTCDateTime()
    value = column_type.process_result_value(datetime(2026, 1, 1, 12), _Dialect("sqlite"))  # noqa: DTZ001
    assert value == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_postgresql_urls_use_psycopg_3() -> None:
    """Plain postgresql:// URLs are driven by psycopg 3."""
    assert normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


def test_idle_server_connection_is_checked_and_replaced(platform, monkeypatch) -> None:
    """A pooled PostgreSQL connection that sat idle is pinged before use; a dead one is
    replaced without the caller seeing an error. A busy one is handed out unpinged."""
    if platform.engine.dialect.name == "sqlite":
        pytest.skip("the idle ping is for server connections; SQLite has none to lose")
    from klaremont.db import engine as engine_module  # noqa: PLC0415

    engine = engine_module.make_engine(
        str(platform.engine.url.render_as_string(hide_password=False)), pool_size=1
    )
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn)
    )
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # returned moments ago: no ping
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first_pid
        assert pings == []
        with platform.engine.connect() as admin:  # the server drops the idle connection
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
            admin.commit()
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first_pid
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_read_only_unit_refuses_changes_and_saves_nothing(platform) -> None:
    """A read-only unit of work may append audit events but not change ORM objects; on a
    server database each statement commits by itself, so its audit event outlives a
    failure later in the unit."""
    from klaremont.platform import ReadOnlyViolation  # noqa: PLC0415

    with platform.unit_of_work() as uow:
        uow.session.add(PlatformMeta(key="colour", value="blue"))
    uow = platform.open_unit_of_work()
    uow.begin_read_only()
    uow.audit(CustomerAction.PERSONAL_DATA_READ, resource="test:read-only", purpose="support")
    uow.ensure_unchanged()  # an audit event is not an ORM change
    row = uow.session.get(PlatformMeta, "colour")
    assert row is not None
    row.value = "red"
    with pytest.raises(ReadOnlyViolation):
        uow.ensure_unchanged()
    uow.abort()
    with platform.unit_of_work() as check:
        assert check.session.get(PlatformMeta, "colour").value == "blue"
        resources = check.session.scalars(
            text("SELECT resource FROM audit_events WHERE resource = 'test:read-only'")
        ).all()
    if platform.engine.dialect.name == "sqlite":
        assert resources == []  # SQLite keeps one in-process transaction: all rolled back
    else:
        assert resources == ["test:read-only"]  # autocommit: the read's event stands alone
    platform.audit.flush()
    report = platform.audit.verify(platform.engine)
    assert report.ok
    assert report.unsealed_tail == 0  # the stand-alone event was sealed like any other


def test_after_finish_a_unit_reads_without_the_write_lock_and_changes_nothing(platform) -> None:
    """``finish`` commits the change; the answer's reads then take no write lock (on SQLite
    a snapshot, so a request does not queue a second time), an ORM change is refused, and
    an audited read still lands (it takes the lock again)."""
    import sqlite3  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from klaremont.platform import ReadOnlyViolation  # noqa: PLC0415

    uow = platform.open_unit_of_work()
    uow.session.add(PlatformMeta(key="shade", value="green"))
    uow.finish()
    holder = None
    if platform.engine.dialect.name == "sqlite":
        # another process holds the write lock while the answer is built
        holder = sqlite3.connect(platform.engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    read: list[str] = []
    reader = threading.Thread(
        target=lambda: read.append(uow.session.get(PlatformMeta, "shade").value)
    )
    reader.start()
    reader.join(10)
    if holder is not None:
        holder.execute("ROLLBACK")
        holder.close()
    assert read == ["green"]
    uow.session.get(PlatformMeta, "shade").value = "grey"
    with pytest.raises(ReadOnlyViolation):
        uow.session.flush()
    uow.session.rollback()
    uow.audit(CustomerAction.PERSONAL_DATA_READ, resource="test:after-finish", purpose="support")
    uow.complete()
    with platform.unit_of_work() as check:
        assert check.session.get(PlatformMeta, "shade").value == "green"
        assert check.session.scalars(
            text("SELECT resource FROM audit_events WHERE resource = 'test:after-finish'")
        ).all() == ["test:after-finish"]
