"""Recording, editing and deleting weapon records through the pages."""

import io

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.weapons.models import Weapon, WeaponChange, WeaponPhoto
from registry.weapons.service import create_weapon
from tests.weapons.helpers import VALID, latest_weapon, record_through_form


def test_officer_of_mali_never_sees_niger_national_record(world, client, login_as):
    login_as(world["ML"].user("supervisor"))
    niger = db.session.get(Weapon, world.ne_weapon_id)
    listing = client.get("/weapons/").get_data(as_text=True)
    assert niger.reference not in listing
    found = client.get("/weapons/", query_string={"serial": "NE-SECRET-77"}).get_data(as_text=True)
    assert niger.reference not in found
    found = client.get("/weapons/", query_string={"case_reference": "NE-CASE-1"}).get_data(as_text=True)
    assert niger.reference not in found
    export = client.get("/weapons/export.xlsx", query_string={"serial": "NE SECRET 77"})
    cells = [c.value for row in load_workbook(io.BytesIO(export.data)).active.iter_rows() for c in row]
    assert niger.reference not in cells
    assert client.get(f"/weapons/{niger.id}").status_code == 404
    assert client.get(f"/weapons/{niger.id}/edit").status_code == 404
    # while Niger's record shared with all is seen
    shared = db.session.get(Weapon, world.ne_shared_weapon_id)
    assert shared.reference in client.get("/weapons/").get_data(as_text=True)


def test_two_edits_of_one_record_second_is_refused_with_changes_and_nothing_lost(world, client, login_as):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="ED-5555",
                           raw_make="Beretta", event_town="Gao")
    db.session.commit()
    officer = login_as(world["ML"].user("officer"))
    first_form = client.get(f"/weapons/{weapon.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in first_form
    form = {"status": "seized", "sharing": "national", "raw_serial": "ED-5555", "raw_make": "Beretta",
            "event_town": "Gao", "version": "1"}
    assert officer.post(f"/weapons/{weapon.id}/edit", form | {"event_town": "Kidal"}).status_code == 302
    # The second browser still holds version 1.
    response = officer.post(f"/weapons/{weapon.id}/edit", form | {"notes": "My long note typed here"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Kidal" in page and "Gao" in page  # what changed meanwhile
    assert "My long note typed here" in page  # what the user typed is still in the form
    db.session.expire_all()
    stored = db.session.get(Weapon, weapon.id)
    assert stored.notes is None and stored.event_town == "Kidal" and stored.version == 2
    # Saving the re-rendered form (now on version 2) goes through.
    assert 'name="version" type="hidden" value="2"' in page
    response = officer.post(f"/weapons/{weapon.id}/edit", form | {"event_town": "Kidal",
                                                                  "notes": "My long note", "version": "2"})
    assert response.status_code == 302
    history = client.get(f"/weapons/{weapon.id}?tab=history").get_data(as_text=True)
    assert "Kidal" in history and "My long note" in history


def test_bad_input_gives_a_clear_message_and_saves_nothing(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    count = db.session.scalar(select(func.count(Weapon.id)))
    cases = [
        ({"event_date": "2999-01-01"}, ("future", "futur")),
        ({"event_date": "1700-05-05"}, ("1850",)),
        ({"event_date": "31/02/2020"}, ("jour du calendrier", "day of the calendar")),
        ({"status": "melted"}, ("valid choice", "Choix non valide", "choix")),
        ({"raw_serial": " -/- . "}, ("no letter or digit", "ni lettre ni chiffre")),
        ({"latitude": "123"}, ("Out of range", "Hors")),
        ({"manufacture_country_code": "ZZ"}, ("ZZ",)),
    ]
    for values, messages in cases:
        response = record_through_form(officer, **values)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, values
        assert any(message in page for message in messages), (values, page[:200])
        for name, value in values.items():
            if name != "status":  # a select keeps its choices
                assert f'value="{value}"' in page  # the typed value is kept
    assert db.session.scalar(select(func.count(Weapon.id))) == count


def test_deleted_record_cannot_be_edited_and_disappears(world, client, login_as):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="DL-1234")
    db.session.commit()
    supervisor = login_as(world["ML"].user("supervisor"))
    response = supervisor.post(f"/weapons/{weapon.id}/delete", {"reason": ""},
                               token_from=f"/weapons/{weapon.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).deleted_at is None
    supervisor.post(f"/weapons/{weapon.id}/delete", {"reason": "Entered twice by mistake"},
                    token_from=f"/weapons/{weapon.id}")
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).deleted_reason == "Entered twice by mistake"
    assert client.get(f"/weapons/{weapon.id}").status_code == 404
    response = supervisor.post(f"/weapons/{weapon.id}/edit", {"status": "found", "version": "2"},
                               token_from="/weapons/")
    assert response.status_code == 404
    assert db.session.get(Weapon, weapon.id).status.value == "seized"


def test_a_foreign_id_in_the_url_answers_not_found_and_saves_nothing(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    shared = db.session.get(Weapon, world.ne_shared_weapon_id)
    assert client.get(f"/weapons/{shared.id}").status_code == 200  # shared: may be read
    response = officer.post(f"/weapons/{shared.id}/edit", VALID | {"version": "1"}, token_from="/weapons/")
    assert response.status_code == 404
    assert client.get("/weapons/999999999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Weapon, shared.id).raw_serial == "SHARED-NE-1"


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def test_photos_are_checked_by_content_and_served_only_through_scoping(world, client, login_as, app):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="PH-4444")
    db.session.commit()
    officer = login_as(world["ML"].user("officer"))
    token_page = f"/weapons/{weapon.id}?tab=photos"
    bad = officer.post(f"/weapons/{weapon.id}/photos", {"photo": (io.BytesIO(b"GIF89a not really"), "x.jpg")},
                       token_from=token_page, content_type="multipart/form-data", follow_redirects=True)
    assert "pas une photo JPEG" in bad.get_data(as_text=True)
    big = b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10)
    too_large = officer.post(f"/weapons/{weapon.id}/photos", {"photo": (io.BytesIO(big), "big.png")},
                             token_from=token_page, content_type="multipart/form-data", follow_redirects=True)
    assert "5 MB" in too_large.get_data(as_text=True) or "5 Mo" in too_large.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WeaponPhoto.id)).where(WeaponPhoto.weapon_id == weapon.id)) == 0
    good = officer.post(f"/weapons/{weapon.id}/photos", {"photo": (io.BytesIO(_png()), "front.png")},
                        token_from=token_page, content_type="multipart/form-data")
    assert good.status_code == 302
    photo = db.session.scalars(select(WeaponPhoto).where(WeaponPhoto.weapon_id == weapon.id)).one()
    assert photo.width == 40 and "static" not in app.config["UPLOAD_FOLDER"]
    assert client.get(f"/weapons/photos/{photo.id}").data == _png()
    thumbnail = client.get(f"/weapons/photos/{photo.id}/thumbnail")
    assert Image.open(io.BytesIO(thumbnail.data)).format == "JPEG"
    officer.logout()
    login_as(world["NE"].user("officer"))
    assert client.get(f"/weapons/photos/{photo.id}").status_code == 404


