"""each state reads times in its own time zone (Africa/Bamako...)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('country') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('country') as batch:
        batch.drop_column('time_zone')
