"""inbox due-date order from one index: open_tasks.due_sort

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_sort', engine.db.UTCDateTime(), nullable=True))
    # Undated tasks sort last (engine.models.tasks.NO_DUE_DATE).
    op.execute("UPDATE open_tasks SET due_sort = COALESCE(due_at, '9999-12-31 00:00:00.000000')")
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.alter_column('due_sort', existing_type=engine.db.UTCDateTime(), nullable=False)
        batch_op.drop_index('ix_open_tasks_group_due')
        batch_op.drop_index('ix_open_tasks_assignee_due')
        batch_op.create_index('ix_open_tasks_group_due_sort', ['group', 'due_sort', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_open_tasks_assignee_due_sort', ['assignee', 'due_sort', 'created_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_open_tasks_assignee_due_sort')
        batch_op.drop_index('ix_open_tasks_group_due_sort')
        batch_op.create_index('ix_open_tasks_assignee_due', ['assignee', 'due_at'], unique=False)
        batch_op.create_index('ix_open_tasks_group_due', ['group', 'due_at'], unique=False)
        batch_op.drop_column('due_sort')
