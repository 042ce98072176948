"""Incidents: mark a test of the response plan (an exercise, PCI DSS 12.10.2).

Revision ID: 20261206_1343_plan_exercise
Revises: 20261206_1202_evidence_reports
Create Date: 2026-12-06 13:43:02.883498
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_1343_plan_exercise"
down_revision = "20261206_1202_evidence_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exercise", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("exercise")
