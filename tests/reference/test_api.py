"""The reference table through /api/v1/reference: read by every user with records, changed
by the platform administrator only; a state's own spellings stay with it."""

from registry.auth.service import create_api_token
from registry.extensions import db
from registry.reference import service
from registry.reference.models import Make


def bearer(user, scopes=("read", "write")) -> dict:
    _token, plain = create_api_token(user, "script", scopes=scopes)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}", "Accept-Language": "fr"}


def test_a_state_reads_makes_models_calibres_and_types_with_the_spellings_it_may_see(starter, world, client):
    glock = db.session.scalar(db.select(Make).where(Make.name == "Glock"))
    service.add_alias(None, "make", glock.id, "Glok du Mali", country_code="ML", origin="review")
    service.add_alias(None, "make", glock.id, "Glokk du Niger", country_code="NE", origin="review")
    db.session.commit()
    headers = bearer(world["ML"].user("viewer"), scopes=("read",))

    found = client.get("/api/v1/reference/makes", query_string={"q": "glok"}, headers=headers)
    assert found.status_code == 200, found.json
    names = [item["name"] for item in found.json["items"]]
    assert names == ["Glock"]
    spellings = {alias["alias"] for alias in found.json["items"][0]["aliases"]}
    assert "Glok du Mali" in spellings and "Glokk du Niger" not in spellings

    detail = client.get(f"/api/v1/reference/makes/{glock.id}", headers=headers).json
    assert detail["models"] and all(model["make_id"] == glock.id for model in detail["models"])
    assert detail["model_count"] == len(detail["models"])

    first = client.get("/api/v1/reference/makes", query_string={"limit": 5}, headers=headers).json
    second = client.get("/api/v1/reference/makes", query_string={"limit": 5, "cursor": first["next_cursor"]},
                        headers=headers).json
    assert len(first["items"]) == 5 and second["items"][0]["name"] > first["items"][-1]["name"]
    changed = client.get("/api/v1/reference/makes", query_string={"cursor": first["next_cursor"] + "x"},
                         headers=headers)
    assert changed.status_code == 400 and changed.mimetype == "application/problem+json"

    calibres = client.get("/api/v1/reference/calibres", query_string={"q": "9x19"}, headers=headers).json
    assert any("9x19" in item["name"] for item in calibres["items"])
    types = client.get("/api/v1/reference/types", headers=headers).json["items"]
    assert {"name_en", "name_fr", "name_ar"} <= set(types[0]) and types[0]["name"] == types[0]["name_fr"]
    assert client.get("/api/v1/reference/makes/999999", headers=headers).status_code == 404

    from registry.audit.models import AuditEvent

    reads = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "reference.search")).all()
    assert any(event.details.get("via") == "api" and event.details.get("list") == "makes" for event in reads)


def test_only_the_platform_administrator_changes_the_table_and_bad_input_changes_nothing(starter, world, client):
    officer = bearer(world["ML"].user("officer"))
    refused = client.post("/api/v1/reference/makes", json={"name": "Atelier Kidal"}, headers=officer)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "rôle" in refused.json["detail"]

    admin_user = world["ML"].user("platform_admin")
    read_only = client.post("/api/v1/reference/makes", json={"name": "Atelier Kidal"},
                            headers=bearer(admin_user, scopes=("read",)))
    assert read_only.status_code == 403

    admin = bearer(admin_user)
    made = client.post("/api/v1/reference/makes", json={"name": "Atelier Kidal", "country": "ml"}, headers=admin)
    assert made.status_code == 201 and made.json["country"] == "ML"
    again = client.post("/api/v1/reference/makes", json={"name": "atelier kidal"}, headers=admin)
    assert again.status_code == 400 and again.json["field"] == "name"
    nowhere = client.post("/api/v1/reference/makes", json={"name": "Atelier Gao", "country": "QQ"}, headers=admin)
    assert nowhere.status_code == 400 and nowhere.json["field"] == "country"
    unknown_field = client.post("/api/v1/reference/makes", json={"name": "X", "colour": "red"}, headers=admin)
    assert unknown_field.status_code == 400

    model = client.post(f"/api/v1/reference/makes/{made.json['id']}/models", json={"name": "Pistolet K1"},
                        headers=admin)
    assert model.status_code == 201 and model.json["make_id"] == made.json["id"]
    alias = client.post("/api/v1/reference/aliases", json={"field": "make", "target_id": made.json["id"],
                                                            "alias": "Atl. Kidal"}, headers=admin)
    assert alias.status_code == 201 and alias.json["country"] is None
    from registry.reference.models import Calibre

    existing = db.session.scalar(db.select(Calibre).order_by(Calibre.id))
    twin = client.post("/api/v1/reference/calibres", json={"name": existing.name.upper()}, headers=admin)
    assert twin.status_code == 400 and twin.json["field"] == "name"
    assert db.session.scalar(db.select(db.func.count(Make.id)).where(Make.name == "Atelier Gao")) == 0
