"""What sharing shows: another state sees a shared record's identification, status, the
month and country of the event, the owning agency and its tracing contact, and the photos
marked shareable; never a withheld field, the history or the owner's staff names.

A distinct secret is planted in each withheld field and looked for in every response
Burkina Faso gets about Mali's shared record: its page (every tab), its list row, the
serial search, the pasted list, its export (xlsx and CSV) and the hit page."""

import io

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from registry.extensions import db
from registry.weapons.models import Hit, Weapon, WeaponPhoto
from registry.weapons.service import create_weapon, update_weapon

SECRETS = {
    "notes": "NOTE-SECRET-5121",
    "circumstances": "CIRCUMSTANCE-SECRET-6232",
    "criminal_context": "CONTEXT-SECRET-7343",
    "case_reference": "CASE-SECRET-8454",
    "event_town": "Towsecretville",
    "event_region": "Regsecretland",
    "legal_ground": "GROUND-SECRET-9565",
}
LATITUDE, LONGITUDE = "14.918273", "-3.827364"
STAFF_NAME = "Staffname Hiddenfield"


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _withheld_in(text: str) -> list[str]:
    found = [value for value in SECRETS.values() if value in text]
    found += [value for value in (LATITUDE, LONGITUDE, LATITUDE.replace(".", ","), STAFF_NAME,
                                  "SECRET-CAPTION", "2024-03-17", "17/03/2024", "17 mars") if value in text]
    return found


def _mali_shared_record(world, client, login_as):
    officer = world["ML"].user("officer")
    officer.name = STAFF_NAME
    weapon = create_weapon(officer, status="stolen", sharing="all", raw_serial="SH-7788-99",
                           raw_make="Beretta", raw_model="92FS", raw_calibre="9x19mm",
                           event_date="2024-03-17", event_country_code="ML", latitude=LATITUDE,
                           longitude=LONGITUDE, marking_importer="IMP-MARK", **SECRETS)
    update_weapon(officer, weapon, weapon.version, marking_other="OTHER-MARK")
    world["ML"].agency.tracing_contact = "Cellule de traçage, +223 20 00 00 00"
    db.session.commit()
    actions = login_as(officer)
    page = f"/weapons/{weapon.id}?tab=photos"
    for name, colour, shareable in (("private.png", "red", ""), ("shared.png", "blue", "y")):
        response = actions.post(f"/weapons/{weapon.id}/photos",
                                {"photo": (io.BytesIO(_png(colour)), name), "shareable": shareable,
                                 "caption": "SECRET-CAPTION" if not shareable else "Vue de face"},
                                token_from=page, content_type="multipart/form-data")
        assert response.status_code == 302
    actions.logout()
    return weapon


def test_another_state_sees_only_what_sharing_shows_on_every_page_and_export(world, client, login_as):
    weapon = _mali_shared_record(world, client, login_as)
    photos = {photo.original_name: photo for photo in db.session.scalars(
        select(WeaponPhoto).where(WeaponPhoto.weapon_id == weapon.id))}

    # The owner's own state sees everything.
    viewer = login_as(world["ML"].user("viewer"))
    own = client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert all(value in own for value in SECRETS.values())
    history = client.get(f"/weapons/{weapon.id}?tab=history").get_data(as_text=True)
    assert STAFF_NAME in history
    viewer.logout()

    burkina = login_as(world["BF"].user("officer"))
    responses = {}
    for tab in ("details", "photos", "history"):
        responses[f"page {tab}"] = client.get(f"/weapons/{weapon.id}?tab={tab}")
    responses["list"] = client.get("/weapons/", query_string={"country": "ML"})
    responses["search"] = client.get("/weapons/", query_string={"serial": "SH778899"})
    responses["partial"] = client.get("/weapons/search", query_string={"kind": "partial", "serial": "7788", "mode": "contains"})
    responses["pasted list"] = burkina.post("/weapons/search/list", {"serials": "SH-7788-99\nNOTHING-1"},
                                            token_from="/weapons/search")
    responses["export csv"] = client.get("/weapons/export.csv", query_string={"serial": "SH778899"})
    for name, response in responses.items():
        assert response.status_code == 200, name
        text = response.get_data(as_text=True)
        assert _withheld_in(text) == [], name
        assert weapon.reference in text, name

    details = responses["page details"].get_data(as_text=True)
    assert "mars 2024" in details and "SH-7788-99" in details and "IMP-MARK" in details
    assert "Cellule de traçage, +223 20 00 00 00" in details
    assert "OTHER-MARK" in details  # a marking is part of the identification
    assert f"/weapons/photos/{photos['shared.png'].id}/thumbnail" in responses["page photos"].get_data(as_text=True)
    assert client.get(f"/weapons/photos/{photos['shared.png'].id}").status_code == 200
    assert client.get(f"/weapons/photos/{photos['private.png'].id}").status_code == 404
    assert client.get(f"/weapons/photos/{photos['private.png'].id}/thumbnail").status_code == 404

    workbook = load_workbook(io.BytesIO(client.get("/weapons/export.xlsx",
                                                   query_string={"serial": "SH778899"}).data))
    sheet = workbook.active
    cells = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    assert weapon.reference in cells and _withheld_in(cells) == []
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref

    # Searching on a withheld field tells nothing either.
    for criteria in ({"case_reference": SECRETS["case_reference"]}, {"place": SECRETS["event_town"]},
                     {"place": SECRETS["event_region"]},
                     {"date_from": "2024-03-17", "date_to": "2024-03-17", "country": "ML"}):
        found = client.get("/weapons/", query_string=criteria).get_data(as_text=True)
        assert (weapon.reference in found) == ("date_from" in criteria), criteria
    # The month is what another state knows: a period within it finds the record, one
    # outside does not.
    assert weapon.reference not in client.get("/weapons/", query_string={
        "date_from": "2024-04-01", "country": "ML"}).get_data(as_text=True)


