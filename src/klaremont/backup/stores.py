"""The two kinds of database a backup reads from and restores into: SQLite files, PostgreSQL.

Reading: SQLite's online backup API copies a live file consistently (to a private
temporary file that is streamed into the encrypted backup and removed); ``pg_dump``
(custom format) streams straight into it, so no plain dump of PostgreSQL touches disk.

Restoring never changes the live databases until every byte has been written and checked
elsewhere: a SQLite file is written beside the live one and swapped in with ``os.replace``;
PostgreSQL is restored by ``pg_restore --single-transaction`` into a fresh database per
live database, and the fresh ones take the live names in one transaction (``ALTER DATABASE
... RENAME``, which PostgreSQL allows in a transaction block): both databases change
together or neither does. The replaced databases are then dropped.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from klaremont.backup import pgtools
from klaremont.backup.archive import BackupInvalid
from klaremont.errors import Conflict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

PAGES_PER_STEP = 512
MAINTENANCE_DB = "postgres"
NAME_LIMIT = 63


class DatabaseBusy(Conflict):
    """Other sessions hold the databases a restore must replace."""

    code = "database-busy"
    title = "Database in use"


def backend(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return engine.dialect.name


def sqlite_file(engine: Engine) -> Path:
    """The file behind a SQLite engine."""
    url = make_url(str(engine.url))
    if not url.database or url.database == ":memory:":
        raise BackupInvalid("an in-memory database cannot be backed up")
    return Path(url.database)


def fsync_path(path: Path) -> None:
    """Flush a file or directory to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- reading
@contextlib.contextmanager
def sqlite_snapshot(engine: Engine, scratch_dir: Path) -> Iterator[IO[bytes]]:
    """A consistent copy of a live SQLite database, open for reading; removed afterwards."""
    copy = scratch_dir / f".snapshot-{secrets.token_hex(8)}.db"
    source = sqlite3.connect(sqlite_file(engine))
    target = sqlite3.connect(copy)
    try:
        copy.chmod(0o600)
        source.backup(target, pages=PAGES_PER_STEP)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        target.close()
        with copy.open("rb") as handle:
            yield handle
    finally:
        target.close()
        source.close()
        copy.unlink(missing_ok=True)


def pg_url(engine: Engine) -> URL:
    """The engine's URL with its password, for the tools' environment only."""
    return engine.url


def pg_dump(tool: pgtools.Tool, engine: Engine, sink: Callable[[IO[bytes]], None]) -> None:
    """Stream ``pg_dump``'s custom-format archive of ``engine``'s database into ``sink``."""
    pgtools.dump(tool, pg_url(engine), sink)


