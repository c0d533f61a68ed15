"""What an officer types on the record form, and what the form says back."""

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