def test_export_is_formula_safe_and_audited(world, client, login_as):
    from registry.audit.models import AuditEvent

    create_weapon(world["ML"].user("officer"), status="seized", raw_serial="FX-1",
                  raw_make="=HYPERLINK(\"http://evil\")", notes="x", circumstances="@SUM(A1)")
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    response = client.get("/weapons/export.xlsx", query_string={"serial": "FX1"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=HYPERLINK(\"http://evil\")" in values and "'@SUM(A1)" in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    event_ = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.export")).one()
    assert event_.details["terms"] == {"serial": "FX1"} and event_.details["count"] == 1


def test_searches_and_views_are_audited_with_their_terms(world, client, login_as):
    from registry.audit.models import AuditEvent

    login_as(world["ML"].user("viewer"))
    client.get("/weapons/", query_string={"make": "beretta", "status": "stolen"})
    client.get(f"/weapons/{world.ne_shared_weapon_id}")
    actions = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert actions["weapon.search"].details["terms"] == {"make": "beretta", "status": "stolen"}
    assert actions["weapon.view"].object_id == str(world.ne_shared_weapon_id)


def test_list_page_makes_the_same_number_of_queries_whatever_its_size(world, client, login_as):
    login_as(world["ML"].user("officer"))
    counts = []
    for batch in (3, 40):
        officer = world["ML"].user("officer")
        for number in range(batch):
            create_weapon(officer, status="seized", raw_serial=f"QC-{batch}-{number:04d}")
        db.session.commit()
        statements = []

        def count(*args, statements=statements, **kwargs):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/weapons/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_record_history_lists_every_change(world, client, login_as):
    officer = login_as(world["ML"].user("officer"))
    record_through_form(officer, raw_serial="HS-1", notes="first")
    weapon = latest_weapon()
    assert weapon.created_by_id == world["ML"].user("officer").id and weapon.updated_by_id is None
    officer.post(f"/weapons/{weapon.id}/edit", VALID | {"raw_serial": "HS-2", "notes": "second",
                                                        "version": "1"})
    fields = set(db.session.scalars(select(WeaponChange.field).where(WeaponChange.weapon_id == weapon.id)))
    assert {"raw_serial", "notes"} <= fields
    db.session.refresh(weapon)
    assert weapon.updated_by_id == world["ML"].user("officer").id and weapon.updated_at > weapon.created_at
    response = client.get(f"/weapons/{weapon.id}?tab=history")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # in words, in French: the form's labels, and the creation read from the record
    assert "Numéro de série" in page and "HS-1" in page and "HS-2" in page and "Créée" in page
    assert "raw_serial" not in page


def test_the_record_page_names_countries(world, client, login_as):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="CN-4242",
                           manufacture_country_code="RU", last_import_country_code="CI", event_country_code="ML")
    db.session.commit()
    login_as(world["ML"].user("officer"))
    page = client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert "Russie" in page and "Côte d" in page and "Mali" in page
    assert "<dd>RU</dd>" not in page and "<dd>CI</dd>" not in page


def test_the_database_refuses_a_record_of_another_state_than_its_agency(app, world):
    """(agency_id, country_code) is one foreign key to the agency: a record is of its
    agency's state, whatever code writes it."""
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_make="Beretta", raw_serial="K-1")
    db.session.commit()
    weapon.country_code = "BF"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Weapon, weapon.id).country_code == "ML"
