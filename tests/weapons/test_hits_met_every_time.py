"""A hit is shown wherever it is met, every time: Burkina Faso records a stolen weapon
shared with all; Mali searches its serial twice, records a seizure with that serial by
form and by import; each time the page names the hit and the owner is told."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from registry import jobs
from registry.extensions import db
from registry.imports.models import Import, ImportStatus
from registry.notifications.models import Notification
from registry.weapons.models import Hit, HitMeeting, HitWay, Weapon
from tests.imports.sheets import workbook
from tests.weapons.helpers import latest_weapon, record_through_form

SERIAL = "KX-10-2345"


def upload(actions, content: bytes):
    return actions.post("/imports/upload", {"file": (io.BytesIO(content), "saisies.xlsx")},
                        token_from="/imports/", content_type="multipart/form-data")


def finish_jobs() -> Import:
    db.session.expire_all()
    for import_ in db.session.scalars(select(Import)):
        if import_.job_id:
            assert jobs.wait(import_.job_id)
    db.session.expire_all()
    return db.session.scalars(select(Import).order_by(Import.id.desc())).first()


def burkina_records_a_stolen_weapon(world, login_as) -> Weapon:
    burkina = login_as(world["BF"].user("officer"))
    response = record_through_form(burkina, status="stolen", sharing="all", raw_serial=SERIAL,
                                   raw_make="Kalashnikov", raw_model="AKM")
    assert response.status_code == 302
    stolen = latest_weapon()
    burkina.logout()
    return stolen


def owner_notifications(world, stolen: Weapon) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.agency_id == world["BF"].agency.id, Notification.kind == "weapon.hit",
        Notification.params["reference"].as_string() == stolen.reference).order_by(Notification.id)))


def test_a_second_search_shows_the_alert_again_and_counts_one_hit_met_twice(world, client, login_as):
    stolen = burkina_records_a_stolen_weapon(world, login_as)
    login_as(world["ML"].user("officer"))
    for typed in ("kx 1O 2345", "KX102345"):
        page = client.get("/weapons/", query_string={"serial": typed}).get_data(as_text=True)
        assert "Correspondance : ce numéro de série correspond" in page
        assert stolen.reference in page
    hit = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == stolen.id)).one()
    assert hit.times_met == 2 and hit.source_weapon_id is None
    meetings = db.session.scalars(select(HitMeeting).where(HitMeeting.hit_id == hit.id)).all()
    assert [meeting.way for meeting in meetings] == [HitWay.SEARCH, HitWay.SEARCH]
    # The owner is told of each meeting, the second as a hit met again.
    told = owner_notifications(world, stolen)
    assert len(told) == 2 and "met 2 times" in told[1].message % told[1].params


def test_a_seizure_recorded_by_form_names_the_hit_and_both_pages_list_it(world, client, login_as):
    stolen = burkina_records_a_stolen_weapon(world, login_as)
    mali = login_as(world["ML"].user("officer"))
    response = record_through_form(mali, status="seized", raw_serial="KX 10 2345", raw_make="Kalashnikov")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    seized = latest_weapon()
    assert f"Correspondance : cette fiche correspond à {stolen.reference}" in page
    assert 'id="hits-title"' in page and "Fiche " + stolen.reference + " du Burkina Faso" in page
    # Mali sees the hit on Burkina Faso's record too.
    page = client.get(f"/weapons/{stolen.id}").get_data(as_text=True)
    assert f"Fiche {seized.reference} du Mali" in page
    mali.logout()

    login_as(world["BF"].user("viewer"))
    page = client.get(f"/weapons/{stolen.id}").get_data(as_text=True)
    assert 'id="hits-title"' in page and f"Fiche {seized.reference} du Mali" in page
    assert "1 fois" in page


def test_editing_the_seizure_meets_the_hit_again_and_tells_the_owner(world, client, login_as):
    stolen = burkina_records_a_stolen_weapon(world, login_as)
    mali = login_as(world["ML"].user("officer"))
    record_through_form(mali, status="seized", raw_serial="KX102345", raw_make="Kalashnikov")
    seized = latest_weapon()
    response = mali.post(f"/weapons/{seized.id}/edit", {
        "status": "seized", "sharing": "national", "raw_serial": "KX-102345", "raw_make": "Kalashnikov",
        "version": str(seized.version)}, token_from=f"/weapons/{seized.id}/edit")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Correspondance : cette fiche correspond à {stolen.reference}" in page
    hit = db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()
    db.session.refresh(hit)
    assert hit.times_met == 2
    assert len(owner_notifications(world, stolen)) == 2
    # An edit that leaves the serial, make, status and sharing as they were meets nothing,
    # but the page still names the hit.
    db.session.refresh(seized)
    response = mali.post(f"/weapons/{seized.id}/edit", {
        "status": "seized", "sharing": "national", "raw_serial": "KX-102345", "raw_make": "Kalashnikov",
        "notes": "Kept in the armoury", "version": str(seized.version)}, token_from=f"/weapons/{seized.id}/edit")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"cette fiche correspond à {stolen.reference}" in page
    db.session.refresh(hit)
    assert hit.times_met == 2


def test_an_import_commit_lists_the_rows_that_hit_on_its_page_and_result_sheet(app, world, client, login_as):
    stolen = burkina_records_a_stolen_weapon(world, login_as)
    mali = login_as(world["ML"].user("officer"))
    content = workbook([["N°", "Marque", "Modèle", "N° de série", "Statut", "Date de saisie"],
                        [1, "Kalashnikov", "AKM", "KX 102345", "Saisie", "2024-05-02"],
                        [2, "Beretta", "92", "BR-777001", "Saisie", "2024-05-03"]])
    assert upload(mali, content).status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    # Without a reference table the makes are to be checked: the officer accepts them as typed.
    mali.post(f"/imports/{import_.id}/rows", {"action": "accept", "scope": "needs_review"},
              token_from=f"/imports/{import_.id}")
    mali.post(f"/imports/{import_.id}/commit", token_from=f"/imports/{import_.id}")
    import_ = finish_jobs()
    assert import_.status is ImportStatus.COMMITTED, import_.error
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Lignes qui correspondent à une fiche d'un autre État (1)" in page
    assert stolen.reference in page
    hit = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == stolen.id)).one()
    assert [meeting.way for meeting in hit.meetings] == [HitWay.IMPORT]

    sheet = load_workbook(io.BytesIO(client.get(f"/imports/{import_.id}/result.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_number = {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:]}
    assert by_number[2]["Correspondances"].startswith(f"{stolen.reference} (BF, Volée)")
    assert by_number[3]["Correspondances"] is None
    assert db.session.scalar(select(func.count(Hit.id)).where(Hit.hit_weapon_id == stolen.id)) == 1
