"""Make audit_events append-only in the database itself (UPDATE, DELETE, TRUNCATE refused).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from klaremont.audit.ddl import append_only_ddl, drop_append_only_ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Install the append-only triggers for this dialect."""
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Remove the triggers."""
    for statement in drop_append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)
