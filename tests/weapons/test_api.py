"""The weapons and hits API as a state's system uses it, with real tokens: Burkina Faso
reports a stolen weapon shared with all; Mali searches its serial and records a seizure
through the API, and each answer names the hit; Burkina Faso, reading Mali's shared
record through the API, finds none of the withheld fields; bad input is refused with a
problem document and changes nothing."""

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.service import create_api_token
from registry.extensions import db
from registry.weapons.models import (
    Hit,
    HitMeeting,
    HitStatus,
    HitWay,
    Sharing,
    Weapon,
    WeaponChange,
)

SERIAL = "KX-10-2345"
PROBLEM = "application/problem+json"


def bearer(user, scopes=("read", "write")) -> dict:
    _token, plain = create_api_token(user, "system", scopes=scopes)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def burkina(world):
    return bearer(world["BF"].user("officer"))


@pytest.fixture
def mali(world):
    return bearer(world["ML"].user("officer"))


@pytest.fixture
def stolen(client, burkina) -> dict:
    """Burkina Faso's stolen rifle, shared with every state, recorded through the API."""
    response = client.post("/api/v1/weapons", headers=burkina, json={
        "status": "stolen", "sharing": "all", "raw_serial": SERIAL, "raw_make": "Kalashnikov",
        "raw_model": "AKM", "event_date": "2025-11-02", "event_town": "Bobo-Dioulasso"})
    assert response.status_code == 201, response.json
    assert response.json["hits"] == []
    return response.json


def test_a_seizure_recorded_through_the_api_names_the_hit_on_both_sides(client, world, burkina, mali,
                                                                         stolen):
    response = client.post("/api/v1/weapons", headers=mali, json={
        "status": "seized", "raw_serial": "kx 1O-2345", "raw_make": "Kalashnikov", "raw_model": "AKM"})
    assert response.status_code == 201
    seized = response.json
    assert seized["reference"].startswith("ML-") and seized["sees_everything"] is True
    [hit] = seized["hits"]
    assert hit["other"] == {"weapon_id": stolen["id"], "reference": stolen["reference"], "country": "BF",
                            "agency": "BF-CNCA", "status": "stolen"}
    # The same serial, the make written alike (no reference table is loaded here).
    assert hit["match"] == "exact" and hit["score"] == 0.9 and hit["status"] == "new"
    meeting = db.session.scalars(select(HitMeeting).where(HitMeeting.hit_id == hit["id"])).one()
    assert meeting.way is HitWay.API

    # Both records' answers list it, each naming the other side.
    mine = client.get(f"/api/v1/weapons/{seized['id']}", headers=mali).json
    assert [item["other"]["reference"] for item in mine["hits"]] == [stolen["reference"]]
    theirs = client.get(f"/api/v1/weapons/{stolen['id']}", headers=burkina).json
    assert [item["other"]["reference"] for item in theirs["hits"]] == [seized["reference"]]
    assert theirs["hits"][0]["other"]["country"] == "ML"

    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.create")
                                 .order_by(AuditEvent.id.desc())).first()
    assert created.details == {"reference": seized["reference"], "via": "api"}


def test_a_serial_searched_twice_through_the_api_names_the_hit_twice(client, world, mali, stolen):
    for typed in ("kx 1O 2345", "KX102345"):
        response = client.get("/api/v1/weapons", headers=mali, query_string={"serial": typed})
        assert response.status_code == 200
        answer = response.json
        assert answer["serial_key"] == "KX102345"
        assert [item["reference"] for item in answer["items"]] == [stolen["reference"]]
        assert answer["items"][0]["score"] == 1.0
        [hit] = answer["hits"]
        assert hit["other"]["reference"] == stolen["reference"] and hit["other"]["status"] == "stolen"
    stored = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == stolen["id"])).one()
    assert stored.id == hit["id"] and stored.times_met == 2 and hit["times_met"] == 2
    searches = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.search")).all()
    assert len(searches) == 2 and all(event.details["via"] == "api" for event in searches)
    assert searches[-1].details["hits"] == [stored.id]


