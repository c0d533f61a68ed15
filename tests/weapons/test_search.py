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
    assert response.status_code == 400 and "AAAA-MM-JJ" in response.get_data(as_text=True)
    response = client.get("/weapons/", query_string={"serial": "-/-"})
    assert response.status_code == 400


def test_obliterated_serial_is_recorded_as_such(world):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="limé")
    assert weapon.serial_state.value == "obliterated" and weapon.serial_key is None
    assert weapon.raw_serial == "limé"
