"""Migrations: a database already at every head is left alone.

Every CLI start upgrades both databases; with nothing to apply, Alembic is not run at all,
so neither is the whole-file foreign-key check that follows a migration on SQLite (it read
every row at every start). A database behind a head, a fresh one, or one at a revision
this code does not have still goes through Alembic, as before.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing

import pytest
from migration_support import WAVE_1, repository_heads, table_names, write_revision
from sqlalchemy import text

from backend_support import BACKEND
from klaremont.db import migrate
from klaremont.db.engine import make_engine


@pytest.fixture
def alembic_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each call of Alembic's upgrade command, by revision (the real command still runs)."""
    calls: list[str] = []
    real = migrate.command.upgrade

    def upgrade(config, revision, *args, **kwargs):
        calls.append(revision)
        return real(config, revision, *args, **kwargs)

    monkeypatch.setattr(migrate.command, "upgrade", upgrade)
    return calls


def test_a_database_at_every_head_is_left_alone(platform, alembic_runs) -> None:
    """Both databases of a migrated platform: upgrading again runs no Alembic command."""
    heads = repository_heads()
    assert migrate.current_revisions(platform.engine) == heads
    keystore_heads = migrate.current_revisions(platform.keystore_engine)
    platform.upgrade()
    migrate.upgrade(platform.engine, migrate.DATA)
    migrate.upgrade(platform.keystore_engine, migrate.KEYSTORE)
    assert alembic_runs == []
    assert migrate.current_revisions(platform.engine) == heads
    assert migrate.current_revisions(platform.keystore_engine) == keystore_heads


@pytest.mark.skipif(
    BACKEND != "sqlite",
    reason=(
        "the whole-file foreign-key check after a migration runs on SQLite only "
        "(PostgreSQL enforces foreign keys row by row during the migration)"
    ),
)
def test_a_row_referring_to_nothing_does_not_stop_a_start_but_still_stops_a_migration(
    platform, alembic_runs, capability_folders, tmp_path
) -> None:
    """A row written with foreign keys off that points nowhere: at every head the upgrade
    neither runs nor checks (no refusal); with a revision to apply, Alembic runs and the
    check refuses the upgrade, naming the table, and nothing of it stays."""
    path = platform.settings.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)  # sqlite3's default
        conn.execute(
            "INSERT INTO policy_acknowledgements (id, version_id, username, acknowledged_at) "
            "VALUES (?, ?, 'nobody', '2026-03-02 09:30:00.000000')",
            (uuid.uuid4().hex, uuid.uuid4().hex),
        )
        conn.commit()
        dangling = [row[0] for row in conn.execute("PRAGMA foreign_key_check")]
    assert dangling == ["policy_acknowledgements"]

    heads = repository_heads()
    platform.upgrade()  # at every head: no refusal
    assert alembic_runs == []

    folder = tmp_path / "pending" / "migrations"
    write_revision(
        folder,
        "20261207_0800_pending",
        heads,
        'op.create_table("test_pending", sa.Column("id", sa.Integer(), primary_key=True))',
        'op.drop_table("test_pending")',
    )
    capability_folders(folder)
    with pytest.raises(migrate.MigrationFailed, match="policy_acknowledgements"):
        platform.upgrade()
    assert alembic_runs == ["heads"]
    assert migrate.current_revisions(platform.engine) == heads
    assert "test_pending" not in table_names(platform.engine)


@pytest.mark.parametrize("start", [None, WAVE_1], ids=["fresh", "wave-1"])
def test_a_database_behind_a_head_is_migrated_then_left_alone(
    empty_database, alembic_runs, start
) -> None:
    engine = make_engine(empty_database)
    try:
        expected: list[str] = []
        if start is not None:
            migrate.upgrade(engine, migrate.DATA, start)  # a named revision: Alembic runs
            expected.append(start)
            assert migrate.current_revisions(engine) == (start,)
        else:
            assert migrate.current_revisions(engine) == ()
        migrate.upgrade(engine, migrate.DATA)
        expected.append("heads")
        assert alembic_runs == expected
        assert migrate.current_revisions(engine) == repository_heads()
        assert "customers" in table_names(engine)
        migrate.upgrade(engine, migrate.DATA)  # now at every head
        assert alembic_runs == expected
    finally:
        engine.dispose()


def test_a_database_at_a_revision_this_code_lacks_is_still_refused(platform, alembic_runs):
    """Every head and one more this code does not have: not "at every head", so Alembic
    runs and refuses, as before."""
    with platform.engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('20991231_unknown')"))
    with pytest.raises(migrate.MigrationFailed, match="data migrations cannot be applied"):
        migrate.upgrade(platform.engine, migrate.DATA)
    assert alembic_runs == ["heads"]
