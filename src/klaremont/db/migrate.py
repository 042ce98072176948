"""Alembic, driven from code: upgrade a database and detect drift between models and migrations.

There are two migration targets because the keystore lives apart from the data store:
``data`` (every capability's tables) and ``keystore`` (wrapped data keys only).
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
from sqlalchemy import Engine, MetaData

from klaremont import capabilities
from klaremont.db.registry import load_all_models

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class MigrationTarget:
    """One database and the script directory that builds it."""

    name: str
    script_location: Path
    metadata_path: str  # "module:attribute" of the MetaData

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
    "data", PACKAGE_ROOT / "db" / "migrations", "klaremont.db.base:Base.metadata"
)
KEYSTORE = MigrationTarget(
    "keystore",
    PACKAGE_ROOT / "crypto" / "keystore_migrations",
    "klaremont.crypto.keystore_models:KeystoreBase.metadata",
)


def version_locations(target: MigrationTarget) -> list[Path]:
    """Where the target's revisions live: its own ``versions`` folder and, for the data
    store, each capability's ``migrations`` folder (named in its declaration), so
    capabilities added side by side keep their revisions apart."""
    locations = [target.script_location / "versions"]
    if target is DATA:
        locations.extend(capabilities.migration_dirs())
    return locations


def _config(target: MigrationTarget, engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(target.script_location))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in version_locations(target))
    )
    cfg.attributes["engine"] = engine
    cfg.attributes["target_metadata"] = target.metadata()
    return cfg


def upgrade(engine: Engine, target: MigrationTarget, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (every head: capabilities' branches included)."""
    command.upgrade(_config(target, engine), revision)


def revision(engine: Engine, target: MigrationTarget, message: str) -> None:
    """Autogenerate a new migration from the models (a developer command)."""
    command.revision(_config(target, engine), message=message, autogenerate=True)


def drift(engine: Engine, target: MigrationTarget) -> list[Any]:
    """Differences between the models and a database at head; empty when they agree."""
    metadata = target.metadata()
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


def run_env(context: EnvironmentContext | ModuleType) -> None:
    """Body of each script directory's ``env.py``."""
    cfg = context.config
    assert cfg is not None  # noqa: S101 - alembic always passes its config to env.py
    engine: Engine = cfg.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=cfg.attributes["target_metadata"],
            compare_type=True,
            render_item=_render_item,
            render_as_batch=engine.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
