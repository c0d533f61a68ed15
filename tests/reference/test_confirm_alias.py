"""Learning from review: a confirmed spelling becomes an alias of the user's country."""

import pytest
from sqlalchemy import select

from registry.errors import NotAllowed
from registry.extensions import db
from registry.reference.engine import identify
from registry.reference.models import Alias, Make
from registry.reference.service import confirm_alias, make_alias_global


def kalashnikov_id():
    return db.session.scalar(select(Make.id).where(Make.name == "Kalashnikov"))


def test_a_confirmed_spelling_is_found_exactly_next_time_in_that_country(starter, world):
    before = identify("Mikhtim", "", country="ML")
    assert before.make is None
    alias = confirm_alias(world["ML"].user("officer"), "make", "Mikhtim", kalashnikov_id())
    db.session.commit()
    assert alias.country_code == "ML" and alias.origin == "review"
    after = identify("MIKHTIM", "", country="ML")
    assert (after.make, after.methods["make"], after.needs_review) == ("Kalashnikov", "alias", False)
    # Niger did not learn it.
    assert identify("Mikhtim", "", country="NE").make is None


def test_only_a_platform_admin_makes_an_alias_global(starter, world):
    with pytest.raises(NotAllowed):
        confirm_alias(world["ML"].user("officer"), "make", "Mikhtim", kalashnikov_id(), make_global=True)
    with pytest.raises(NotAllowed):
        confirm_alias(world["ML"].user("viewer"), "make", "Mikhtim", kalashnikov_id())
    learnt = confirm_alias(world["ML"].user("officer"), "make", "Mikhtim", kalashnikov_id())
    make_alias_global(world["ML"].user("platform_admin"), learnt)
    db.session.commit()
    assert db.session.scalar(select(Alias.country_code).where(Alias.normalized == "mikhtim")) is None
    assert identify("Mikhtim", "", country="NE").make == "Kalashnikov"


def test_confirming_twice_adds_one_alias(starter, world):
    officer = world["ML"].user("officer")
    confirm_alias(officer, "make", "Mikhtim", kalashnikov_id())
    confirm_alias(officer, "make", "mikhtim", kalashnikov_id())
    assert len(db.session.scalars(select(Alias).where(Alias.normalized == "mikhtim")).all()) == 1
