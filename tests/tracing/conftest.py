"""Côte d'Ivoire joins the small world of the suite, and Mali holds an AK-pattern rifle
whose import marking points to it."""

import pytest

from registry.auth.models import AgencyKind, Country
from registry.auth.roles import Role
from registry.extensions import db
from tests.conftest import PASSWORD, Actions


@pytest.fixture
def ivory_coast(world):
    from registry.auth.service import create_agency, create_user

    agency = create_agency(None, code="CI-COMNAT", name="Commission CI",
                           country=db.session.get(Country, "CI"),
                           kind=AgencyKind.NATIONAL_COMMISSION, is_tracing_focal_point=True)
    users = {}
    for role in (Role.TRACING_OFFICER, Role.SUPERVISOR, Role.VIEWER):
        users[role.value] = create_user(None, email=f"{role.value}@ci.test", name=f"{role.value} CI",
                                        agency=agency, role=role, password=PASSWORD)
    db.session.commit()
    world.countries["CI"] = type(world["ML"])(agency, users)
    return world["CI"]


def make_rifle(officer, **fields):
    from registry.weapons.service import create_weapon

    values = dict(status="seized", raw_make="Kalashnikov", raw_model="AKM", raw_calibre="7.62x39",
                  raw_type="assault rifle", raw_serial="KA-1987-4421", marking_importer="CI ABJ 2009",
                  manufacture_country_code="RU", event_town="Gao", legal_ground="illicit possession")
    values.update(fields)
    weapon = create_weapon(officer, **values)
    db.session.commit()
    return weapon


@pytest.fixture
def rifle(world):
    return make_rifle(world["ML"].user("officer"))


ITI_CONTENT = dict(
    illicit_reason="Seized from an armed group, no permit.",
    legal_basis="Law 04-050 on arms and ammunition; ITI section IV.",
    recovery_circumstances="Seized at a checkpoint near Gao on 2026-02-14.",
    information_sought="Last legal holder and date of import.",
    intended_use="Criminal investigation.",
    confidentiality="Not to be disclosed outside the investigating services.",
)


@pytest.fixture
def browser(app):
    """browser(user): a new browser (its own cookies) logged in as that user."""

    def open_browser(user):
        actions = Actions(app.test_client())
        response = actions.login(user)
        assert response.status_code == 302
        return actions

    return open_browser
