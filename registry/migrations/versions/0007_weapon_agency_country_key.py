"""a record's agency and country are one foreign key to the agency: a record is of its
agency's state, and a bulk insert checks one key instead of two

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to change its constraints (batch mode): with its foreign keys
    enforced, dropping the old agency or weapon table would fail on the rows that refer to
    them. The pragma only takes effect outside a transaction."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _sqlite_check() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken after the upgrade: {broken[:5]}")


def upgrade():
    mismatched = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM weapon JOIN agency ON agency.id = weapon.agency_id "
        "WHERE agency.country_code <> weapon.country_code")).scalar()
    if mismatched:
        raise RuntimeError(f"{mismatched} records name a country other than their agency's: "
                           "correct them before this upgrade")
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_agency_id_country_code', ['id', 'country_code'])
    with op.batch_alter_table('weapon', schema=None) as batch_op:
        batch_op.drop_constraint('fk_weapon_country_code_country', type_='foreignkey')
        batch_op.drop_constraint('fk_weapon_agency_id_agency', type_='foreignkey')
        batch_op.create_foreign_key('fk_weapon_agency_id_agency', 'agency', ['agency_id', 'country_code'],
                                    ['id', 'country_code'])
    _sqlite_check()
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('weapon', schema=None) as batch_op:
        batch_op.drop_constraint('fk_weapon_agency_id_agency', type_='foreignkey')
        batch_op.create_foreign_key('fk_weapon_agency_id_agency', 'agency', ['agency_id'], ['id'])
        batch_op.create_foreign_key('fk_weapon_country_code_country', 'country', ['country_code'], ['code'])
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_constraint('uq_agency_id_country_code', type_='unique')
    _sqlite_check()
    _sqlite_foreign_keys(True)
