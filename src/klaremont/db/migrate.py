"""Alembic, driven from code: upgrade a database and detect drift between models and migrations.

There are two migration targets because the keystore lives apart from the data store:
``data`` (every capability's tables) and ``keystore`` (wrapped data keys only).

The initial revisions are frozen; every later change is its own dated revision
(``scripts/new-migration``). A capability may keep its revisions in its own folder,
``klaremont/<capability>/migrations/``: capabilities added side by side then never edit
the same folder, and two revisions on one parent are simply two heads, all applied.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData

from klaremont import capabilities
from klaremont.db.registry import load_all_models
from klaremont.errors import KlaremontError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class MigrationTarget:
    """One database and the script directory that builds it."""

    name: str
    script_location: Path
    metadata_path: str  # "module:attribute" of the MetaData
    capability_revisions: bool = False  # also read each capability's migrations/ folder

    @property
    def versions(self) -> Path:
        """The folder of the target's own revisions."""
        return self.script_location / "versions"

    def version_locations(self) -> list[Path]:
        """Every folder Alembic reads revisions from for this target."""
        extra = capability_migration_dirs() if self.capability_revisions else []
        return [self.versions, *extra]

    def metadata(self) -> MetaData:
        """Import the models and return their MetaData."""
        load_all_models()
        module_name, attr_path = self.metadata_path.split(":")
        metadata: object = importlib.import_module(module_name)
        for attr in attr_path.split("."):
            metadata = getattr(metadata, attr)
        if not isinstance(metadata, MetaData):
            msg = f"{self.metadata_path} is not a MetaData"
            raise TypeError(msg)
        return metadata


DATA = MigrationTarget(
    "data",
    PACKAGE_ROOT / "db" / "migrations",
    "klaremont.db.base:Base.metadata",
    capability_revisions=True,
)
KEYSTORE = MigrationTarget(
    "keystore",
    PACKAGE_ROOT / "crypto" / "keystore_migrations",
    "klaremont.crypto.keystore_models:KeystoreBase.metadata",
)


class MigrationFailed(KlaremontError):
    """The database could not be upgraded; nothing of the upgrade was committed."""

    code = "migration-failed"
    title = "Migration failed"


def capability_migration_dirs() -> list[Path]:
    """Every capability's own revisions folder, as its declaration names it
    (``migrations="migrations"``: ``klaremont/<capability>/migrations/``), in name order."""
    return sorted(path for path in capabilities.migration_dirs() if path.is_dir())


def _scripts_config(target: MigrationTarget) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(target.script_location))
    cfg.set_main_option("path_separator", "os")  # os.pathsep: paths may hold spaces
    locations = os.pathsep.join(str(path) for path in target.version_locations())
    cfg.set_main_option("version_locations", locations.replace("%", "%%"))
    return cfg


def _config(target: MigrationTarget, engine: Engine, metadata: MetaData | None = None) -> Config:
    cfg = _scripts_config(target)
    cfg.attributes["engine"] = engine
    cfg.attributes["target_metadata"] = metadata if metadata is not None else target.metadata()
    return cfg


def script_directory(target: MigrationTarget) -> ScriptDirectory:
    """The target's revisions from every version location (no database needed)."""
    return ScriptDirectory.from_config(_scripts_config(target))


def upgrade(engine: Engine, target: MigrationTarget, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (every head by default: capabilities may branch).

    Alembic's refusals (a database at a revision this code does not have, say) become
    :class:`MigrationFailed` with Alembic's reason. A database already at every head is
    left alone: nothing runs, so nothing needs the whole-file foreign-key check that
    follows a migration (on a large SQLite store it read every row at every start).
    """
    if revision == "heads":
        heads = set(script_directory(target).get_heads())
        if heads and set(current_revisions(engine)) == heads:
            return
    try:
        command.upgrade(_config(target, engine), revision)
    except CommandError as error:
        msg = f"the {target.name} migrations cannot be applied: {error}"
        raise MigrationFailed(msg) from error


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at (one per head), sorted."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
        connection.rollback()
    return tuple(sorted(heads))


def drift(engine: Engine, target: MigrationTarget, metadata: MetaData | None = None) -> list[Any]:
    """Differences between ``metadata`` (default: the models) and a database at its heads;
    empty when they agree.
    """
    metadata = metadata if metadata is not None else target.metadata()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, metadata))


def _render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our portable types as plain SQLAlchemy types in migration scripts."""
    from klaremont.db.base import UTCDateTime  # noqa: PLC0415 - avoids importing models early

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _foreign_key_problems(connection: Connection) -> list[str]:
    """SQLite: rows whose foreign keys point nowhere, one line per table."""
    found: dict[str, int] = {}
    for row in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        found[str(row[0])] = found.get(str(row[0]), 0) + 1
    return [f"{table}: {count} row(s)" for table, count in sorted(found.items())]


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    # A PRAGMA on foreign keys is ignored inside a transaction, so it goes straight to the
    # driver connection, which runs in autocommit between our transactions.
    driver = connection.connection.driver_connection
    if driver is not None:  # None only once the connection is closed
        driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_env(context: EnvironmentContext | ModuleType) -> None:
    """Body of each script directory's ``env.py``.

    All pending revisions run in one transaction, on SQLite too, so a failed upgrade leaves
    the database as it was. On SQLite most schema changes rebuild the table (copy, drop,
    rename); with foreign keys enforced, dropping a table that other rows refer to fails,
    so they are off while migrations run and checked as a whole before the commit: any
    row left referring to nothing rolls the upgrade back.
    """
    cfg = context.config
    assert cfg is not None  # noqa: S101 - alembic always passes its config to env.py
    engine: Engine = cfg.attributes["engine"]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=cfg.attributes["target_metadata"],
                compare_type=True,
                render_item=_render_item,
                render_as_batch=sqlite,
                transactional_ddl=True,  # SQLite too: every pending revision, or none
            )
            with context.begin_transaction():
                context.run_migrations()
                problems = _foreign_key_problems(connection) if sqlite else []
                if problems:
                    msg = "the migration would leave rows referring to nothing: " + "; ".join(
                        problems
                    )
                    raise MigrationFailed(msg)
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                _sqlite_foreign_keys(connection, on=True)
