"""Where a sanitised copy is written, and how it is made fresh and whole or not at all.

The target is made fresh and whole or not at all. A SQLite copy is written to a
``.partial`` file (and its keys to a ``.partial`` folder) renamed into place only after
verification; a PostgreSQL target must be empty and is emptied again if the run fails or
is interrupted.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from klaremont.config import Environment, Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from klaremont.platform import Platform


NOT_A_URL: Final = "not a database URL: write sqlite:///FILE or postgresql://HOST/NAME"


class TargetRefused(Exception):
    """The target (or source) cannot be used: the option that named it, and why."""

    def __init__(self, option: str, rule: str) -> None:
        super().__init__(f"{option}: {rule}")
        self.option = option
        self.rule = rule


@dataclass(frozen=True)
class CopyPlace:
    """Where the copy and its own keys go, and where they are built first."""

    url: str
    keys_dir: Path
    partial_url: str
    partial_keys: Path

    @property
    def is_sqlite(self) -> bool:
        """A SQLite file target."""
        return self.url.startswith("sqlite")

    @property
    def file(self) -> Path | None:
        """The SQLite file, if the target is one."""
        return Path(make_url(self.url).database or "") if self.is_sqlite else None

    def settings(self, *, partial: bool = False) -> Settings:
        """Settings of a platform on the copy (the app starts with these)."""
        keys = self.partial_keys if partial else self.keys_dir
        return Settings(
            environment=Environment.DEVELOPMENT,
            var_dir=keys,
            database_url=self.partial_url if partial else self.url,
            keystore_url=f"sqlite:///{keys / 'keystore.db'}",
            key_file=keys / "kek.json",
        )


def check_source(url: str) -> None:
    """Refuse a source that is not a data store we can read (before anything is opened:
    SQLite would create a missing file, empty, and the copy would be of nothing)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise TargetRefused("--from", NOT_A_URL) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or not path.is_file():
            raise TargetRefused("--from", f"no SQLite file at {path}")
    elif backend != "postgresql":
        raise TargetRefused("--from", "only SQLite files and PostgreSQL databases are supported")


def place(url: str, keys_dir: Path | None) -> CopyPlace:
    """Where a copy to ``url`` is written; refuses a target that is not fresh."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise TargetRefused("--to", NOT_A_URL) from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise TargetRefused("--to", "a SQLite copy needs a file path")
        path = Path(parsed.database).resolve()
        keys = keys_dir or path.with_name(path.name + ".keys")
        for existing in (path, keys):
            if existing.exists():
                raise TargetRefused("--to", f"{existing} already exists; a copy is written fresh")
        partial = path.with_name(path.name + ".partial")
        for stale in (partial, keys.with_name(keys.name + ".partial")):
            remove(stale)
        return CopyPlace(
            f"sqlite:///{path}",
            keys,
            f"sqlite:///{partial}",
            keys.with_name(keys.name + ".partial"),
        )
    if parsed.get_backend_name() != "postgresql":
        raise TargetRefused("--to", "only SQLite files and PostgreSQL databases are supported")
    if keys_dir is None:
        raise TargetRefused("--keys-dir", "a PostgreSQL copy needs a folder for its own keys")
    if keys_dir.exists():
        raise TargetRefused("--keys-dir", f"{keys_dir} already exists; a copy is written fresh")
    return CopyPlace(url, keys_dir, url, keys_dir.with_name(keys_dir.name + ".partial"))


def remove(path: Path) -> None:
    """Delete a file or folder if present."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    for side in ("-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + side)
        if sibling.exists():
            sibling.unlink()


def refuse_non_empty(engine: Engine) -> None:
    """A PostgreSQL target must hold no tables."""
    names = inspect(engine).get_table_names()
    if names:
        raise TargetRefused("--to", f"the target database is not empty ({len(names)} tables)")


def discard(copy: CopyPlace, target: Platform | None) -> None:
    """Remove everything a failed or interrupted run wrote."""
    if target is not None:
        target.dispose()
    if copy.is_sqlite:
        remove(Path(make_url(copy.partial_url).database or ""))
    else:
        engine = target.engine if target is not None else None
        if engine is not None:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
    remove(copy.partial_keys)


#: the copy's page cache while it is written (KiB)
COPY_CACHE_KIB = 512 * 1024


def zero_freed_space(target: Platform) -> None:
    """SQLite: freed bytes zeroed on every connection of the copy (``secure_delete``), so
    nothing a migration wrote and removed lingers in free space and the same source and
    run key give the same file byte for byte. While it is written the copy is a
    ``.partial`` file deleted on any failure, so no sync is needed, and a large page cache
    keeps inserts of the new (random) ids from re-reading index pages. Foreign keys are
    not checked row by row while it is written (verification checks the whole file)."""
    if target.engine.dialect.name != "sqlite":
        return

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = ON")
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = OFF")
        dbapi_connection.execute(f"PRAGMA cache_size = -{COPY_CACHE_KIB}")
        dbapi_connection.execute("PRAGMA foreign_keys = OFF")

    event.listen(target.engine, "connect", on_connect)
    target.engine.dispose()


def settle(copy: CopyPlace, target: Platform) -> None:
    """Fold a SQLite copy's write-ahead log into its one file (what is scanned and shipped)."""
    if not copy.is_sqlite:
        return
    target.engine.dispose()
    conn = sqlite3.connect(make_url(copy.partial_url).database or "", isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def promote(copy: CopyPlace) -> None:
    """Move a verified SQLite copy and its keys into place."""
    if copy.is_sqlite and copy.file is not None:
        Path(make_url(copy.partial_url).database or "").rename(copy.file)
    copy.partial_keys.rename(copy.keys_dir)
