"""weapon types have an Arabic name, for Arabic readers

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# The starter table's types (registry/reference/data/starter_types.tsv), named in Arabic.
ARABIC_NAMES = {'Assault rifle': 'بندقية هجومية', 'Rifle': 'بندقية', 'Sniper rifle': 'بندقية قنص', 'Pistol': 'مسدس', 'Revolver': 'مسدس دوّار', 'Shotgun': 'بندقية خرطوش', 'Submachine gun': 'رشاش قصير', 'Machine gun': 'رشاش', 'Rocket launcher': 'قاذفة صواريخ', 'Grenade launcher': 'قاذفة قنابل', 'Craft weapon': 'سلاح تقليدي الصنع', 'Alarm pistol (blank-firing)': 'مسدس إنذار (طلقات صوتية)'}


def upgrade():
    with op.batch_alter_table('reference_weapon_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ar', sa.String(length=120), nullable=True))
    weapon_type = sa.table('reference_weapon_type', sa.column('name_en', sa.String), sa.column('name_ar', sa.String))
    for english, arabic in ARABIC_NAMES.items():
        op.execute(weapon_type.update().where(weapon_type.c.name_en == english).values(name_ar=arabic))


def downgrade():
    with op.batch_alter_table('reference_weapon_type', schema=None) as batch_op:
        batch_op.drop_column('name_ar')
