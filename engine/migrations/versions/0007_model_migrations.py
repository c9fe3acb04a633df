"""model migrations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:10:13.634902
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('migration_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('from_deployment_id', sa.Integer(), nullable=False),
    sa.Column('to_deployment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', engine.db.UTCDateTime(), nullable=True),
    sa.Column('rolled_back_at', engine.db.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['from_deployment_id'], ['deployments.id'], ),
    sa.ForeignKeyConstraint(['to_deployment_id'], ['deployments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.create_index('ix_migration_runs_key', ['process_key'], unique=False)

    op.create_table('migration_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('previous_state', sa.Text(), nullable=True),
    sa.Column('previous_serializer_version', sa.String(length=50), nullable=True),
    sa.Column('lock_version_after', sa.Integer(), nullable=True),
    sa.Column('migrated_at', engine.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['migration_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('migration_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_migration_items_run_status', ['run_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('migration_items', schema=None) as batch_op:
        batch_op.drop_index('ix_migration_items_run_status')
        batch_op.drop_index(batch_op.f('ix_migration_items_case_id'))

    op.drop_table('migration_items')
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_migration_runs_key')

    op.drop_table('migration_runs')
