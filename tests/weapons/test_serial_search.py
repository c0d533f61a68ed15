"""Serial search as investigators make it: part of a serial, a pasted list, a sequence; each
within the user's scope, audited, and its hits recorded."""

import io

from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.weapons.models import Hit
from registry.weapons.service import create_weapon, update_weapon


def _latest_search(kind: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.search")
                              .order_by(AuditEvent.id.desc())).first()


def test_part_of_a_serial_finds_records_that_contain_start_or_end_with_it(world, client, login_as):
    officer = world["ML"].user("officer")
    middle = create_weapon(officer, status="seized", raw_serial="KX-558731-B")
    start = create_weapon(officer, status="seized", raw_serial="5587 3100")
    other = create_weapon(officer, status="seized", raw_serial="QQ-123456")
    hidden = create_weapon(world["BF"].user("officer"), status="seized", raw_serial="ZZ558731")  # national
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    page = client.get("/weapons/search", query_string={"kind": "partial", "serial": "5587-31",
                                                       "mode": "contains"}).get_data(as_text=True)
    assert middle.reference in page and start.reference in page
    assert other.reference not in page and hidden.reference not in page
    assert "2 fiches correspondent." in page
    page = client.get("/weapons/search", query_string={"kind": "partial", "serial": "55873",
                                                       "mode": "prefix"}).get_data(as_text=True)
    assert start.reference in page and middle.reference not in page
    page = client.get("/weapons/search", query_string={"kind": "partial", "serial": "8731b",
                                                       "mode": "suffix"}).get_data(as_text=True)
    assert middle.reference in page and start.reference not in page
    event = _latest_search("partial")
    assert event.details["kind"] == "partial" and event.details["terms"] == {"serial": "8731b", "mode": "suffix"}


def test_searches_follow_a_serial_changed_on_its_record(world):
    from registry.weapons.search import Criteria, serial_matches
    from registry.weapons.serial_search import partial_matches

    officer = world["ML"].user("officer")
    weapon = create_weapon(officer, status="seized", raw_serial="MV-770011")
    db.session.commit()
    update_weapon(officer, weapon, weapon.version, raw_serial="MV-990022")
    db.session.commit()
    assert partial_matches(officer, "9900", "contains", Criteria()) == [weapon]
    assert partial_matches(officer, "7700", "contains", Criteria()) == []
    assert serial_matches(officer, "MV990022", Criteria(), near=False) == [(weapon, 1.0)]


def test_a_partial_serial_under_four_characters_is_refused_and_kept(world, client, login_as):
    login_as(world["ML"].user("viewer"))
    response = client.get("/weapons/search", query_string={"kind": "partial", "serial": "A-1.2",
                                                           "mode": "contains"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tapez au moins 4 lettres ou chiffres du numéro de série" in page
    assert 'value="A-1.2"' in page


def test_a_pasted_list_gives_one_table_of_what_matched_and_exports_it(world, client, login_as, actions):
    officer = world["ML"].user("officer")
    first = create_weapon(officer, status="seized", raw_serial="PL-100200", raw_make="Beretta")
    second = create_weapon(world["BF"].user("officer"), status="found", raw_serial="PL 300400", sharing="all")
    create_weapon(world["BF"].user("officer"), status="found", raw_serial="PL-500600")  # national
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    pasted = "pl100200\n\n  PL-300400  \nPL-500600\n---\n"
    response = actions.post("/weapons/search/list", {"serials": pasted}, token_from="/weapons/search")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert first.reference in page and second.reference in page
    assert "2 sur 4 numéros de série correspondent à une fiche." in page
    assert page.index("pl100200") < page.index("PL-300400") < page.index("PL-500600")
    event = _latest_search("list")
    assert event.details["terms"]["serials"] == ["pl100200", "PL-300400", "PL-500600", "---"]
    response = actions.post("/weapons/search/list.xlsx", {"serials": pasted}, token_from="/weapons/search")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Numéro de série collé", "Comparé comme", "Référence"]
    assert rows[1][:3] == ["pl100200", "P1100200", first.reference]
    assert rows[2][:3] == ["PL-300400", "P1300400", second.reference] and rows[2][8] == "BF"
    assert rows[3][:3] == ["PL-500600", "P1500600", "Aucune fiche trouvée."]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "weapon.export")
                             .order_by(AuditEvent.id.desc())).details["kind"] == "list"


def test_a_pasted_list_too_long_or_blank_is_refused_and_kept(world, client, login_as, actions):
    login_as(world["ML"].user("viewer"))
    too_long = "\n".join(f"SN-{number}" for number in range(501))
    response = actions.post("/weapons/search/list", {"serials": too_long}, token_from="/weapons/search")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Collez au plus 500 numéros de série à la fois : la liste a 501 lignes." in page
    assert "SN-500" in page
    response = actions.post("/weapons/search/list", {"serials": "\n  \n\n"}, token_from="/weapons/search")
    assert response.status_code == 400
    assert "Collez au moins un numéro de série, un par ligne." in response.get_data(as_text=True)