# ---------------------------------------------------------------------------- restoring
class SqliteTarget:
    """A SQLite database file being restored beside the live one."""

    def __init__(self, engine: Engine) -> None:
        """Open the staging file beside the live database file."""
        self.live = sqlite_file(engine)
        self.staging = self.live.with_name(f".{self.live.name}.restoring")
        self._handle: IO[bytes] | None = self.staging.open("wb")
        self.staging.chmod(0o600)

    def feed(self, data: bytes) -> None:
        """Write the next bytes."""
        assert self._handle is not None  # noqa: S101 - fed only while open
        self._handle.write(data)

    def finish(self) -> None:
        """Close, flush and check the staged file with SQLite's integrity check."""
        assert self._handle is not None  # noqa: S101 - finished once
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        connection = sqlite3.connect(f"file:{self.staging}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError:
            result = None
        finally:
            connection.close()
        if not result or result[0] != "ok":
            raise BackupInvalid(
                f"{self.live.name}: the restored copy fails SQLite's integrity check"
            )

    def abort(self) -> None:
        """Remove the staged file; the live one is untouched."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.staging.unlink(missing_ok=True)

    def swap(self) -> None:
        """Put the staged file in place of the live one (atomic rename)."""
        for suffix in ("-wal", "-shm"):
            self.live.with_name(self.live.name + suffix).unlink(missing_ok=True)
        self.staging.replace(self.live)
        fsync_path(self.live.parent)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _admin(url: URL) -> Engine:
    return create_engine(url.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT")


class PostgresTarget:
    """A fresh PostgreSQL database that ``pg_restore`` fills, to take a live one's name."""

    def __init__(self, tool: pgtools.Tool, engine: Engine) -> None:
        """Create the fresh database (owned as the live one) and start ``pg_restore``."""
        self.url = pg_url(engine)
        self.live = str(self.url.database)
        token = secrets.token_hex(4)
        self.fresh = f"{self.live[: NAME_LIMIT - 13]}_restore_{token}"
        self.old = f"{self.live[: NAME_LIMIT - 13]}_replaced_{token}"
        admin = _admin(self.url)
        try:
            with admin.connect() as conn:
                owner = conn.execute(
                    text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                    {"d": self.live},
                ).scalar_one()
                conn.execute(
                    text(
                        f"CREATE DATABASE {_quote(self.fresh)} OWNER {_quote(owner)}"
                        " TEMPLATE template0"
                    )
                )
        finally:
            admin.dispose()
        self.process: pgtools.Restore | None = None
        try:
            self.process = pgtools.Restore(tool, self.url, self.fresh)
        except BaseException:
            self.abort()
            raise

    def feed(self, data: bytes) -> None:
        """Pass the next archive bytes to ``pg_restore``."""
        assert self.process is not None  # noqa: S101 - started in __init__
        self.process.feed(data)

    def finish(self) -> None:
        """Wait for ``pg_restore``; its one transaction is committed in the fresh database."""
        assert self.process is not None  # noqa: S101 - started in __init__
        self.process.finish()
        self.process = None

    def abort(self) -> None:
        """Stop ``pg_restore`` and drop the fresh database; the live one is untouched."""
        if self.process is not None:
            self.process.abort()
            self.process = None
        admin = _admin(self.url)
        try:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(self.fresh)} WITH (FORCE)"))
        finally:
            admin.dispose()


def swap_postgres(targets: list[PostgresTarget]) -> None:
    """Give the fresh databases the live names, then drop the replaced ones.

    Databases on one server change names in one transaction; a keystore on another server
    is swapped in its own, right after (checked for other sessions first, like the rest).
    """
    servers: dict[str, list[PostgresTarget]] = {}
    for target in targets:
        server = target.url.set(database=MAINTENANCE_DB).render_as_string(hide_password=True)
        servers.setdefault(server, []).append(target)
    refuse_if_busy([target.url for target in targets])
    for group in servers.values():
        _rename(group)
    for target in targets:
        admin = _admin(target.url)
        try:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(target.old)} WITH (FORCE)"))
        finally:
            admin.dispose()


def refuse_if_busy(urls: list[URL]) -> None:
    """Refuse, in one line, when any other session is connected to one of these databases."""
    busy: list[tuple[str, int]] = []
    for url in urls:
        admin = _admin(url)
        try:
            with admin.connect() as conn:
                count = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name"
                        " AND pid <> pg_backend_pid()"
                    ),
                    {"name": url.database},
                ).scalar_one()
        finally:
            admin.dispose()
        if count:
            busy.append((str(url.database), int(count)))
    if busy:
        in_use = ", ".join(f"{name} ({count})" for name, count in busy)
        raise DatabaseBusy(
            f"other sessions are connected to {in_use}: stop the web processes "
            "and workers, then restore again (nothing was changed)"
        )


def _rename(group: list[PostgresTarget]) -> None:
    admin = create_engine(group[0].url.set(database=MAINTENANCE_DB))
    try:
        with admin.begin() as conn:
            for target in group:
                conn.execute(
                    text(f"ALTER DATABASE {_quote(target.live)} RENAME TO {_quote(target.old)}")
                )
                conn.execute(
                    text(f"ALTER DATABASE {_quote(target.fresh)} RENAME TO {_quote(target.live)}")
                )
    finally:
        admin.dispose()


def is_sqlite_file(head: bytes) -> bool:
    """True when the bytes start like a SQLite database (a format 1 backup)."""
    return head.startswith(b"SQLite format 3\x00")


Target = SqliteTarget | PostgresTarget
