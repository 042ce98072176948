"""The PostgreSQL tools are found robustly, refused in one line when missing or too old, and
given connection secrets only in their environment (IS-SENS-SAFE)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backup_support import TEST_ACTOR, postgres_only, seed_person
from sqlalchemy import create_engine, text

from klaremont.backup import keys, pgtools, service
from klaremont.backup.common import pg_tools
from klaremont.backup.stores import DatabaseBusy
from klaremont.customers.models import Customer

INSTALLED = shutil.which("pg_dump") is not None or any(Path("/usr/lib/postgresql").glob("*/bin"))


def _script(folder: Path, name: str, output: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(0o700)
    return path


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_missing_or_too_old_tool_is_one_clear_line(tmp_path):
    """No binary, an unreadable one, or one older than the server: one line says what to do."""
    with pytest.raises(pgtools.ToolMissing, match=f"pg_dump not found in {tmp_path}") as missing:
        pgtools.find_tool("pg_dump", 15, bin_dir=str(tmp_path))
    assert "\n" not in missing.value.detail
    _script(tmp_path, "pg_dump", "not a postgres tool")
    with pytest.raises(pgtools.ToolMissing, match="not found"):
        pgtools.find_tool("pg_dump", 15, bin_dir=str(tmp_path))
    _script(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 9.6.24")
    with pytest.raises(pgtools.ToolMissing, match="must be PostgreSQL 15 or newer") as old:
        pgtools.find_tool("pg_dump", 15, bin_dir=str(tmp_path))
    assert "version 9" in old.value.detail
    found = pgtools.find_tool("pg_dump", 9, bin_dir=str(tmp_path))
    assert found == pgtools.Tool(tmp_path / "pg_dump", 9)


@pytest.mark.skipif(not INSTALLED, reason="needs the PostgreSQL client tools installed")
def test_the_tools_are_found_beyond_path(monkeypatch):
    """Not on PATH: the versioned folders under /usr/lib/postgresql are searched, newest first."""
    monkeypatch.delenv(pgtools.BIN_DIR_ENV, raising=False)
    on_path = pgtools.find_tool("pg_restore", 1)
    monkeypatch.setenv("PATH", "/nonexistent")
    beyond = pgtools.find_tool("pg_restore", 1)
    assert beyond.major == on_path.major
    assert beyond.path.parts[:3] == ("/", "usr", "lib")


def test_connection_details_go_in_the_environment_only(monkeypatch):
    """Host, port, user, password and TLS settings become libpq variables; stray PG* go."""
    monkeypatch.setenv("PGSERVICE", "someone-elses")
    env = pgtools.libpq_env(
        "postgresql+psycopg://app:s3cret-canary@db.internal:6543/shop?sslmode=verify-full"
    )
    assert env["PGPASSWORD"] == "s3cret-canary"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.internal", "6543", "app", "shop")  # fmt: skip
    assert env["PGSSLMODE"] == "verify-full"
    assert "PGSERVICE" not in env


@postgres_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_pg_restore_sees_the_password_in_its_environment_never_its_command_line(platform):
    """What ``ps`` shows of a running pg_restore names a database, never the password."""
    tool = pg_tools(platform, "pg_restore")["pg_restore"]
    url = platform.engine.url.set(password="s3cret-canary")
    running = pgtools.Restore(tool, url, "no_such_database")
    try:
        pid = running.process.pid
        command_line = b""
        for _ in range(1000):  # until the child has exec'd pg_restore (it then waits on stdin)
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"pg_restore" in command_line:
                break
            time.sleep(0.01)
        environment = Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        running.abort()
    assert b"s3cret-canary" not in command_line
    assert b"--dbname=no_such_database" in command_line
    assert b"PGPASSWORD=s3cret-canary" in environment


@postgres_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_backup_create_without_pg_dump_says_so_in_one_line(platform, tmp_path):
    """The real command, with no pg_dump to be found: exit status 2, one line, nothing made."""
    empty = tmp_path / "no-tools"
    empty.mkdir()
    settings = platform.settings
    env = {
        **os.environ,
        "PATH": str(empty),
        pgtools.BIN_DIR_ENV: str(empty),
        "COLUMNS": "400",  # a wide terminal: rich would wrap the one line at 80
        "KLAREMONT_ENVIRONMENT": "test",
        "KLAREMONT_VAR_DIR": str(settings.var_dir),
        "KLAREMONT_DATABASE_URL": settings.database_url,
        "KLAREMONT_KEYSTORE_URL": settings.keystore_url,
    }
    klaremont = Path(sys.executable).parent / "klaremont"
    done = subprocess.run(  # noqa: S603 - our own command
        [str(klaremont), "backup", "create"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "pg_dump not found" in lines[0]
    assert "Traceback" not in done.stderr
    assert not list((settings.var_dir / "backups").glob("*.kbak"))


@postgres_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_a_restore_while_others_are_connected_changes_nothing(platform):
    """Another session on the live database: refused before the swap, the fresh databases
    are dropped, and the live data is as it was."""
    seed_person(platform, "first")
    path, _ = service.create(platform)
    later = seed_person(platform, "later")
    other = create_engine(platform.engine.url)
    try:
        with other.connect() as held:
            held.execute(text("SELECT 1"))
            before = sorted(service.backup_dir(platform).iterdir())
            with pytest.raises(DatabaseBusy, match="stop the web processes") as busy:
                service.restore(platform, path)
            assert "nothing was changed" in busy.value.detail
            assert sorted(service.backup_dir(platform).iterdir()) == before  # no pre-restore
    finally:
        other.dispose()
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, later.customer_id) is not None
    with platform.engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_database WHERE datname LIKE :p"),
            {"p": f"{platform.engine.url.database}_restore_%"},
        ).scalar_one()
    assert left == 0


@postgres_only
@pytest.mark.policy("IS-SENS-SAFE")
def test_a_failing_pg_dump_leaves_no_file_and_no_key(platform, tmp_path, monkeypatch):
    """pg_dump ends in error half way: one line with its message, no partial backup file,
    and the key made for that backup is destroyed again."""
    folder = tmp_path / "tools"
    folder.mkdir()
    fake = folder / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\n'
        "printf 'PGDMP partial output'\n"
        'echo "pg_dump: error: query failed: server closed the connection" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o700)
    monkeypatch.setenv(pgtools.BIN_DIR_ENV, str(folder))
    with pytest.raises(pgtools.ToolFailed, match="pg_dump failed: pg_dump: error: query failed"):
        service.create(platform)
    backups = service.backup_dir(platform)
    assert not list(backups.iterdir())
    assert not list(keys.key_dir(platform.settings).iterdir())
