"""a hit is met again on every later search or save: its meetings, how many and the
last; a search hit stays single per wanted record and searching agency

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 03:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weapon_hit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('times_met', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_met_at', sa.DateTime(), nullable=True))
        batch_op.create_index('uq_weapon_hit_search', ['hit_weapon_id', 'searcher_agency_id'], unique=True,
                              sqlite_where=sa.text('source_weapon_id IS NULL'),
                              postgresql_where=sa.text('source_weapon_id IS NULL'))
    op.execute("UPDATE weapon_hit SET last_met_at = created_at")

    op.create_table('weapon_hit_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hit_id', sa.Integer(), nullable=False),
    sa.Column('met_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('way', sa.Enum('search', 'form', 'import', 'api', name='hitway', native_enum=False,
                             length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['hit_id'], ['weapon_hit.id'], name=op.f('fk_weapon_hit_meeting_hit_id_weapon_hit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_weapon_hit_meeting_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weapon_hit_meeting'))
    )
    with op.batch_alter_table('weapon_hit_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weapon_hit_meeting_hit_id'), ['hit_id'], unique=False)
    # The hits made before: their first meeting, read from the hit itself.
    op.execute("INSERT INTO weapon_hit_meeting (hit_id, met_at, user_id, way, details) "
               "SELECT id, created_at, searcher_user_id, "
               "CASE WHEN source_weapon_id IS NULL THEN 'search' ELSE 'form' END, NULL FROM weapon_hit")


def downgrade():
    with op.batch_alter_table('weapon_hit_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weapon_hit_meeting_hit_id'))
    op.drop_table('weapon_hit_meeting')
    with op.batch_alter_table('weapon_hit', schema=None) as batch_op:
        batch_op.drop_index('uq_weapon_hit_search', sqlite_where=sa.text('source_weapon_id IS NULL'),
                            postgresql_where=sa.text('source_weapon_id IS NULL'))
        batch_op.drop_column('last_met_at')
        batch_op.drop_column('times_met')
