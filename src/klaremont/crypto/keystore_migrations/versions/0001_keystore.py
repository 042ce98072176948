"""keystore: subject_keys, one row per version of each subject's wrapped data key

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kek_id", sa.String(length=64), nullable=True),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_reason", sa.String(length=64), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_subject_keys_version_positive")),
        sa.CheckConstraint(
            "(wrapped IS NULL) = (destroyed_at IS NOT NULL)",
            name=op.f("ck_subject_keys_wrapped_until_destroyed"),
        ),
        sa.CheckConstraint(
            "wrapped IS NULL OR kek_id IS NOT NULL",
            name=op.f("ck_subject_keys_wrapped_names_kek"),
        ),
        sa.PrimaryKeyConstraint("subject_id", "version", name=op.f("pk_subject_keys")),
    )
    op.create_index(op.f("ix_subject_keys_kek_id"), "subject_keys", ["kek_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_keys_kek_id"), table_name="subject_keys")
    op.drop_table("subject_keys")
