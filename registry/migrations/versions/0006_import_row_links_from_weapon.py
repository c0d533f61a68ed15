"""import rows name their record through weapon.import_row_id; a record's creation is read
from the record, not from a history row

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Nothing is lost: weapon.import_row_id (unique) names every committed row.
    with op.batch_alter_table('import_row', schema=None) as batch_op:
        batch_op.drop_column('weapon_reference')
        batch_op.drop_column('weapon_id')
    # A "created" history row repeated the record's created_at and created_by.
    op.execute("DELETE FROM weapon_change WHERE field = 'record' AND new_value = 'created'")


def downgrade():
    with op.batch_alter_table('import_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weapon_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('weapon_reference', sa.String(length=32), nullable=True))
    op.execute("UPDATE import_row SET weapon_id = (SELECT weapon.id FROM weapon WHERE weapon.import_row_id = import_row.id), "
               "weapon_reference = (SELECT weapon.reference FROM weapon WHERE weapon.import_row_id = import_row.id)")
    op.execute("INSERT INTO weapon_change (weapon_id, user_id, changed_at, version, field, new_value) "
               "SELECT id, created_by_id, created_at, 1, 'record', 'created' FROM weapon")
