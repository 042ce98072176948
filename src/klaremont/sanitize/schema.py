"""The copy's schema, made by the platform's migrations in a process of its own.

SQLite table rebuilds in the migrations (alembic's batch mode) take a table's constraints
and indexes from sets, whose order changes from process to process: two copies would have
the same schema in different orders, and differ byte for byte. The child process puts them
in name order first, so the same source and run key give the same file. The URLs go
through the environment, never the command line (a PostgreSQL URL may hold a password).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Final

DATA_ENV: Final = "KLAREMONT_COPY_DATABASE_URL"
KEYSTORE_ENV: Final = "KLAREMONT_COPY_KEYSTORE_URL"


class SchemaFailed(Exception):
    """The copy's migrations did not complete."""


def make_schema(database_url: str, keystore_url: str) -> None:
    """Apply every migration to the copy's data store and keystore."""
    env = dict(os.environ)
    env.update({DATA_ENV: database_url, KEYSTORE_ENV: keystore_url})
    done = subprocess.run(
        [sys.executable, "-m", "klaremont.sanitize.schema"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"the copy's migrations failed: {last}"
        raise SchemaFailed(msg)


def _orderly_table_rebuilds() -> None:
    """SQLite table rebuilds (alembic's batch mode) gather a table's constraints and
    indexes from sets, in an order that changes from process to process; here they are
    put in name order, so a copy's schema text is the same every time."""
    from alembic.operations.batch import ApplyBatchImpl  # noqa: PLC0415 - the child's only

    grab = ApplyBatchImpl._grab_table_elements  # noqa: SLF001 - the one place the order is set

    def grab_in_order(self: Any) -> None:
        grab(self)
        self.named_constraints = dict(sorted(self.named_constraints.items()))
        self.indexes = dict(sorted(self.indexes.items()))
        self.unnamed_constraints.sort(key=lambda c: (type(c).__name__, str(list(c.columns))))

    ApplyBatchImpl._grab_table_elements = grab_in_order  # type: ignore[method-assign]  # noqa: SLF001 - as above


def main() -> None:
    """Child process: migrate the databases named in the environment."""
    from klaremont.db import migrate  # noqa: PLC0415 - the child's work only
    from klaremont.db.engine import make_engine  # noqa: PLC0415 - as above

    _orderly_table_rebuilds()

    targets = ((os.environ[KEYSTORE_ENV], migrate.KEYSTORE), (os.environ[DATA_ENV], migrate.DATA))
    for url, which in targets:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, which)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
