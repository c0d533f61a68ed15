"""an import chooses the sharing of the records it writes, and their status where the
sheet names none

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sharing', sa.Enum('national', 'partners', 'all', name='sharing',
                                                         native_enum=False, length=32),
                                      server_default='national', nullable=False))
        batch_op.add_column(sa.Column('default_status', sa.Enum(
            'seized', 'found', 'surrendered', 'lost', 'stolen', 'trafficked', 'destroyed', 'returned',
            name='weaponstatus', native_enum=False, length=32), server_default='seized', nullable=False))


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('default_status')
        batch_op.drop_column('sharing')