def test_partial_and_exact_serial_searches_answer_through_the_same_search(client, world, mali, stolen):
    answer = client.get("/api/v1/weapons", headers=mali,
                        query_string={"serial": "0234", "match": "contains"}).json
    assert [item["reference"] for item in answer["items"]] == [stolen["reference"]]
    assert answer["serial_key"] == "0234"
    # A near serial (one digit off) is found by `near`, not by `exact`.
    near = client.get("/api/v1/weapons", headers=mali, query_string={"serial": "KX102346"}).json
    assert [item["reference"] for item in near["items"]] == [stolen["reference"]]
    assert near["items"][0]["score"] < 1
    exact = client.get("/api/v1/weapons", headers=mali,
                       query_string={"serial": "KX102346", "match": "exact"}).json
    assert exact["items"] == [] and exact["count"] == 0


SECRETS = {
    "notes": "SECRET-NOTES-4417", "circumstances": "SECRET-CIRCUMSTANCES-2291",
    "criminal_context": "SECRET-CONTEXT-8830", "case_reference": "SECRET-CASE-6102",
    "event_town": "SECRET-TOWN-3379", "event_region": "SECRET-REGION-5521",
    "legal_ground": "SECRET-GROUND-7043", "latitude": 14.4937125, "longitude": -4.1968211,
}


def secrets_in(text: str) -> list[str]:
    found = [name for name, value in SECRETS.items() if str(value) in text]
    # The day of the event and the names of the owner's staff are withheld too.
    found += ["event_date"] if "2024-03-17" in text else []
    found += ["staff"] if "officer ML" in text else []
    return found


def test_another_state_reading_a_shared_record_through_the_api_finds_no_withheld_field(
        client, world, mali, burkina):
    response = client.post("/api/v1/weapons", headers=mali, json={
        "status": "stolen", "sharing": "all", "raw_serial": "MZ-778812", "raw_make": "Beretta",
        "raw_model": "92FS", "event_date": "2024-03-17", "event_country_code": "ML", **SECRETS})
    assert response.status_code == 201
    record = response.json
    # The owner gets every field back: the secrets are there to be found.
    assert set(secrets_in(response.get_data(as_text=True))) >= set(SECRETS)

    answers = {
        "record": client.get(f"/api/v1/weapons/{record['id']}", headers=burkina),
        "list": client.get("/api/v1/weapons", headers=burkina, query_string={"country": "ML"}),
        "search": client.get("/api/v1/weapons", headers=burkina, query_string={"serial": "MZ 778812"}),
        "partial": client.get("/api/v1/weapons", headers=burkina,
                              query_string={"serial": "778812", "match": "suffix"}),
        "seizure": client.post("/api/v1/weapons", headers=burkina, json={
            "status": "seized", "raw_serial": "MZ778812", "raw_make": "Beretta"}),
    }
    hit_id = answers["seizure"].json["hits"][0]["id"]
    answers["hit"] = client.get(f"/api/v1/hits/{hit_id}", headers=burkina)
    answers["hits"] = client.get("/api/v1/hits", headers=burkina)
    for name, answer in answers.items():
        assert answer.status_code in (200, 201), (name, answer.json)
        assert secrets_in(answer.get_data(as_text=True)) == [], name
    shown = answers["record"].json
    assert shown["sees_everything"] is False
    assert shown["reference"] == record["reference"] and shown["raw_serial"] == "MZ-778812"
    assert shown["event_month"] == "2024-03" and shown["event_country_code"] == "ML"
    assert shown["status"] == "stolen" and shown["agency"] == "ML-CNLPAL"
    assert "notes" not in shown and "event_date" not in shown
    assert answers["hit"].json["wanted"]["reference"] == record["reference"]
    # Mali, the owner, reading the same hit, sees its record whole.
    owner_view = client.get(f"/api/v1/hits/{hit_id}", headers=mali).json
    assert owner_view["wanted"]["notes"] == SECRETS["notes"]


def test_a_read_token_reads_but_changes_nothing(client, world, stolen):
    reader = bearer(world["ML"].user("officer"), scopes=("read",))
    assert client.get("/api/v1/weapons", headers=reader).status_code == 200
    before = count(Weapon)
    response = client.post("/api/v1/weapons", headers=reader, json={"status": "seized", "raw_serial": "A-9912"})
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert response.json["type"] == "urn:registry:problem:scope-missing"
    assert count(Weapon) == before


