"""import indexes: the unread indexes of persons (phone, taxpayer blind indexes) dropped; payables' declaration index partial (undeclared payables are not in it)

Every imported row wrote an entry into each of these: persons are never looked up by phone or
taxpayer blind index, and a payable is looked up by its declaration only once it has one.

Revision ID: 7c41d2e9b805
Revises: 7c2d9e4b1f60
Create Date: 2026-11-29 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c41d2e9b805'
down_revision: str | None = '7c2d9e4b1f60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DECLARED = sa.text('declaration_id IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_phone_index'))
        batch_op.drop_index(batch_op.f('ix_persons_taxpayer_index'))

    with op.batch_alter_table('payables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payables_declaration_id'))
        batch_op.create_index(
            batch_op.f('ix_payables_declaration_id'),
            ['declaration_id'],
            unique=False,
            postgresql_where=_DECLARED,
            sqlite_where=_DECLARED,
        )


def downgrade() -> None:
    with op.batch_alter_table('payables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payables_declaration_id'))
        batch_op.create_index(batch_op.f('ix_payables_declaration_id'), ['declaration_id'], unique=False)

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_taxpayer_index'), ['taxpayer_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_phone_index'), ['phone_index'], unique=False)
