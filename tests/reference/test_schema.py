"""The reference tables exist as the migrations build them, with their constraints."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.reference.models import Alias, Make

REFERENCE_TABLES = {
    "reference_make", "reference_model", "reference_calibre", "reference_weapon_type",
    "reference_alias", "reference_model_calibre", "reference_version",
}


def test_migrations_create_the_reference_tables(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert REFERENCE_TABLES <= tables
    columns = {column["name"] for column in sa.inspect(db.engine).get_columns("reference_alias")}
    assert {"alias", "normalized", "make_id", "model_id", "calibre_id", "type_id", "country_code"} <= columns


def test_an_alias_must_point_at_exactly_one_target(app):
    make = Make(code="MK-TEST", name="Test")
    db.session.add(make)
    db.session.flush()
    db.session.add(Alias(alias="x", normalized="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_makes_cannot_share_a_code(app):
    db.session.add_all([Make(code="MK-SAME", name="One"), Make(code="MK-SAME", name="Two")])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
