"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:21:23.308818
"""
from alembic import op
import sqlalchemy as sa
import engine.db
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('main_file', sa.String(length=300), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('deployed_by', sa.String(length=200), nullable=False),
    sa.Column('deployed_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('process_key', 'version', name='uq_deployments_key_version')
    )
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.create_index('ix_deployments_key_version', ['process_key', 'version'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('serializer_version', sa.String(length=50), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('failure', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', engine.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_cases_business_key', ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_cases_process_status', ['process_key', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_case_at', ['case_id', 'at'], unique=False)
        batch_op.create_index('ix_events_task_id', ['task_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', engine.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('open_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('lane', sa.String(length=200), nullable=True),
    sa.Column('group', sa.String(length=200), nullable=True),
    sa.Column('assignee', sa.String(length=200), nullable=True),
    sa.Column('due_at', engine.db.UTCDateTime(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('form_key', sa.String(length=200), nullable=True),
    sa.Column('draft', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('documentation', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_open_tasks_assignee_due', ['assignee', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_open_tasks_group_due', ['group', 'due_at'], unique=False)

    op.create_table('waiting_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('correlation_key', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('waiting_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_waiting_messages_name_key', ['name', 'correlation_key'], unique=False)

    op.create_table('waiting_timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('due_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('waiting_timers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_timers_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_waiting_timers_due_at', ['due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('waiting_timers', schema=None) as batch_op:
        batch_op.drop_index('ix_waiting_timers_due_at')
        batch_op.drop_index(batch_op.f('ix_waiting_timers_case_id'))

    op.drop_table('waiting_timers')
    with op.batch_alter_table('waiting_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_waiting_messages_name_key')
        batch_op.drop_index(batch_op.f('ix_waiting_messages_case_id'))

    op.drop_table('waiting_messages')
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_open_tasks_group_due')
        batch_op.drop_index(batch_op.f('ix_open_tasks_case_id'))
        batch_op.drop_index('ix_open_tasks_assignee_due')

    op.drop_table('open_tasks')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_status_next')

    op.drop_table('notifications')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_task_id')
        batch_op.drop_index('ix_events_case_at')

    op.drop_table('events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_volunteer_id'))
        batch_op.drop_index('ix_cases_process_status')
        batch_op.drop_index(batch_op.f('ix_cases_client_id'))
        batch_op.drop_index('ix_cases_business_key')
        batch_op.drop_index(batch_op.f('ix_cases_assignment_id'))

    op.drop_table('cases')
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index('ix_deployments_key_version')

    op.drop_table('deployments')
