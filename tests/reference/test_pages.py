"""The reference pages, the "Identify a weapon" page and POST /api/v1/identify."""

import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reference.models import Alias, Make, Model


def test_an_officer_identifies_a_weapon_without_javascript(starter, world, login_as):
    actions = login_as(world["ML"].user("officer"))
    page = actions.post("/reference/identify", {"make": "Kalachnikov", "model": "AK 47 7,62"},
                        token_from="/reference/identify").get_data(as_text=True)
    assert "Kalashnikov" in page and "AK-47" in page and "7.62x39mm" in page


def test_an_officer_teaches_a_spelling_from_the_suggestions(starter, world, login_as):
    actions = login_as(world["ML"].user("officer"))
    page = actions.post("/reference/identify", {"make": "Norinco", "model": "AKM"},
                        token_from="/reference/identify").get_data(as_text=True)
    assert "AKM" in page  # suggested: the AKM of another make
    type56 = db.session.scalar(select(Model).where(Model.name == "Type 56"))
    response = actions.post("/reference/confirm", {"field": "model", "raw_text": "AKM", "target_id": type56.id},
                            token_from="/reference/identify")
    assert response.status_code == 302
    alias = db.session.scalar(select(Alias).where(Alias.model_id == type56.id, Alias.normalized == "akm"))
    assert alias.country_code == "ML"
    page = actions.post("/reference/identify", {"make": "Norinco", "model": "AKM"},
                        token_from="/reference/identify").get_data(as_text=True)
    assert "Type 56" in page


