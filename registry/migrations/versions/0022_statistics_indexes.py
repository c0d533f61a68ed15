"""the statistics and the map of a state over a period read one index holding every
column they count or filter by (the record's day as an expression: its event date, or
the day it was recorded); the dashboard's counts by status an index of the state, event
date and status; records not deleted only

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

NOT_DELETED = "deleted_at IS NULL"


def upgrade():
    op.create_index("ix_weapon_statistics", "weapon", [
        "country_code", sa.text("coalesce(event_date, date(created_at))"), "status", "agency_id", "model_id",
        "type_id", "calibre_id", "make_id", "manufacture_country_code", "import_row_id", "marking_year",
        "serial_key", "event_region", "latitude", "longitude", "event_date", "created_at",
    ], sqlite_where=sa.text(NOT_DELETED), postgresql_where=sa.text(NOT_DELETED))
    op.create_index("ix_weapon_country_event_status", "weapon", ["country_code", "event_date", "status"],
                    sqlite_where=sa.text(NOT_DELETED), postgresql_where=sa.text(NOT_DELETED))


def downgrade():
    op.drop_index("ix_weapon_country_event_status", table_name="weapon")
    op.drop_index("ix_weapon_statistics", table_name="weapon")
