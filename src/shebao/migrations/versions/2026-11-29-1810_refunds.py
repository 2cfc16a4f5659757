"""refunds: one per duplicate payment (those already flagged get theirs); the sandboxes' refunds (Alipay, the bank)

Revision ID: 5b7e0f3c9a21
Revises: 021208bdf900
Create Date: 2026-11-29 18:10:00+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
import shebao.db


revision: str = '5b7e0f3c9a21'
down_revision: str | None = '021208bdf900'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    refunds = op.create_table('refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('tax_office_code', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('out_refund_no', sa.String(length=64), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=True),
    sa.Column('proposed_at', shebao.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_at', shebao.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('provider_refund_no', sa.String(length=64), nullable=True),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('send_attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', shebao.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refunded_at', shebao.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.ForeignKeyConstraint(['tax_office_code'], ['tax_offices.code'], name=op.f('fk_refunds_tax_office_code_tax_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('out_refund_no', name=op.f('uq_refunds_out_refund_no')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_refunds_payment_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_status_next_try_at'), ['status', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_tax_office_code_status_created_at'), ['tax_office_code', 'status', 'created_at'], unique=False)

    op.create_table('sandbox_alipay_refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('trade_id', sa.Uuid(), nullable=False),
    sa.Column('out_request_no', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=True),
    sa.Column('refunded_at', shebao.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trade_id'], ['sandbox_alipay_trades.id'], name=op.f('fk_sandbox_alipay_refunds_trade_id_sandbox_alipay_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_alipay_refunds')),
    sa.UniqueConstraint('trade_id', 'out_request_no', name=op.f('uq_sandbox_alipay_refunds_trade_id_out_request_no'))
    )

    with op.batch_alter_table('sandbox_bank_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_of', sa.String(length=64), nullable=True))

    # The payments flagged before refunds existed: each gets its refund, `pending` (or `succeeded` if an
    # operator already marked it refunded), so the console's list starts complete.
    connection = op.get_bind()
    flagged = connection.execute(sa.text(
        "SELECT p.id, p.method, p.amount_fen, p.refund_status, d.tax_office_code "
        "FROM payments p JOIN declarations d ON d.id = p.declaration_id "
        "WHERE p.duplicate = :yes AND p.refund_status IS NOT NULL"
    ), {"yes": True}).all()
    now = datetime.now(timezone.utc)
    rows = [
        {
            'id': uuid.uuid4(),
            'payment_id': payment_id if isinstance(payment_id, uuid.UUID) else uuid.UUID(str(payment_id)),
            'method': method,
            'tax_office_code': office,
            'amount_fen': amount,
            'origin': 'migrated',
            'status': 'succeeded' if status == 'refunded' else 'pending',
            'out_refund_no': 'RF' + uuid.uuid4().hex[:30],
            'send_attempts': 0,
            'created_at': now,
            'updated_at': now,
        }
        for payment_id, method, amount, status, office in flagged
    ]
    if rows:
        op.bulk_insert(refunds, rows)


def downgrade() -> None:
    with op.batch_alter_table('sandbox_bank_ledger', schema=None) as batch_op:
        batch_op.drop_column('refund_of')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_tax_office_code_status_created_at'))
        batch_op.drop_index(batch_op.f('ix_refunds_status_next_try_at'))

    op.drop_table('refunds')
    op.drop_table('sandbox_alipay_refunds')
