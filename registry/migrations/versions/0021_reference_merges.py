"""a merge of makes keeps what it moved (models, aliases, records re-pointed), so that it
can be undone

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reference_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('kept_name', sa.String(length=120), nullable=False),
    sa.Column('duplicate_id', sa.Integer(), nullable=False),
    sa.Column('duplicate_name', sa.String(length=120), nullable=False),
    sa.Column('journal', sa.JSON(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', sa.DateTime(), nullable=False),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['merged_by_id'], ['user_account.id'],
                            name=op.f('fk_reference_merge_merged_by_id_user_account')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['user_account.id'],
                            name=op.f('fk_reference_merge_undone_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_merge'))
    )
    with op.batch_alter_table('reference_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_merge_kept_id'), ['kept_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reference_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_merge_kept_id'))
    op.drop_table('reference_merge')
