"""the statistics index holds the record's id too: PostgreSQL then reads the index alone
for the statistics (their counts and the coverage's checks name the id), as SQLite, whose
rowid every index holds

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 19:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

NOT_DELETED = "deleted_at IS NULL"
COLUMNS = [
    "country_code", sa.text("coalesce(event_date, date(created_at))"), "status", "agency_id", "model_id",
    "type_id", "calibre_id", "make_id", "manufacture_country_code", "import_row_id", "marking_year",
    "serial_key", "event_region", "latitude", "longitude", "event_date", "created_at",
]


def _create(columns):
    op.create_index("ix_weapon_statistics", "weapon", columns,
                    sqlite_where=sa.text(NOT_DELETED), postgresql_where=sa.text(NOT_DELETED))


def upgrade():
    op.drop_index("ix_weapon_statistics", table_name="weapon")
    _create(COLUMNS + ["id"])


def downgrade():
    op.drop_index("ix_weapon_statistics", table_name="weapon")
    _create(COLUMNS)
