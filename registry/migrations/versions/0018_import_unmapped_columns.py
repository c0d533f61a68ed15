"""an import keeps the columns with data that no field takes, and which of them the user
chose to ignore

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unmapped_columns', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('unmapped_columns')