def test_a_viewer_may_search_but_not_record_or_decide(client, world, stolen):
    viewer = bearer(world["ML"].user("viewer"))
    assert client.get("/api/v1/weapons", headers=viewer, query_string={"serial": SERIAL}).status_code == 200
    before = count(Weapon)
    response = client.post("/api/v1/weapons", headers=viewer, json={"status": "seized", "raw_serial": "A-9912"})
    assert response.status_code == 403 and response.json["type"] == "urn:registry:problem:not-allowed"
    assert "rôle" in response.json["detail"]
    assert count(Weapon) == before
    hit_id = db.session.scalar(select(Hit.id).where(Hit.hit_weapon_id == stolen["id"]))
    response = client.post(f"/api/v1/hits/{hit_id}/confirm", headers=viewer, json={})
    assert response.status_code == 403
    assert db.session.get(Hit, hit_id).status is HitStatus.NEW


def test_bad_input_is_a_clear_problem_in_the_users_language_and_changes_nothing(client, world, mali,
                                                                               stolen):
    weapons_before, changes_before = count(Weapon), count(WeaponChange)
    short = client.get("/api/v1/weapons", headers=mali, query_string={"serial": "KX1", "match": "contains"})
    assert short.status_code == 400 and short.mimetype == PROBLEM
    assert short.json["field"] == "serial" and "au moins 4" in short.json["detail"]

    unknown = client.post("/api/v1/weapons", headers=mali, json={"status": "seized", "colour": "black"})
    assert unknown.status_code == 400 and unknown.json["field"] == "colour"
    assert unknown.json["type"] == "urn:registry:problem:invalid-body"

    future = client.post("/api/v1/weapons", headers=mali, json={
        "status": "seized", "raw_serial": "ZZ-1234", "event_date": "2099-01-01", "event_country_code": "QQ"})
    assert future.status_code == 400 and future.json["type"] == "urn:registry:problem:refused"
    assert set(future.json["errors"]) == {"event_date", "event_country_code"}
    assert "futur" in future.json["errors"]["event_date"][0]

    # Burkina Faso's record is seen by Mali, not Mali's to change or share.
    for method, path, body in (("PATCH", f"/api/v1/weapons/{stolen['id']}", {"version": 1, "notes": "x"}),
                               ("POST", f"/api/v1/weapons/{stolen['id']}/share", {"sharing": "national"})):
        response = client.open(path, method=method, headers=mali, json=body)
        assert response.status_code == 403 and response.mimetype == PROBLEM
        assert "Seul l'organisme qui a enregistré cette arme" in response.json["detail"]
    assert db.session.get(Weapon, stolen["id"]).sharing is Sharing.ALL

    # Niger's national record, Niger and Burkina Faso's hit, an id that does not exist: 404.
    for path in (f"/api/v1/weapons/{world.ne_weapon_id}", f"/api/v1/hits/{world.ne_hit_id}",
                 "/api/v1/weapons/99999999", "/api/v1/hits/99999999"):
        response = client.get(path, headers=mali)
        assert response.status_code == 404 and response.mimetype == PROBLEM, path
    response = client.post(f"/api/v1/hits/{world.ne_hit_id}/confirm", headers=mali, json={})
    assert response.status_code == 404
    assert db.session.get(Hit, world.ne_hit_id).status is HitStatus.NEW

    tampered = client.get("/api/v1/weapons", headers=mali, query_string={"cursor": "made-up"})
    assert tampered.status_code == 400 and tampered.json["type"] == "urn:registry:problem:invalid-cursor"
    assert (count(Weapon), count(WeaponChange)) == (weapons_before, changes_before)