def test_the_hit_page_puts_both_records_side_by_side_with_only_what_sharing_shows(world, client, login_as):
    weapon = _mali_shared_record(world, client, login_as)
    burkina_officer = world["BF"].user("officer")
    seized = create_weapon(burkina_officer, status="seized", raw_serial="SH 7788 99", raw_make="beretta",
                           notes="BF-OWN-NOTE", event_date="2026-01-05")
    world["BF"].agency.tracing_contact = "BF tracing desk"
    db.session.commit()
    hit = db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()

    burkina = login_as(burkina_officer)
    page = client.get(f"/weapons/hits/{hit.id}").get_data(as_text=True)
    assert _withheld_in(page) == []
    assert weapon.reference in page and seized.reference in page
    assert "Cellule de traçage" in page and "BF tracing desk" in page and "mars 2024" in page
    assert "Numéro identique" in page  # the same words as the list of hits
    burkina.logout()


def test_a_confirmed_hit_asks_the_owner_to_update_and_a_dismissal_needs_a_reason(world, client, login_as):
    weapon = _mali_shared_record(world, client, login_as)
    burkina = login_as(world["BF"].user("officer"))
    client.get("/weapons/", query_string={"serial": "SH778899"})
    hit = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == weapon.id)).one()
    refused = burkina.post(f"/weapons/hits/{hit.id}", {"decision": "dismiss", "reason": ""})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Hit, hit.id).status.value == "new"
    mine = create_weapon(world["BF"].user("officer"), status="seized", raw_serial="XX-000111",
                         raw_make="Beretta")
    db.session.commit()
    wrong = burkina.post(f"/weapons/hits/{hit.id}", {"decision": "confirm", "reason": "same",
                                                     "linked_reference": weapon.reference})
    assert wrong.status_code == 400 and "Aucun dossier de votre agence" in wrong.get_data(as_text=True)
    confirmed = burkina.post(f"/weapons/hits/{hit.id}", {"decision": "confirm", "reason": "vu l'arme",
                                                         "linked_reference": mine.reference})
    assert confirmed.status_code == 302
    db.session.expire_all()
    hit = db.session.get(Hit, hit.id)
    assert hit.status.value == "confirmed" and hit.source_weapon_id == mine.id
    burkina.logout()

    mali = login_as(world["ML"].user("officer"))
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert weapon.reference in notifications and "Mettez votre dossier à jour" in notifications
    page = client.get(f"/weapons/hits/{hit.id}").get_data(as_text=True)
    assert "Mettre le dossier à jour" in page and mine.reference in page
    updated = mali.post(f"/weapons/hits/{hit.id}/update-record", {"status": "seized",
                                                                  "version": str(weapon.version)},
                        token_from=f"/weapons/hits/{hit.id}", follow_redirects=True)
    assert "Saisie" in updated.get_data(as_text=True) or "saisie" in updated.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).status.value == "seized"
