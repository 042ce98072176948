"""Timed staff lockout: failures of unknown names, the lock log and burst alerts.

Locks taken before locks were timed (no end time) get one: 30 minutes after they began,
the shortest lock the policy file allows, so they too end by themselves.

Revision ID: 2026_12_06_0440
Revises: 0002
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "2026_12_06_0440"
down_revision = "0002"
branch_labels = None
depends_on = None


LEGACY_LOCK = timedelta(minutes=30)


def upgrade() -> None:
    """Create the three tables; give untimed locks an end."""
    op.create_table(
        "staff_login_name_throttle",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_staff_login_name_throttle")),
        info={"rights": "ignore"},
    )
    op.create_table(
        "staff_lockouts",
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_lockouts_account_id_staff_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_lockouts")),
    )
    op.create_index(
        op.f("ix_staff_lockouts_locked_at"), "staff_lockouts", ["locked_at"], unique=False
    )
    op.create_table(
        "staff_lockout_alerts",
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_lockout_alerts")),
    )
    op.create_index(
        op.f("ix_staff_lockout_alerts_raised_at"),
        "staff_lockout_alerts",
        ["raised_at"],
        unique=False,
    )
    accounts = sa.table(
        "staff_accounts",
        sa.column("id", sa.Uuid()),
        sa.column("locked_at", sa.DateTime(timezone=True)),
        sa.column("lock_expires_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    untimed = bind.execute(
        sa.select(accounts.c.id, accounts.c.locked_at).where(
            accounts.c.locked_at.is_not(None), accounts.c.lock_expires_at.is_(None)
        )
    ).all()
    for account_id, locked_at in untimed:
        bind.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(lock_expires_at=locked_at + LEGACY_LOCK)
        )


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_staff_lockout_alerts_raised_at"), table_name="staff_lockout_alerts")
    op.drop_table("staff_lockout_alerts")
    op.drop_index(op.f("ix_staff_lockouts_locked_at"), table_name="staff_lockouts")
    op.drop_table("staff_lockouts")
    op.drop_table("staff_login_name_throttle")
