"""audit: archived ranges, and the delete trigger that lets through only archived events

Revision ID: 20261206_1641_audit_archive
Revises: 20261206_1424_media_inventory, 20261206_1402_wifi
Create Date: 2026-12-06 16:41:45.311592
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from klaremont.audit.ddl import (
    append_only_ddl,
    archivable_ddl,
    drop_append_only_ddl,
    drop_archivable_ddl,
)

revision = "20261206_1641_audit_archive"
down_revision = ("20261206_1424_media_inventory", "20261206_1402_wifi")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The ranges table, then the triggers: events deletable only inside a recorded range."""
    op.create_table(
        "audit_archive_ranges",
        sa.Column(
            "lo",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("hi", sa.BigInteger(), nullable=False),
        sa.Column("segment", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("first_prev_hash", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("archived_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("lo", name=op.f("pk_audit_archive_ranges")),
    )
    dialect = op.get_bind().dialect.name
    for statement in [*drop_append_only_ddl(dialect), *archivable_ddl(dialect)]:
        op.execute(statement)


def downgrade() -> None:
    """Back to events that can never be deleted (refused while any range is recorded)."""
    dialect = op.get_bind().dialect.name
    for statement in [*drop_archivable_ddl(dialect), *append_only_ddl(dialect)]:
        op.execute(statement)
    op.drop_table("audit_archive_ranges")
