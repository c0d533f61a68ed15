"""Identification on weapon forms and records: names suggested as the user types (with and
without JavaScript), the identified entries beside the raw values, and a suggestion
confirmed on a record, which the engine then knows for that country only."""

import re

import pytest
from sqlalchemy import event, select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reference.cli import load_starter_table
from registry.reference.engine import forget_identifiers, identify
from registry.reference.models import Alias, Make, Model
from registry.reference.service import add_alias, confirm_alias
from registry.weapons.models import WeaponChange
from tests.weapons.helpers import latest_weapon, record_through_form


@pytest.fixture
def starter(app, world):
    """The starter reference table; Mali's users read English (the words asserted on)."""
    forget_identifiers()
    load_starter_table()
    for user in world["ML"].users.values():
        user.language = "en"
    db.session.commit()
    yield
    forget_identifiers()


def model_id(make: str, model: str) -> int:
    return db.session.scalar(select(Model.id).join(Make, Model.make_id == Make.id)
                             .where(Make.name == make, Model.name == model))


def confirm(actions, weapon_id: int, field: str, target_id: int):
    return actions.post(f"/weapons/{weapon_id}/identification", {"field": field, "target_id": str(target_id)},
                        token_from=f"/weapons/{weapon_id}")


# --- Suggested as the user types ---------------------------------------------------------


