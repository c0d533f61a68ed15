"""a record's updated_by names who last changed it, and stays empty until then: a bulk
insert checks one foreign key less per record

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:40:00

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Any change sets updated_at past created_at: these records were never changed.
    op.execute("UPDATE weapon SET updated_by_id = NULL "
               "WHERE updated_by_id = created_by_id AND updated_at = created_at")


def downgrade():
    op.execute("UPDATE weapon SET updated_by_id = created_by_id WHERE updated_by_id IS NULL")
