"""the statistics index and the dashboard's hold deleted_at, which their condition names:
SQLite reads every row for a column its index lacks, even one the partial index's
condition fixes; with it, both are read alone

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

NOT_DELETED = "deleted_at IS NULL"
STATISTICS = [
    "country_code", sa.text("coalesce(event_date, date(created_at))"), "status", "agency_id", "model_id",
    "type_id", "calibre_id", "make_id", "manufacture_country_code", "import_row_id", "marking_year",
    "serial_key", "event_region", "latitude", "longitude", "event_date", "created_at", "id",
]
DASHBOARD = ["country_code", "event_date", "status"]


def _recreate(statistics, dashboard):
    for name, columns in (("ix_weapon_statistics", statistics), ("ix_weapon_country_event_status", dashboard)):
        op.drop_index(name, table_name="weapon")
        op.create_index(name, "weapon", columns, sqlite_where=sa.text(NOT_DELETED),
                        postgresql_where=sa.text(NOT_DELETED))


def upgrade():
    _recreate(STATISTICS + ["deleted_at"], DASHBOARD + ["deleted_at"])


def downgrade():
    _recreate(STATISTICS, DASHBOARD)