def test_a_change_needs_the_version_read_and_a_stale_one_changes_nothing(client, world, burkina, stolen):
    path = f"/api/v1/weapons/{stolen['id']}"
    missing = client.patch(path, headers=burkina, json={"notes": "Recovered abroad?"})
    assert missing.status_code == 400 and missing.json["field"] == "version"
    changed = client.patch(path, headers=burkina, json={"version": stolen["version"], "status": "lost",
                                                        "notes": "Reported lost, not stolen"})
    assert changed.status_code == 200, changed.json
    assert changed.json["status"] == "lost" and changed.json["version"] == stolen["version"] + 1
    stale = client.patch(path, headers=burkina, json={"version": stolen["version"], "notes": "Other text"})
    assert stale.status_code == 409 and stale.json["type"] == "urn:registry:problem:stale-record"
    assert "status" in stale.json["detail"]
    db.session.expire_all()
    weapon = db.session.get(Weapon, stolen["id"])
    assert weapon.notes == "Reported lost, not stolen"
    shared = client.post(f"{path}/share", headers=burkina, json={"sharing": "national"})
    assert shared.status_code == 200 and shared.json["sharing"] == "national"
    db.session.expire_all()
    assert db.session.get(Weapon, stolen["id"]).sharing is Sharing.NATIONAL


def test_the_owner_confirms_a_hit_and_the_other_side_dismisses_only_with_a_reason(client, world, burkina,
                                                                                 mali, stolen):
    seized = client.post("/api/v1/weapons", headers=mali, json={
        "status": "seized", "raw_serial": SERIAL, "raw_make": "Kalashnikov"}).json
    hit_id = seized["hits"][0]["id"]
    listed = client.get("/api/v1/hits", headers=burkina, query_string={"status": "new"}).json
    by_id = {item["id"]: item for item in listed["items"]}
    assert by_id[hit_id]["source"]["reference"] == seized["reference"]
    assert by_id[hit_id]["other"]["reference"] == seized["reference"]

    no_reason = client.post(f"/api/v1/hits/{hit_id}/dismiss", headers=mali, json={})
    assert no_reason.status_code == 400 and no_reason.json["field"] == "reason"
    too_short = client.post(f"/api/v1/hits/{hit_id}/dismiss", headers=mali, json={"reason": "no"})
    assert too_short.status_code == 400 and "5 caractères" in too_short.json["detail"]
    assert db.session.get(Hit, hit_id).status is HitStatus.NEW

    confirmed = client.post(f"/api/v1/hits/{hit_id}/confirm", headers=burkina,
                            json={"reason": "Same rifle: the importer marking matches."})
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["decided_at"]
    decided = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.hit_decided")).one()
    assert decided.details["via"] == "api" and decided.details["status"] == "confirmed"


def test_lists_page_by_cursor_to_the_end(client, world, mali):
    officer = world["ML"].user("officer")
    from registry.weapons.service import create_weapon

    made = [create_weapon(officer, status="seized", raw_serial=f"PG-{number:04d}", raw_make="Beretta").id
            for number in range(5)]
    db.session.commit()
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "country": "ML"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/weapons", headers=mali, query_string=query).json
        assert len(page["items"]) <= 2 and page["count"] == 5
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    # A serial search's ranked results page the same way; a cursor of one list is refused by another.
    first = client.get("/api/v1/weapons", headers=mali,
                       query_string={"serial": "PG-000", "match": "prefix", "limit": 3}).json
    second = client.get("/api/v1/weapons", headers=mali, query_string={
        "serial": "PG-000", "match": "prefix", "limit": 3, "cursor": first["next_cursor"]}).json
    assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert {item["id"] for item in first["items"] + second["items"]} == set(made)
    other_list = client.get("/api/v1/weapons", headers=mali, query_string={"cursor": first["next_cursor"]})
    assert other_list.status_code == 400
    # A changed cursor is refused before the search runs: nothing is searched or recorded.
    searches = count(AuditEvent)
    changed = client.get("/api/v1/weapons", headers=mali, query_string={
        "serial": "PG-000", "match": "prefix", "cursor": first["next_cursor"][:-2] + "xx"})
    assert changed.status_code == 400 and changed.json["type"] == "urn:registry:problem:invalid-cursor"
    assert count(AuditEvent) == searches