def test_the_form_offers_the_reference_names_and_usual_spellings_without_javascript(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    page = officer.client.get("/weapons/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="raw_make"[^>]*list="reference-makes"|<input[^>]*list="reference-makes"'
                     r'[^>]*id="raw_make"', page)
    for name in ("makes", "models", "calibres", "types"):
        assert f'<datalist id="reference-{name}">' in page
    makes = page.split('<datalist id="reference-makes">')[1].split("</datalist>")[0]
    assert '<option value="Kalashnikov">' in makes
    assert '<option value="Kalachnikov" label="Kalashnikov">' in makes
    models = page.split('<datalist id="reference-models">')[1].split("</datalist>")[0]
    assert '<option value="Type 56" label="Norinco">' in models
    # The script is a file of the site (CSP script-src 'self'), never inline.
    assert 'src="/static/weapons-identify.js"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_the_lists_follow_the_reference_table_and_leave_out_spellings_learnt_by_one_country(
        starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    kalashnikov = db.session.scalar(select(Make.id).where(Make.name == "Kalashnikov"))
    add_alias(world["ML"].user("platform_admin"), "make", kalashnikov, "Kalash Ijevsk")
    confirm_alias(world["ML"].user("officer"), "make", "Kalachnikovv", kalashnikov)
    db.session.commit()
    page = officer.client.get("/weapons/new").get_data(as_text=True)
    assert '<option value="Kalash Ijevsk" label="Kalashnikov">' in page
    assert "Kalachnikovv" not in page


def test_the_lists_are_built_once_per_reference_version(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    officer.client.get("/weapons/new")
    statements = []

    def collect(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", collect)
    try:
        page = officer.client.get("/weapons/new").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", collect)
    assert '<option value="Kalashnikov">' in page
    assert not [statement for statement in statements if "reference_alias" in statement]


def test_typing_asks_the_engine_for_the_cells_typed_so_far(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    answer = officer.client.get("/weapons/identify?make=norinco&model=type56").get_json()
    assert (answer["make"], answer["model"], answer["calibre"], answer["sure"]) == (
        "Norinco", "Type 56", "7.62x39mm", True)
    unsure = officer.client.get("/weapons/identify?make=Kalashnikov&model=AKX").get_json()
    assert unsure["model"] is None and unsure["sure"] is False
    assert "AKM" in [suggestion["value"] for suggestion in unsure["suggestions"]]
    assert officer.client.get("/weapons/identify").get_json()["sure"] is False


def test_typing_uses_the_spellings_learnt_by_the_users_country_only(starter, world, client, login_as):
    kalashnikov = db.session.scalar(select(Make.id).where(Make.name == "Kalashnikov"))
    confirm_alias(world["ML"].user("officer"), "make", "Mikhtim", kalashnikov)
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    assert client.get("/weapons/identify?make=mikhtim").get_json()["make"] == "Kalashnikov"
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/account").get_data(as_text=True)).group(1)})
    login_as(world["NE"].user("viewer"))
    assert client.get("/weapons/identify?make=mikhtim").get_json()["make"] is None


# --- On the record ------------------------------------------------------------------------


def test_the_record_shows_the_identified_entries_beside_what_was_typed(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    record_through_form(officer, raw_make="norinco", raw_model="type56", raw_calibre="7,62x39")
    weapon = latest_weapon()
    page = officer.client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    section = page.split('id="identification"')[1].split("</section>")[0]
    assert re.search(r"<td>norinco</td>\s*<td>Norinco", section)
    assert re.search(r"<td>type56</td>\s*<td>Type 56", section)
    assert re.search(r"<td>7,62x39</td>\s*<td>7.62x39mm", section)
    assert "100 %" in section and "Suggestions" not in section and "to check" not in section


def test_an_unsure_record_offers_the_suggestions_after_saving(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    response = record_through_form(officer, raw_make="Kalashnikov", raw_model="AKX")
    page = officer.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not identified for sure" in page
    section = page.split('id="identification"')[1].split("</section>")[0]
    assert "to check" in section and "<strong>AKM</strong> (Kalashnikov)" in section
    assert f'name="target_id" value="{model_id("Kalashnikov", "AKM")}"' in section


def test_confirming_a_suggestion_sets_the_record_and_teaches_the_spelling_to_the_country_only(
        starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    record_through_form(officer, raw_make="Kalashnikov", raw_model="AKX")
    weapon = latest_weapon()
    assert weapon.model_id is None
    version = weapon.version
    akm = model_id("Kalashnikov", "AKM")

    response = confirm(officer, weapon.id, "model", akm)
    assert response.status_code == 302
    weapon = latest_weapon()
    assert (weapon.model_id, weapon.identification_method) == (akm, "confirmed")
    assert weapon.identification_confidence["model"] == 1.0 and weapon.version == version + 1
    change = db.session.scalar(select(WeaponChange).where(WeaponChange.weapon_id == weapon.id,
                                                          WeaponChange.field == "model_id"))
    assert (change.old_value, change.new_value, change.user_id) == (None, "AKM", world["ML"].user("officer").id)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "weapon.identification_confirmed"))
    assert audit.object_id == str(weapon.id) and audit.details["raw"] == "AKX"
    alias = db.session.scalar(select(Alias).where(Alias.model_id == akm, Alias.normalized == "akx"))
    assert alias.country_code == "ML"

    learnt = identify("Kalashnikov", "AKX", country="ML")
    assert (learnt.model, learnt.methods["model"]) == ("AKM", "alias")
    assert identify("Kalashnikov", "AKX", country="NE").model is None

    page = officer.client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    section = page.split('id="identification"')[1].split("</section>")[0]
    assert re.search(r"<td>AKX</td>\s*<td>AKM", section) and "confirmed by a user" in section
    assert "to check" not in section


def test_a_close_guess_can_be_confirmed_as_it_is(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    record_through_form(officer, raw_make="Norinko", raw_model="Tipe 56")
    weapon = latest_weapon()
    type_56 = model_id("Norinco", "Type 56")
    assert weapon.model_id == type_56 and weapon.identification_confidence["model"] < 0.9
    page = officer.client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert "Right</button>" in page
    confirm(officer, weapon.id, "model", type_56)
    assert latest_weapon().identification_confidence["model"] == 1.0
    assert identify("", "tipe 56", country="ML").methods["model"] == "alias"


def test_a_viewer_sees_the_suggestions_but_cannot_confirm_them(starter, world, login_as):
    officer = world["ML"].user("officer")
    from registry.weapons.service import create_weapon

    weapon = create_weapon(officer, status="seized", raw_serial="VW-1", raw_make="Kalashnikov", raw_model="AKX")
    db.session.commit()
    viewer = login_as(world["ML"].user("viewer"))
    page = viewer.client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert "<strong>AKM</strong>" in page and "It is this one" not in page
    response = confirm(viewer, weapon.id, "model", model_id("Kalashnikov", "AKM"))
    assert response.status_code == 403
    assert latest_weapon().model_id is None
    assert db.session.scalar(select(Alias).where(Alias.normalized == "akx")) is None


def test_an_unknown_entry_is_refused_and_changes_nothing(starter, world, login_as):
    officer = login_as(world["ML"].user("officer"))
    record_through_form(officer, raw_make="Kalashnikov", raw_model="AKX")
    weapon = latest_weapon()
    response = confirm(officer, weapon.id, "model", 999999)
    page = officer.client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-error"' in page
    assert latest_weapon().model_id is None and latest_weapon().version == weapon.version


def test_the_list_shows_the_identified_make_and_model_with_the_typed_text_on_hover(
        client, world, login_as, starter):
    from datetime import date

    from registry.weapons import service

    officer = world["ML"].user("officer")
    make = db.session.scalar(select(Make).where(Make.name == "Norinco"))
    model = db.session.scalar(select(Model).where(Model.make_id == make.id, Model.name == "Type 56"))
    service.create_weapon(officer, status="seized", sharing="national", raw_make="norinco type56",
                          raw_model="", raw_serial="5601234", event_date=date(2025, 5, 1))
    db.session.commit()
    login_as(officer)
    page = client.get("/weapons/").get_data(as_text=True)
    assert f"{make.name} {model.name}" in page
    assert 'title="norinco type56 "' in page


def test_the_live_identification_never_sends_back_the_session_cookie_a_save_relies_on(world, client, login_as):
    # A late answer to the form's script would put back the cookie it read before the save,
    # and the save's message ("Record ... saved") with it would be lost.
    login_as(world["ML"].user("officer"))
    answer = client.get("/weapons/identify", query_string={"make": "glok"},
                        headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.is_json
    assert not [value for value in answer.headers.getlist("Set-Cookie") if value.startswith("session=")]
    page = client.get("/weapons/")
    assert [value for value in page.headers.getlist("Set-Cookie") if value.startswith("session=")]
