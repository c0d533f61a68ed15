"""The JSON API carries the same workflow as the pages; request numbers run per country
and year; a supervisor approves when the agency requires it; a hit starts a trace."""

import re

from registry.auth.service import create_api_token, update_agency
from registry.extensions import db
from registry.tracing import service
from registry.tracing.models import TraceRequest
from tests.tracing.conftest import ITI_CONTENT, make_rifle
from tests.tracing.helpers import sent_trace


def bearer(user) -> dict:
    _token, plain = create_api_token(user, "script")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_a_script_sends_a_trace_and_the_other_side_answers_through_the_api(client, world, ivory_coast, rifle):
    mali, ivorian = bearer(world["ML"].user("tracing_officer")), bearer(ivory_coast.user("tracing_officer"))
    response = client.post("/api/v1/traces", headers=mali, json={
        "weapon_ids": [rifle.id], "requested_country_code": "CI", "send": True, **ITI_CONTENT})
    assert response.status_code == 201, response.json
    created = response.json
    assert created["status"] == "sent" and created["requested_agency"] == "CI-COMNAT"
    assert re.fullmatch(r"[0-9a-f]{64}", created["sha256"])
    listing = client.get("/api/v1/traces?box=inbox", headers=ivorian).json
    assert [item["reference"] for item in listing["items"]] == [created["reference"]]
    path = f"/api/v1/traces/{created['id']}"
    assert client.get(path, headers=ivorian).json["actions"] == [
        "acknowledge", "request_information", "restrict", "answer", "decline"]
    refused = client.post(f"{path}/answer", headers=mali, json={"outcome": "traced", "importer": "X"})
    assert refused.status_code == 403 and refused.json["detail"]
    answered = client.post(f"{path}/answer", headers=ivorian, json={
        "outcome": "partially_traced", "exporter": "Fabrique d'État", "exporter_country_code": "RU"})
    assert answered.status_code == 200 and answered.json["status"] == "answered"
    bad = client.post(f"{path}/fly", headers=mali, json={})
    assert bad.status_code == 400
    assert client.post(f"{path}/accept", headers=mali, json={}).json["status"] == "closed"
    assert [event["action"] for event in client.get(path, headers=mali).json["history"]] == [
        "create", "send", "answer", "accept"]


def test_request_numbers_run_per_requesting_country_and_year(world, ivory_coast, rifle):
    first = sent_trace(world["ML"].user("tracing_officer"), rifle)
    second = sent_trace(world["ML"].user("supervisor"), rifle)
    niger_rifle = make_rifle(world["NE"].user("officer"), raw_serial="NE-1")
    niger = sent_trace(world["NE"].user("tracing_officer"), niger_rifle)
    year = first.reference_year
    assert [first.reference, second.reference, niger.reference] == [
        f"TR-ML-{year}-0001", f"TR-ML-{year}-0002", f"TR-NE-{year}-0001"]


def test_an_agency_that_requires_approval_sends_only_after_its_supervisor(world, ivory_coast, rifle, browser):
    update_agency(world["ML"].user("platform_admin"), world["ML"].agency, requires_trace_approval=True)
    db.session.commit()
    trace = service.create_trace_request(world["ML"].user("tracing_officer"), weapon_ids=[rifle.id],
                                         requested_country_code="CI", **ITI_CONTENT)
    service.send(world["ML"].user("tracing_officer"), trace)
    db.session.commit()
    assert trace.status.value == "awaiting_approval" and trace.sent_at is None
    ivorian = browser(ivory_coast.user("tracing_officer"))
    assert trace.reference not in ivorian.client.get("/tracing/inbox").get_data(as_text=True)
    supervisor = browser(world["ML"].user("supervisor"))
    page = supervisor.client.get(f"/tracing/{trace.id}").get_data(as_text=True)
    assert "Approuver et envoyer" in page
    response = supervisor.post(f"/tracing/{trace.id}/approve", {}, token_from=f"/tracing/{trace.id}")
    assert response.status_code == 302
    db.session.expire_all()
    trace = db.session.get(TraceRequest, trace.id)
    assert trace.status.value == "sent" and trace.answer_due is not None
    assert trace.reference in ivorian.client.get("/tracing/inbox").get_data(as_text=True)


def test_the_form_suggests_the_country_of_last_legal_import_then_of_manufacture(world, ivory_coast, login_as):
    weapon = make_rifle(world["ML"].user("officer"), last_import_country_code="CI",
                        manufacture_country_code="BF")
    page = login_as(world["ML"].user("tracing_officer")).client.get(
        f"/tracing/new?weapon={weapon.id}").get_data(as_text=True)
    options = re.findall(r'<option (?:selected )?value="(\w\w)"', page)
    assert options[:2] == ["CI", "BF"]
    assert re.search(r'<option selected value="CI">', page)


def test_several_weapons_go_in_one_request(world, ivory_coast, rifle, login_as):
    other = make_rifle(world["ML"].user("officer"), raw_serial="KA-2")
    actions = login_as(world["ML"].user("tracing_officer"))
    page = actions.client.get(f"/tracing/new?weapon={rifle.id}&weapon={other.id}").get_data(as_text=True)
    assert rifle.reference in page and other.reference in page
    response = actions.post("/tracing/new", {"weapon": [rifle.id, other.id], "requested_country_code": "CI",
                                             "then": "draft", "urgency": "normal", **ITI_CONTENT},
                            token_from="/tracing/new")
    assert response.status_code == 302
    trace = db.session.scalars(db.select(TraceRequest)).one()
    assert {item.weapon_id for item in trace.weapons} == {rifle.id, other.id}
    assert trace.status.value == "draft"


def test_a_hit_starts_a_trace_to_the_state_that_owns_the_hit_record(world, login_as):
    from registry.weapons.models import Hit

    make_rifle(world["NE"].user("officer"), status="stolen", sharing="all", raw_serial="KA-777-1")
    seized = make_rifle(world["ML"].user("officer"), raw_serial="KA-777-1")
    hit = db.session.scalars(db.select(Hit).where(Hit.source_weapon_id == seized.id)).one()
    page = login_as(world["ML"].user("tracing_officer")).client.get(
        f"/tracing/new?hit={hit.id}").get_data(as_text=True)
    assert seized.reference in page
    assert re.search(r'<option selected value="NE">', page)
    assert re.search(rf'<option selected value="{world["NE"].agency.id}">', page)
