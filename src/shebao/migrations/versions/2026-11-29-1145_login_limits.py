"""login limits: codes remember the asking address, locks with an end, captchas, browser-bound logins

Revision ID: 7c1e5a9d2b40
Revises: 5beb9cb638b1
Create Date: 2026-11-29 11:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import shebao.db
import shebao.kit.crypto


revision: str = '7c1e5a9d2b40'
down_revision: str | None = '5beb9cb638b1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_captchas',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('answer', shebao.kit.crypto.EncryptedText(), nullable=False),
    sa.Column('created_at', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', shebao.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_captchas'))
    )
    with op.batch_alter_table('login_captchas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_captchas_created_at'), ['created_at'], unique=False)

    op.create_table('rate_locks',
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('locked_until', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_locks'))
    )
    with op.batch_alter_table('login_verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser_hash', sa.String(length=64), nullable=True))

    with op.batch_alter_table('sms_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_index', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('foreign_attempts', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('sms_codes', schema=None) as batch_op:
        batch_op.drop_column('foreign_attempts')
        batch_op.drop_column('ip_index')

    with op.batch_alter_table('login_verifications', schema=None) as batch_op:
        batch_op.drop_column('browser_hash')

    op.drop_table('rate_locks')
    with op.batch_alter_table('login_captchas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_captchas_created_at'))

    op.drop_table('login_captchas')