def test_a_sequence_finds_one_makes_serials_within_the_range(world, client, login_as):
    officer = world["ML"].user("officer")
    inside = [create_weapon(officer, status="seized", raw_make="Norinco", raw_serial=f"NR-{number:06d}")
              for number in (1200, 1333, 1450)]
    before = create_weapon(officer, status="seized", raw_make="Norinco", raw_serial="NR-001199")
    other_letters = create_weapon(officer, status="seized", raw_make="Norinco", raw_serial="NQ-001300")
    other_make = create_weapon(officer, status="seized", raw_make="Beretta", raw_serial="NR-001301")
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    page = client.get("/weapons/search", query_string={"kind": "sequence", "make": "norinco",
                                                       "first": "NR 001200", "last": "nr-1450"}).get_data(as_text=True)
    assert all(weapon.reference in page for weapon in inside)
    assert all(weapon.reference not in page for weapon in (before, other_letters, other_make))
    assert page.index(inside[0].reference) < page.index(inside[1].reference) < page.index(inside[2].reference)
    assert _latest_search("sequence").details["kind"] == "sequence"


def test_a_sequence_without_widths_finds_numbers_of_every_length(world):
    from registry.weapons.search import Criteria
    from registry.weapons.serial_search import sequence_matches

    officer = world["ML"].user("officer")
    short = create_weapon(officer, status="seized", raw_make="Glock", raw_serial="GK995")
    longer = create_weapon(officer, status="seized", raw_make="Glock", raw_serial="GK1010")
    create_weapon(officer, status="seized", raw_make="Glock", raw_serial="GK1051")
    db.session.commit()
    assert sequence_matches(officer, "Glock", "GK950", "GK1050", Criteria()) == [short, longer]


def test_a_sequence_too_long_or_of_other_letters_is_refused_and_kept(world, client, login_as):
    login_as(world["ML"].user("viewer"))
    response = client.get("/weapons/search", query_string={"kind": "sequence", "make": "Norinco",
                                                           "first": "AB 1", "last": "AB 10002"})
    page = response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert response.status_code == 400
    assert "Une séquence couvre au plus 10 000 numéros : celle-ci en couvre 10 002." in page
    assert 'value="AB 10002"' in page and 'value="Norinco"' in page
    response = client.get("/weapons/search", query_string={"kind": "sequence", "make": "Norinco",
                                                           "first": "AB 1", "last": "CD 20"})
    assert response.status_code == 400
    assert "partager leurs lettres" in response.get_data(as_text=True)
    response = client.get("/weapons/search", query_string={"kind": "sequence", "first": "AB 1", "last": "AB 20"})
    assert response.status_code == 400 and "Indiquez la marque" in response.get_data(as_text=True)


def test_other_states_wanted_records_found_by_part_list_or_sequence_are_hits(world, client, login_as, actions):
    burkina = world["BF"].user("officer")
    stolen = create_weapon(burkina, status="stolen", sharing="all", raw_make="Kalashnikov",
                           raw_serial="HT-4471882", event_town="Bobo-Dioulasso", notes="Note of Burkina")
    db.session.commit()
    login_as(world["ML"].user("officer"))
    page = client.get("/weapons/search", query_string={"kind": "partial", "serial": "447188",
                                                       "mode": "contains"}).get_data(as_text=True)
    assert stolen.reference in page and "Correspondance" in page
    assert "Bobo-Dioulasso" not in page and "Note of Burkina" not in page
    hits = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == stolen.id)).all()
    assert len(hits) == 1 and hits[0].searcher_agency_id == world["ML"].agency.id
    page = actions.post("/weapons/search/list", {"serials": "HT4471882"}, token_from="/weapons/search")
    assert stolen.reference in page.get_data(as_text=True)
    page = client.get("/weapons/search", query_string={"kind": "sequence", "make": "Kalashnikov",
                                                       "first": "HT 4471800", "last": "HT 4471900"})
    assert stolen.reference in page.get_data(as_text=True)
    assert len(db.session.scalars(select(Hit).where(Hit.hit_weapon_id == stolen.id)).all()) == 1


def test_serial_search_page_reads_in_english(world, client, login_as):
    from registry.auth.service import set_language

    viewer = world["ML"].user("viewer")
    set_language(viewer, "en")
    db.session.commit()
    login_as(viewer)
    response = client.get("/weapons/search", query_string={"kind": "partial", "serial": "AB1", "mode": "suffix"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Part of a serial" in page
    assert "Type at least 4 letters or digits of the serial for a partial search." in page
