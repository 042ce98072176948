"""sanitised copies: the run record

Revision ID: 20261207_0900_sanitize_runs
Revises: 20261206_1744_disclosures
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from klaremont.db.base import UTCDateTime

revision = "20261207_0900_sanitize_runs"
down_revision = "20261206_1744_disclosures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanitize_runs",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanitize_runs")),
        sa.UniqueConstraint("reference", name=op.f("uq_sanitize_runs_reference")),
    )


def downgrade() -> None:
    op.drop_table("sanitize_runs")
