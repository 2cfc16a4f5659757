"""deductions: two indexes fewer (another covers each); every deduction row version wrote them

`status, bank_code` served only the batch-making query, which now finds planned items by their batch;
`setting_id, created_at` is covered by the unique `setting_id, payable_id, attempt` (a setting's
attempts are a handful, sorted after the look-up).

Revision ID: 7c2d9e4b1f60
Revises: 5b7e0f3c9a21
Create Date: 2026-11-29 21:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '7c2d9e4b1f60'
down_revision: str | None = '5b7e0f3c9a21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deductions_status_bank_code'))
        batch_op.drop_index(batch_op.f('ix_deductions_setting_id_created_at'))


def downgrade() -> None:
    with op.batch_alter_table('deductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deductions_setting_id_created_at'), ['setting_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deductions_status_bank_code'), ['status', 'bank_code'], unique=False)
