"""the scheduler's claim order (due_at, id) from one index

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('waiting_timers', schema=None) as batch_op:
        batch_op.create_index('ix_waiting_timers_due_at_id', ['due_at', 'id'], unique=False)
        batch_op.drop_index('ix_waiting_timers_due_at')


def downgrade() -> None:
    with op.batch_alter_table('waiting_timers', schema=None) as batch_op:
        batch_op.create_index('ix_waiting_timers_due_at', ['due_at'], unique=False)
        batch_op.drop_index('ix_waiting_timers_due_at_id')
