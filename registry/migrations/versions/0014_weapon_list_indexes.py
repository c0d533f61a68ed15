"""the list of records newest first (and by reference) is read page by page from an
index on its sort and the id, whatever the registry's size; its count reads an index of the
sharing condition's columns

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 03:00:00

"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_weapon_created_id", "weapon", ["created_at", "id"])
    op.create_index("ix_weapon_reference_id", "weapon", ["reference", "id"])
    op.create_index("ix_weapon_visibility", "weapon", ["country_code", "sharing", "agency_id", "deleted_at"])


def downgrade():
    op.drop_index("ix_weapon_visibility", table_name="weapon")
    op.drop_index("ix_weapon_reference_id", table_name="weapon")
    op.drop_index("ix_weapon_created_id", table_name="weapon")
