"""API tokens carry scopes (read, write, admin).

Tokens issued before scopes existed get ``read,write``: they keep working for scripts
that read and write, and can no longer make administrative requests (those need a
fresh ``admin`` token, see ``klaremont.staff.token_scopes``).

Revision ID: 2026_12_06_0450
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_06_0450"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the scopes column; existing tokens get read and write, never admin."""
    op.add_column(
        "staff_api_tokens",
        sa.Column("scopes", sa.String(length=32), nullable=False, server_default="read,write"),
    )


def downgrade() -> None:
    """Drop the scopes column."""
    with op.batch_alter_table("staff_api_tokens") as batch:
        batch.drop_column("scopes")
