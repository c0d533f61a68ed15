"""what sharing shows: photos the owner marks shareable, the agency's tracing contact

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weapon_photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shareable', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracing_contact', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('tracing_contact')
    with op.batch_alter_table('weapon_photo', schema=None) as batch_op:
        batch_op.drop_column('shareable')
