"""Searching by serial: exact first, then near matches, ranked; identification stored."""

from registry.extensions import db
from registry.weapons.search import Criteria, search
from registry.weapons.service import create_weapon


def test_exact_match_comes_first_then_near_matches_ranked(world, client, login_as):
    officer = world["ML"].user("officer")
    exact = create_weapon(officer, status="seized", raw_serial="RK-482913")
    look_alike = create_weapon(officer, status="seized", raw_serial="RK-48Z913")  # Z for 2
    typing_error = create_weapon(officer, status="seized", raw_serial="RK-482914")
    far = create_weapon(officer, status="seized", raw_serial="RK-999999")
    db.session.commit()
    result = search(officer, Criteria(serial="rk 482913"))
    references = [weapon.reference for weapon in result.weapons]
    assert references[0] == exact.reference
    assert references.index(look_alike.reference) < references.index(typing_error.reference)
    assert far.reference not in references
    assert result.scores[exact.id] == 1.0 and result.scores[typing_error.id] < 1.0
    login_as(officer)
    page = client.get("/weapons/", query_string={"serial": "RK482913"}).get_data(as_text=True)
    assert page.index(exact.reference) < page.index(typing_error.reference)


def test_filters_narrow_the_list(world, client, login_as):
    officer = world["ML"].user("officer")
    gao = create_weapon(officer, status="found", raw_serial="FL-1", event_town="Gao",
                        event_date="2021-05-01", raw_make="Norinco")
    kidal = create_weapon(officer, status="seized", raw_serial="FL-2", event_town="Kidal",
                          event_date="2023-05-01", raw_make="Beretta")
    db.session.commit()
    login_as(officer)
    page = client.get("/weapons/", query_string={"place": "gao"}).get_data(as_text=True)
    assert gao.reference in page and kidal.reference not in page
    page = client.get("/weapons/", query_string={"date_from": "2022-01-01"}).get_data(as_text=True)
    assert kidal.reference in page and gao.reference not in page
    page = client.get("/weapons/", query_string={"status": "found", "sort": "reference",
                                                 "direction": "asc"}).get_data(as_text=True)
    assert gao.reference in page and kidal.reference not in page
    page = client.get("/weapons/", query_string={"make": "berett"}).get_data(as_text=True)
    assert kidal.reference in page and gao.reference not in page
    response = client.get("/weapons/", query_string={"date_from": "yesterday"})
    assert response.status_code == 400 and "JJ/MM/AAAA" in response.get_data(as_text=True)
    response = client.get("/weapons/", query_string={"serial": "-/-"})
    assert response.status_code == 400


def test_obliterated_serial_is_recorded_as_such(world):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="limé")
    assert weapon.serial_state.value == "obliterated" and weapon.serial_key is None
    assert weapon.raw_serial == "limé"


def test_a_period_is_typed_as_the_form_types_dates_and_an_impossible_day_is_refused(world, client, login_as):
    from registry.weapons.service import create_weapon

    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="DT-445566",
                           event_date="2024-03-15")
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    found = client.get("/weapons/", query_string={"date_from": "14/03/2024", "date_to": "2024-03-16"})
    assert found.status_code == 200 and weapon.reference in found.get_data(as_text=True)
    refused = client.get("/weapons/", query_string={"date_from": "31/02/2024"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "n’est pas un jour du calendrier" in page and 'value="31/02/2024"' in page
    assert 'aria-describedby="date_from-error"' in page
