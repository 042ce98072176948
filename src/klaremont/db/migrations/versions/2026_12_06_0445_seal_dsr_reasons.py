"""Seal the refusal and extension reasons of data subject requests.

A reason is free text about a person (staff have pasted card numbers and health details
into it), so it is sealed under the person's data key like the request's other free text
and goes with it at crypto-shredding. The plaintext columns are dropped and replaced by
ciphertext columns of the same names. Reasons already stored in clear are not carried
over: a migration has no data keys to seal them with, and keeping them would keep the
defect; the request's audit trail still records that a reason was given
(``reason_recorded``), and the decision and its date stay on the request.

Revision ID: 2026_12_06_0445
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_06_0445"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("extension_reason", "refusal_reason")


def upgrade() -> None:
    """Replace the plaintext reason columns with ciphertext columns."""
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.add_column(sa.Column(column, sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Back to plaintext columns (sealed reasons are not carried back)."""
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table("dsr_requests", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.add_column(sa.Column(column, sa.String(length=500), nullable=True))
