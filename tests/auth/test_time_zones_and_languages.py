"""Times in the reader's state's time zone, one date format per language, and the codes
a user may get wrong (a time zone or a language that does not exist)."""

from datetime import UTC, datetime

import pytest

from registry.auth.models import Country
from registry.extensions import db
from registry.weapons import service as weapons


@pytest.fixture
def mali_time_zone(app):
    """Countries outlive a test: Mali gets its own time zone back after it."""
    yield
    db.session.rollback()
    db.session.get(Country, "ML").time_zone = "Africa/Bamako"
    db.session.commit()


def test_each_state_starts_with_its_principal_time_zone(app):
    assert db.session.get(Country, "ML").time_zone == "Africa/Bamako"
    assert db.session.get(Country, "NE").time_zone == "Africa/Niamey"


def test_a_state_sets_its_time_zone_and_an_unknown_one_is_refused(app, world, mali_time_zone):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["registry", "time-zone", "--country", "ML", "--zone", "Africa/Tombouctou"])
    assert refused.exit_code != 0
    assert "n’est pas un fuseau horaire" in refused.output and "Africa/Bamako" in refused.output
    db.session.expire_all()
    assert db.session.get(Country, "ML").time_zone == "Africa/Bamako"
    done = runner.invoke(args=["registry", "time-zone", "--country", "ml", "--zone", "Asia/Kolkata"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert db.session.get(Country, "ML").time_zone == "Asia/Kolkata"


def test_times_are_shown_in_the_readers_time_zone_in_one_format(app, world, client, login_as,
                                                                mali_time_zone):
    db.session.get(Country, "ML").time_zone = "Asia/Kolkata"  # UTC+5:30: no rounding hides it
    db.session.commit()
    officer = world["ML"].user("officer")
    weapon = weapons.create_weapon(officer, status="seized", raw_serial="TZ-1", raw_make="Beretta")
    weapon.created_at = datetime(2026, 3, 15, 22, 10, tzinfo=UTC)
    db.session.commit()
    login_as(officer)
    page = client.get(f"/weapons/{weapon.id}?tab=history").get_data(as_text=True)
    assert "16/03/2026 03:40" in page  # 22:10 UTC is 03:40 the next day in Kolkata
    assert "2026-03-15" not in page


def test_an_unknown_language_code_is_refused_clearly(client, actions):
    token = actions.csrf_token("/login")
    response = client.post("/language", data={"language": "xx", "csrf_token": token, "next": "/login"})
    assert response.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert "« xx » n’est pas une langue du registre" in page


def test_the_platform_administrator_sets_a_states_time_zone_on_its_page(world, client, login_as,
                                                                         mali_time_zone):
    admin = login_as(world["ML"].user("platform_admin"))
    page = client.get("/admin/time-zones").get_data(as_text=True)
    assert "Africa/Bamako" in page and "Niger" in page
    refused = admin.post("/admin/time-zones", {"country": "ML", "time_zone": "Africa/Tombouctou"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "n’est pas un fuseau horaire" in text and 'value="Africa/Tombouctou"' in text
    db.session.expire_all()
    assert db.session.get(Country, "ML").time_zone == "Africa/Bamako"
    done = admin.post("/admin/time-zones", {"country": "ML", "time_zone": "Africa/Abidjan"},
                      follow_redirects=True)
    assert "Africa/Abidjan" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Country, "ML").time_zone == "Africa/Abidjan"
    admin.logout()
    login_as(world["ML"].user("agency_admin"))
    assert client.get("/admin/time-zones").status_code == 403