def test_the_api_identifies_a_batch(starter, world, client):
    from registry.auth.service import create_api_token

    _token, plain = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    response = client.post("/api/v1/identify", headers={"Authorization": f"Bearer {plain}"},
                           json={"rows": [{"make": "", "model": "AK-47"}, {"make": "Xyzzy", "model": "Qwerty"}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    first, second = response.get_json()["results"]
    assert (first["make"], first["model"], first["method"]) == ("Kalashnikov", "AK-47", "inferred_from_model")
    assert second["make"] is None and second["needs_review"] is True
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reference.identify")) == 1


def test_the_api_refuses_what_is_not_a_batch(starter, world, client):
    from registry.auth.service import create_api_token

    _token, plain = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    response = client.post("/api/v1/identify", headers={"Authorization": f"Bearer {plain}"}, json={"make": "x"})
    assert response.status_code == 400
    assert response.get_json()["field"] in ("rows", "make")
    assert "rows" in response.get_json()["errors"]


def test_a_platform_admin_searches_and_renames_a_make(starter, world, login_as):
    actions = login_as(world["ML"].user("platform_admin"))
    page = actions.client.get("/reference/?q=kalach").get_data(as_text=True)
    assert "Kalashnikov" in page and "Norinco" in page  # "Kalachnikov chinois" is a Norinco alias
    make = db.session.scalar(select(Make).where(Make.name == "Zastava"))
    response = actions.post(f"/reference/makes/{make.id}", {"name": "Zastava Arms", "country_code": "RS"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Make, make.id).name == "Zastava Arms"


def test_merging_a_duplicate_make_repoints_every_record(starter, world, login_as):
    from registry.weapons.models import Weapon
    from registry.weapons.service import create_weapon

    actions = login_as(world["ML"].user("platform_admin"))
    actions.post("/reference/makes/new", {"name": "Kalashnikov Concern"})
    duplicate = db.session.scalar(select(Make).where(Make.name == "Kalashnikov Concern"))
    actions.post(f"/reference/make/{duplicate.id}/aliases", {"alias": "Kontsern"},
                 token_from=f"/reference/makes/{duplicate.id}")
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_make="Kontsern", raw_serial="A1")
    db.session.commit()
    assert weapon.make_id == duplicate.id
    kept = db.session.scalar(select(Make).where(Make.name == "Kalashnikov"))
    # First what moves, nothing changed; then the merge, once confirmed.
    page = actions.post(f"/reference/make/{duplicate.id}/merge", {"kept_id": kept.id},
                        token_from=f"/reference/makes/{duplicate.id}").get_data(as_text=True)
    assert "Fusionner « Kalashnikov Concern » dans « Kalashnikov » ?" in page
    assert "Fiches et autres lignes : 1" in page and "<code>weapon.make_id</code>: 1" in page
    assert "Alias : 1 — Kontsern" in page
    db.session.expire_all()
    assert db.session.get(Make, duplicate.id) is not None
    response = actions.post(f"/reference/make/{duplicate.id}/merge", {"kept_id": kept.id, "confirm": "1"},
                            token_from=f"/reference/makes/{duplicate.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).make_id == kept.id
    assert db.session.get(Make, duplicate.id) is None
    kept_aliases = set(db.session.scalars(select(Alias.normalized).where(Alias.make_id == kept.id)))
    assert {"kontsern", "kalashnikovconcern"} <= kept_aliases


def test_a_platform_admin_uploads_a_reference_spreadsheet(app, world, login_as):
    book = Workbook()
    book.active.append(["make", "model", "type", "calibre", "country", "make aliases", "model aliases"])
    book.active.append(["Glock", "17", "Pistol", "9x19mm", "Austria", "", "G17"])
    data = io.BytesIO()
    book.save(data)
    actions = login_as(world["ML"].user("platform_admin"))
    page = actions.post("/reference/load", {"file": (io.BytesIO(data.getvalue()), "glock.xlsx")},
                        token_from="/reference/load", content_type="multipart/form-data").get_data(as_text=True)
    # First the plan, nothing changed; then the load, once confirmed.
    assert "model added: Glock 17" in page and "rien n’est encore changé" in page
    assert db.session.scalar(select(Make.id).where(Make.name == "Glock")) is None
    token = re.search(r'name="token" value="([0-9a-f]{64})"', page).group(1)
    page = actions.post("/reference/load", {"token": token, "file_name": "glock.xlsx"}).get_data(as_text=True)
    assert "Chargé : glock.xlsx" in page and "model added: Glock 17" in page
    assert db.session.scalar(select(Make.country_code).where(Make.name == "Glock")) == "AT"
    # The file confirmed is gone: confirming again says so and changes nothing.
    page = actions.post("/reference/load", {"token": token, "file_name": "glock.xlsx"}).get_data(as_text=True)
    assert "choisissez-le de nouveau" in page
    bad = Workbook()
    bad.active.append(["make", "model", "country"])
    bad.active.append(["Walther", "PP", "Nowhere"])
    data = io.BytesIO()
    bad.save(data)
    page = actions.post("/reference/load", {"file": (io.BytesIO(data.getvalue()), "bad.xlsx")},
                        token_from="/reference/load", content_type="multipart/form-data").get_data(as_text=True)
    assert "Nowhere" in page and "C" in page.split("Nowhere")[0]
    assert db.session.scalar(select(Make.id).where(Make.name == "Walther")) is None


def test_a_platform_admin_adds_a_calibre_and_a_spelling_identification_then_reads(starter, world, login_as):
    from registry.reference.engine import get_identifier
    from registry.reference.models import Calibre

    actions = login_as(world["ML"].user("platform_admin"))
    page = actions.client.get("/reference/calibres").get_data(as_text=True)
    assert "7.62x39mm" in page
    response = actions.post("/reference/calibres", {"name": "6.5x55mm"})
    calibre = db.session.scalar(select(Calibre).where(Calibre.name == "6.5x55mm"))
    assert response.status_code == 302 and response.location.endswith(f"/reference/calibres/{calibre.id}")
    actions.post(f"/reference/calibre/{calibre.id}/aliases", {"alias": "6,5 suédois"},
                 token_from=f"/reference/calibres/{calibre.id}")
    page = actions.client.get(f"/reference/calibres/{calibre.id}").get_data(as_text=True)
    assert "6,5 suédois" in page
    assert get_identifier("ML").identify(None, None, calibre="6,5 suédois").calibre == "6.5x55mm"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reference.calibre_created")) == 1


def test_a_calibre_written_like_one_in_the_table_is_refused_and_nothing_is_added(starter, world, login_as):
    from registry.reference.models import Calibre

    actions = login_as(world["ML"].user("platform_admin"))
    before = db.session.scalar(select(func.count()).select_from(Calibre))
    page = actions.post("/reference/calibres", {"name": "7,62 x 39 mm"}, follow_redirects=True).get_data(as_text=True)
    assert "Ce calibre est déjà dans la table sous le nom « 7.62x39mm »" in page
    assert db.session.scalar(select(func.count()).select_from(Calibre)) == before
    # A spelling that is another calibre's alias is refused too ("7.62 M43" is 7.62x39mm's).
    page = actions.post("/reference/calibres", {"name": "7.62 M43"}, follow_redirects=True).get_data(as_text=True)
    assert "« 7.62x39mm »" in page
    assert db.session.scalar(select(func.count()).select_from(Calibre)) == before
    # Renaming one calibre into another is refused the same way.
    nine = db.session.scalar(select(Calibre).where(Calibre.name.like("9x19mm%")))
    actions.post(f"/reference/calibres/{nine.id}", {"name": "7.62x39"})
    db.session.expire_all()
    assert db.session.get(Calibre, nine.id).name.startswith("9x19mm")


def test_merging_a_duplicate_calibre_repoints_every_record(starter, world, login_as):
    from registry.reference.models import Calibre
    from registry.weapons.models import Weapon
    from registry.weapons.service import create_weapon

    actions = login_as(world["ML"].user("platform_admin"))
    actions.post("/reference/calibres", {"name": "7.62 Soviet short"})
    duplicate = db.session.scalar(select(Calibre).where(Calibre.name == "7.62 Soviet short"))
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="CAL-1",
                           raw_calibre="7.62 Soviet short")
    db.session.commit()
    assert weapon.calibre_id == duplicate.id
    kept = db.session.scalar(select(Calibre).where(Calibre.name == "7.62x39mm"))
    page = actions.post(f"/reference/calibre/{duplicate.id}/merge", {"kept_id": kept.id, "confirm": "1"},
                        token_from=f"/reference/calibres/{duplicate.id}", follow_redirects=True)
    assert "7.62x39mm" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).calibre_id == kept.id
    assert db.session.get(Calibre, duplicate.id) is None


def test_a_platform_admin_names_a_weapon_type_in_french_and_english(starter, world, login_as):
    from registry.reference.models import WeaponType

    actions = login_as(world["ML"].user("platform_admin"))
    page = actions.client.get("/reference/types").get_data(as_text=True)
    assert "Fusil d&#39;assaut" in page or "Fusil d'assaut" in page
    actions.post("/reference/types", {"name_fr": "Carabine à air", "name_en": "Air rifle"})
    air = db.session.scalar(select(WeaponType).where(WeaponType.name_en == "Air rifle"))
    assert air.name_fr == "Carabine à air"
    actions.post(f"/reference/types/{air.id}", {"name_fr": "Carabine à air comprimé", "name_en": "Air rifle"})
    actions.post(f"/reference/type/{air.id}/aliases", {"alias": "fusil à plombs"}, token_from=f"/reference/types/{air.id}")
    db.session.expire_all()
    air = db.session.get(WeaponType, air.id)
    assert air.name_fr == "Carabine à air comprimé" and [alias.alias for alias in air.aliases] == ["fusil à plombs"]
    # A name another type has is refused; a name left empty too.
    page = actions.post(f"/reference/types/{air.id}", {"name_fr": "Pistolet", "name_en": "Air gun"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Un autre type d’arme porte ce nom : « Pistolet »" in page
    actions.post("/reference/types", {"name_fr": "Lance-grenades", "name_en": "Grenade launcher"})
    assert db.session.scalar(select(func.count()).select_from(WeaponType).where(
        WeaponType.name_en == "Grenade launcher")) == 1
    actions.post(f"/reference/types/{air.id}", {"name_fr": "", "name_en": "Air gun"})
    db.session.expire_all()
    assert db.session.get(WeaponType, air.id).name_en == "Air rifle"
