"""What an officer types on the record form, and what the form says back."""
import re

from sqlalchemy import func, select

from registry.extensions import db
from registry.weapons.models import Weapon
from registry.weapons.serials import SerialState
from tests.weapons.helpers import latest_weapon, record_through_form


def test_an_empty_serial_left_on_detect_is_asked_for_and_nothing_is_saved(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    count = db.session.scalar(select(func.count(Weapon.id)))
    response = record_through_form(officer, raw_serial="", serial_state="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tapez le numéro de série tel qu'il est frappé" in page
    assert db.session.scalar(select(func.count(Weapon.id))) == count


def test_a_weapon_without_serial_is_recorded_when_the_officer_says_so(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    response = record_through_form(officer, raw_serial="", serial_state="absent")
    assert response.status_code == 302
    weapon = latest_weapon()
    assert weapon.serial_state is SerialState.ABSENT and weapon.serial_key is None


def test_countries_are_offered_in_alphabetical_order_of_their_french_names(client, world, login_as):
    login_as(world["ML"].user("officer"))
    page = client.get("/weapons/new").get_data(as_text=True)
    # One list serves the form's three country fields.
    assert page.count('<datalist id="countries">') == 1 and page.count('list="countries"') == 3
    listed = page.split('<datalist id="countries">')[1].split("</datalist>")[0]
    names = re.findall(r'<option value="([^"]+ \([A-Z]{2}\))">', listed)
    assert names[0] == "Afghanistan (AF)"
    position = {name.rsplit(" (", 1)[1][:2]: index for index, name in enumerate(names)}
    assert position["EG"] < position["AE"] < position["ES"]  # Égypte, Émirats arabes unis, Espagne


def test_a_country_is_picked_from_the_list_or_typed_by_its_name_or_code(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    response = record_through_form(officer, raw_serial="CO-4455", manufacture_country_code="Russie",
                                   last_import_country_code="Côte d'Ivoire (CI)", event_country_code="ml")
    assert response.status_code == 302
    weapon = latest_weapon()
    assert (weapon.manufacture_country_code, weapon.last_import_country_code, weapon.event_country_code) == (
        "RU", "CI", "ML")
    record_through_form(officer, raw_serial="CO-4456", manufacture_country_code="URSS",
                        last_import_country_code="Ivory Coast")
    weapon = latest_weapon()
    assert (weapon.manufacture_country_code, weapon.last_import_country_code) == ("RU", "CI")
    record_through_form(officer, raw_serial="CO-4458", manufacture_country_code="Congo")
    assert latest_weapon().manufacture_country_code == "CG"  # its own name, not the DR Congo's short one
    # The edit form shows the country by its name in the reader's language.
    page = client.get(f"/weapons/{weapon.id}/edit").get_data(as_text=True)
    assert 'name="manufacture_country_code" type="text" value="Russie, Fédération de (RU)"' in page


def test_a_country_not_understood_is_refused_with_what_was_typed_kept(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    response = record_through_form(officer, raw_serial="CO-4457", manufacture_country_code="Atlantide",
                                   event_town="Gao")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "« Atlantide » n’est pas un pays de la liste" in page or "« Atlantide » n'est pas un pays" in page
    assert 'value="Atlantide"' in page and 'value="Gao"' in page


def test_a_form_with_every_field_wrong_shows_every_error_at_once_and_keeps_what_was_typed(
        world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    count = db.session.scalar(select(func.count(Weapon.id)))
    response = record_through_form(officer, status="", raw_serial="", serial_state="",
                                   manufacture_country_code="Atlantide", event_date="31/02/2024",
                                   latitude="douze", longitude="500", raw_make="Kalachnikov",
                                   event_town="Tombouctou")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Choisissez un statut", "Tapez le numéro de série", "« Atlantide » n’est pas un pays",
                    "« 31/02/2024 » n’est pas un jour du calendrier", "« douze » n’est pas un nombre",
                    "Hors limites"):
        assert message in page
    # Summarised at the top, each a link to its field; each message tied to its field.
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    for field in ("status", "raw_serial", "manufacture_country_code", "event_date", "latitude", "longitude"):
        assert f'href="#{field}"' in summary
        assert f'aria-describedby="{field}-help {field}-error"' in page or \
            f'aria-describedby="{field}-error"' in page
    for typed in ('value="Kalachnikov"', 'value="Tombouctou"', 'value="31/02/2024"', 'value="douze"'):
        assert typed in page
    assert db.session.scalar(select(func.count(Weapon.id))) == count


def test_a_french_decimal_comma_and_a_day_first_date_are_read(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    response = record_through_form(officer, raw_serial="GPS-1", latitude="12,6392", longitude="-8,0029",
                                   event_date="15/03/2024")
    assert response.status_code == 302
    weapon = latest_weapon()
    assert (weapon.latitude, weapon.longitude) == (12.6392, -8.0029)
    assert weapon.event_date.isoformat() == "2024-03-15"
    page = client.get(f"/weapons/{weapon.id}/edit").get_data(as_text=True)
    assert 'value="15/03/2024"' in page


def test_an_impossible_date_is_refused_never_saved_as_no_date(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    count = db.session.scalar(select(func.count(Weapon.id)))
    response = record_through_form(officer, raw_serial="DATE-1", event_date="2024-02-31")
    assert response.status_code == 400
    assert "« 2024-02-31 » n’est pas un jour du calendrier" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Weapon.id))) == count
