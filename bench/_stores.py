"""Benchmark stores: a seeded template per backend, copied fresh for every measured run.

SQLite: a var directory (data store, keystore and key files) copied with ``copytree``.
PostgreSQL: ``CREATE DATABASE ... TEMPLATE`` for the data store and the keystore, the var
directory (key files) copied beside. Empty PostgreSQL databases for copies come from
:meth:`PostgresBackend.empty`. Shared by the retention and sanitiser benchmarks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from klaremont.config import Environment, Settings

PG_ADMIN_URL = os.environ.get(
    "KLAREMONT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def settings_for(var: Path, database_url: str, keystore_url: str) -> Settings:
    """Test settings of a platform on one store."""
    return Settings(environment=Environment.TEST, var_dir=var,
                    database_url=database_url, keystore_url=keystore_url)  # fmt: skip


def psycopg_url(url: str) -> str:
    """A ``postgresql://`` URL for SQLAlchemy's psycopg (3) driver."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@dataclass
class Copy:
    """One measured run's store: a var directory and the two database URLs."""

    var: Path
    database_url: str
    keystore_url: str


class Backend:
    """Where the template lives and how a fresh copy of it is made."""

    name = ""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        self.runs = 0

    def template(self) -> Copy:
        raise NotImplementedError

    def seal_template(self) -> None:
        """Settle the seeded template before it is copied."""

    def copy(self) -> Copy:
        raise NotImplementedError

    def drop(self, copy: Copy) -> None:
        shutil.rmtree(copy.var, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class SqliteBackend(Backend):
    name = "sqlite"

    def template(self) -> Copy:
        var = self.root / "template"
        return Copy(var, f"sqlite:///{var / 'klaremont.db'}", f"sqlite:///{var / 'keystore.db'}")

    def copy(self) -> Copy:
        self.runs += 1
        var = self.root / f"run-{self.runs}"
        shutil.copytree(self.root / "template", var)
        return Copy(var, f"sqlite:///{var / 'klaremont.db'}", f"sqlite:///{var / 'keystore.db'}")


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, root: Path, prefix: str) -> None:
        super().__init__(root, prefix)
        self.admin = create_engine(psycopg_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
        self.names: list[str] = []
        self.empties = 0

    def url(self, name: str) -> str:
        """The URL of database ``name`` on the bench server."""
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def sql(self, *statements: str) -> None:
        """Run statements on the server's admin connection (autocommit)."""
        with self.admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def template(self) -> Copy:
        data, keys = f"{self.prefix}_tmpl", f"{self.prefix}_tmpl_ks"
        for name in (data, keys):
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
            self.names.append(name)
        return Copy(self.root / "template", self.url(data), self.url(keys))

    def seal_template(self) -> None:
        for name in (f"{self.prefix}_tmpl", f"{self.prefix}_tmpl_ks"):
            engine = create_engine(psycopg_url(self.url(name)), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("VACUUM (FREEZE, ANALYZE)"))
            engine.dispose()

    def copy(self) -> Copy:
        self.runs += 1
        made = []
        for suffix in ("", "_ks"):
            name = f"{self.prefix}_r{self.runs}{suffix}"
            self.sql(
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}" TEMPLATE "{self.prefix}_tmpl{suffix}" '
                "STRATEGY FILE_COPY",
            )
            made.append(self.url(name))
        self.sql("CHECKPOINT")  # the copy's writes land before the clock starts, not in it
        var = self.root / f"run-{self.runs}"
        shutil.copytree(self.root / "template", var)
        return Copy(var, made[0], made[1])

    def empty(self) -> str:
        """A new, empty database (dropped on :meth:`close`); its URL."""
        self.empties += 1
        name = f"{self.prefix}_e{self.empties}"
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return self.url(name)

    def drop_url(self, url: str) -> None:
        """Drop the database at ``url`` now."""
        self.sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def drop(self, copy: Copy) -> None:
        super().drop(copy)
        for url in (copy.database_url, copy.keystore_url):
            self.drop_url(url)

    def close(self) -> None:
        for name in self.names:
            self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()
        super().close()


def pg_available() -> bool:
    """True when the PostgreSQL server answers."""
    try:
        engine = create_engine(psycopg_url(PG_ADMIN_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


@contextmanager
def backend_for(name: str, root: Path, prefix: str) -> Iterator[Backend]:
    """The backend called ``name`` under ``root``, closed (databases dropped) afterwards."""
    made: Backend = (
        SqliteBackend(root, prefix) if name == "sqlite" else PostgresBackend(root, prefix)
    )
    try:
        yield made
    finally:
        made.close()
