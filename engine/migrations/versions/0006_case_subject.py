"""case subject

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:53:25.429796
"""
from alembic import op
import sqlalchemy as sa
import engine.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_name', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('subject_pnr', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.String(length=1000), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('subject_pnr')
        batch_op.drop_column('subject_name')

