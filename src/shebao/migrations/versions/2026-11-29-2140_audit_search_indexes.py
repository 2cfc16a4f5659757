"""audit search indexes

Revision ID: 8d3c41a7e2b5
Revises: 7c41d2e9b805
Create Date: 2026-11-29 21:40:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '8d3c41a7e2b5'
down_revision: str | None = '7c41d2e9b805'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The console's audit search: each filter (none, operator, action, object type) with the keyset order.
INDEXES = (
    ('ix_audit_log_occurred_at_id', ['occurred_at', 'id']),
    ('ix_audit_log_actor_id_occurred_at_id', ['actor_id', 'occurred_at', 'id']),
    ('ix_audit_log_action_occurred_at_id', ['action', 'occurred_at', 'id']),
    ('ix_audit_log_object_type_occurred_at_id', ['object_type', 'occurred_at', 'id']),
)


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(batch_op.f(name), columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        for name, _ in reversed(INDEXES):
            batch_op.drop_index(batch_op.f(name))
