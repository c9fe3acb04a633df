"""simulated clock

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:30:46.663373
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clock_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('simulated_now', engine.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('clock_state')