def queries_of(call) -> int:
    from sqlalchemy import event

    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_lists_of_records_and_hits_make_as_many_queries_whatever_their_size(client, world, mali):
    from registry.weapons.service import create_weapon

    burkina, officer = world["BF"].user("officer"), world["ML"].user("officer")
    counts = []
    for batch in (2, 12):
        for number in range(batch):
            serial = f"QC-{batch}-{number:04d}"
            create_weapon(burkina, status="stolen", sharing="all", raw_serial=serial, raw_make="Beretta")
            create_weapon(officer, status="seized", raw_serial=serial, raw_make="Beretta")
        db.session.commit()

        def lists(batch=batch):
            for path in ("/api/v1/weapons", "/api/v1/hits"):
                response = client.get(path, headers=mali)
                assert response.status_code == 200 and len(response.json["items"]) >= batch

        lists()  # what a session loads once (the countries of the agencies) is not counted
        counts.append(queries_of(lists))
    assert counts[0] == counts[1], counts


def test_another_state_reads_the_identification_and_the_owner_updates_its_record_after_a_confirmed_hit(
        client, world, burkina, mali):
    from registry.reference.cli import STARTER_TABLE
    from registry.reference.service import load_reference_file

    load_reference_file(None, STARTER_TABLE, "starter.xlsx")
    db.session.commit()
    stolen = client.post("/api/v1/weapons", headers=burkina, json={
        "status": "stolen", "sharing": "all", "raw_serial": "KA-5566", "raw_make": "Kalachnikov",
        "raw_model": "AKM", "raw_calibre": "7.62x39", "raw_type": "fusil d'assaut"}).json
    seen = client.get(f"/api/v1/weapons/{stolen['id']}", headers=mali).json
    assert seen["sees_everything"] is False
    assert seen["identified"]["make"]["name"] == "Kalashnikov" and seen["identified"]["model"]["name"] == "AKM"
    assert seen["identified"]["type"] is not None and seen["identified"]["method"]

    # Mali searched the serial read on a ground-off weapon it seized: it confirms the search's
    # hit, naming its own record of it.
    searched = client.get("/api/v1/weapons", headers=mali, query_string={"serial": "KA5566", "make": "Kalashnikov"}).json
    [hit] = searched["hits"]
    assert hit["other"]["reference"] == stolen["reference"] and hit["score"] == 1.0
    officer = world["ML"].user("officer")
    from registry.weapons.service import create_weapon

    seizure = create_weapon(officer, status="seized", serial_state="obliterated", raw_make="Kalashnikov")
    db.session.commit()
    before = client.get("/api/v1/hits", headers=burkina, query_string={"side": "owner"}).json["items"]
    assert hit["id"] in [item["id"] for item in before]
    assert all(item["owner_agency"] == "BF-CNCA" for item in before)
    early = client.post(f"/api/v1/hits/{hit['id']}/update-record", headers=burkina, json={"status": "seized"})
    assert early.status_code == 400  # only a confirmed hit asks for it
    confirmed = client.post(f"/api/v1/hits/{hit['id']}/confirm", headers=mali, json={
        "reason": "Our seizure at Gao", "linked_reference": seizure.reference})
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["source"]["reference"] == seizure.reference
    again = client.post(f"/api/v1/hits/{hit['id']}/dismiss", headers=mali, json={"reason": "Changed our mind"})
    assert again.status_code == 400 and again.json["type"] == "urn:registry:problem:refused"
    by_mali = client.post(f"/api/v1/hits/{hit['id']}/update-record", headers=mali, json={"status": "seized"})
    assert by_mali.status_code == 403
    updated = client.post(f"/api/v1/hits/{hit['id']}/update-record", headers=burkina, json={"status": "seized"})
    assert updated.status_code == 200, updated.json
    assert updated.json["wanted"]["status"] == "seized"
    db.session.expire_all()
    assert db.session.get(Weapon, stolen["id"]).status.value == "seized"


def image(colour: str) -> bytes:
    import io

    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(output, "PNG")
    return output.getvalue()


