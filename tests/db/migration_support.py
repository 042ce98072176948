"""Migration test helpers: databases at an old revision, revisions in temporary capability
folders, and models defined in a test (on a copy of the platform's metadata, so no other
test ever sees them)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    inspect,
    select,
)
from sqlalchemy import text as sql

from klaremont.db import migrate

WAVE_1 = "0002"  # the landed wave-1 schema: the frozen initial tables and the audit triggers


def repository_heads() -> tuple[str, ...]:
    """The heads of the revisions shipped in the package."""
    return tuple(sorted(migrate.script_directory(migrate.DATA).get_heads()))


def write_revision(
    folder: Path,
    revision: str,
    down_revision: Iterable[str],
    upgrade: str,
    downgrade: str = "pass",
) -> Path:
    """A dated revision file in ``folder``, as a capability would ship it."""
    folder.mkdir(parents=True, exist_ok=True)
    parents = tuple(sorted(down_revision))
    down = repr(parents[0]) if len(parents) == 1 else repr(parents)
    stem = f"{revision[:4]}_{revision[4:6]}_{revision[6:8]}_{revision[9:]}"
    path = folder / f"{stem}.py"
    path.write_text(
        f'"""{revision} (a test capability)."""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
        f"def downgrade() -> None:\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n"
    )
    return path


def platform_models() -> MetaData:
    """A copy of every capability's tables, for a test to add its own models to."""
    source = migrate.DATA.metadata()
    copy = MetaData(naming_convention=source.naming_convention)
    for table in source.sorted_tables:
        table.to_metadata(copy)
    return copy


def parcel_table(metadata: MetaData, name: str = "test_parcels") -> Table:
    """A test capability's table: one row per parcel, each belonging to a customer."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("customer_id", Uuid, ForeignKey("customers.id"), nullable=False, index=True),
        Column("label", String(80), nullable=False),
    )


def parcel_revision_body(name: str = "test_parcels") -> str:
    """The revision that creates :func:`parcel_table`."""
    return f"""
        op.create_table(
            {name!r},
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("customer_id", sa.Uuid(), nullable=False),
            sa.Column("label", sa.String(length=80), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"], ["customers.id"], name=op.f("fk_{name}_customer_id_customers")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_{name}")),
        )
        with op.batch_alter_table({name!r}) as batch_op:
            batch_op.create_index(batch_op.f("ix_{name}_customer_id"), ["customer_id"])
    """


def table_names(engine: Engine) -> set[str]:
    """The tables in the database."""
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def columns_of(engine: Engine) -> dict[str, list[str]]:
    """Each table's columns (the migration bookkeeping table left out)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        return {
            table: [column["name"] for column in inspector.get_columns(table)]
            for table in sorted(inspector.get_table_names())
            if table != "alembic_version"
        }


def rows_of(engine: Engine, columns: dict[str, list[str]]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of each named table (only the named columns), sorted: what must survive."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for table, names in columns.items():
            listed = ", ".join(f'"{name}"' for name in names)
            found = connection.execute(sql(f'SELECT {listed} FROM "{table}"'))
            rows[table] = sorted((tuple(row) for row in found), key=repr)
    return rows


def copy_rows(source: Engine, target: Engine) -> None:
    """Copy every row of the target's tables from ``source``, only the columns the target
    has (parents before children). Fills a database at an older schema with data made by
    the current code.
    """
    have, want = MetaData(), MetaData()
    have.reflect(source)
    want.reflect(target)
    with source.connect() as read, target.begin() as write:
        for table in want.sorted_tables:
            if table.name == "alembic_version":
                continue
            origin = have.tables[table.name]
            found = read.execute(select(*(origin.c[c.name] for c in table.columns)))
            rows = [dict(row) for row in found.mappings()]
            if rows:
                write.execute(table.insert(), rows)