def test_another_state_sees_and_downloads_only_the_photos_the_owner_marked_shareable(client, world, mali,
                                                                                    burkina):
    import io

    record = client.post("/api/v1/weapons", headers=mali, json={
        "status": "stolen", "sharing": "all", "raw_serial": "PH-4410", "raw_make": "Beretta"}).json
    uploads = {}
    for name, shareable in (("shared", "true"), ("kept", "false")):
        response = client.post(f"/api/v1/weapons/{record['id']}/photos", headers=mali,
                               content_type="multipart/form-data", data={
                                   "photo": (io.BytesIO(image("red")), f"{name}.png"),
                                   "caption": f"Side view {name}", "shareable": shareable})
        assert response.status_code == 201, response.json
        uploads[name] = response.json
    assert uploads["shared"]["shareable"] is True and uploads["kept"]["shareable"] is False
    not_a_photo = client.post(f"/api/v1/weapons/{record['id']}/photos", headers=mali,
                              content_type="multipart/form-data",
                              data={"photo": (io.BytesIO(b"%PDF-1.4"), "scan.pdf")})
    assert not_a_photo.status_code == 400 and not_a_photo.json["field"] == "photo"

    owner = client.get(f"/api/v1/weapons/{record['id']}", headers=mali).json
    assert {photo["id"] for photo in owner["photos"]} == {uploads["shared"]["id"], uploads["kept"]["id"]}
    other = client.get(f"/api/v1/weapons/{record['id']}", headers=burkina).json
    assert [photo["id"] for photo in other["photos"]] == [uploads["shared"]["id"]]
    downloaded = client.get(uploads["shared"]["url"], headers=burkina)
    assert downloaded.status_code == 200 and downloaded.mimetype == "image/png"
    assert downloaded.data == image("red")
    assert client.get(uploads["shared"]["thumbnail_url"], headers=burkina).mimetype == "image/jpeg"
    hidden = client.get(uploads["kept"]["url"], headers=burkina)
    assert hidden.status_code == 404 and hidden.mimetype == PROBLEM
    refused = client.post(f"/api/v1/weapons/photos/{uploads['kept']['id']}/share", headers=burkina,
                          json={"shareable": True})
    assert refused.status_code == 404
    shared = client.post(f"/api/v1/weapons/photos/{uploads['kept']['id']}/share", headers=mali,
                         json={"shareable": True})
    assert shared.status_code == 200 and shared.json["shareable"] is True
    assert client.get(uploads["kept"]["url"], headers=burkina).status_code == 200
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.photo_download")).all()
    assert len(downloads) == 2 and all(event.details["via"] == "api" for event in downloads)


def test_a_pasted_list_and_a_sequence_are_searched_as_on_the_search_page(client, world, stolen):
    from registry.weapons.service import create_weapon

    officer = world["ML"].user("officer")
    for number in (1200, 1201, 1450, 1451):
        create_weapon(officer, status="seized", raw_serial=f"AB {number}", raw_make="Beretta")
    db.session.commit()
    reader = bearer(world["ML"].user("viewer"), scopes=("read",))
    listed = client.post("/api/v1/weapons/serial-list", headers=reader,
                         json={"serials": ["ab-1200", "", SERIAL, "NOTHING-LIKE-IT"]})
    assert listed.status_code == 200, listed.json
    lines = listed.json["lines"]
    assert [line["typed"] for line in lines] == ["ab-1200", SERIAL, "NOTHING-LIKE-IT"]
    assert [item["raw_serial"] for item in lines[0]["items"]] == ["AB 1200"] and lines[2]["items"] == []
    assert listed.json["matched"] == 2
    assert [hit["other"]["reference"] for hit in listed.json["hits"]] == [stolen["reference"]]
    for serials in (["  ", ""], [f"S-{number}" for number in range(501)]):
        refused = client.post("/api/v1/weapons/serial-list", headers=reader, json={"serials": serials})
        assert refused.status_code == 400 and refused.json["field"] == "serials"

    shipment = client.get("/api/v1/weapons/sequence", headers=reader,
                          query_string={"make": "Beretta", "first": "AB 1200", "last": "AB1450"}).json
    assert [item["raw_serial"] for item in shipment["items"]] == ["AB 1200", "AB 1201", "AB 1450"]
    too_long = client.get("/api/v1/weapons/sequence", headers=reader,
                          query_string={"make": "Beretta", "first": "AB 1", "last": "AB 20000"})
    assert too_long.status_code == 400 and too_long.json["field"] == "last"
    assert "10" in too_long.json["detail"]
    searches = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.search")).all()
    assert {event.details["kind"] for event in searches} == {"list", "sequence"}
