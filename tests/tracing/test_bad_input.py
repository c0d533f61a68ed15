"""Bad input gets a clear message, changes nothing, and never a 500."""

import io

from sqlalchemy import func, select

from registry.extensions import db
from registry.tracing.models import TraceAttachment, TraceEvent, TraceRequest
from tests.tracing.conftest import ITI_CONTENT, make_rifle
from tests.tracing.helpers import sent_trace


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def new_trace(actions, weapon_ids, country):
    return actions.post("/tracing/new", {"weapon": weapon_ids, "requested_country_code": country,
                                         "urgency": "normal", "then": "send", **ITI_CONTENT},
                        token_from="/tracing/new")


def test_a_trace_to_ones_own_country_is_refused(world, rifle, login_as):
    response = new_trace(login_as(world["ML"].user("tracing_officer")), [rifle.id], "ML")
    assert response.status_code == 400
    assert "another state" in response.get_data(as_text=True) or "autre État" in response.get_data(as_text=True)
    assert count(TraceRequest) == 0


def test_a_trace_to_a_country_with_no_agency_is_refused(world, rifle, login_as):
    response = new_trace(login_as(world["ML"].user("tracing_officer")), [rifle.id], "SN")
    # Senegal has no agency: it is not even offered, and the service says why.
    assert response.status_code == 400
    assert count(TraceRequest) == 0
    from registry.errors import DomainError
    from registry.tracing.service import create_trace_request

    try:
        create_trace_request(world["ML"].user("tracing_officer"), weapon_ids=[rifle.id],
                             requested_country_code="SN")
    except DomainError as error:
        assert "no agency" in str(error.message) or "aucun organisme" in str(error.message)
    else:
        raise AssertionError("a trace to a country with no agency was accepted")
    assert count(TraceRequest) == 0


def test_a_trace_with_no_weapon_is_refused(world, ivory_coast, login_as):
    response = new_trace(login_as(world["ML"].user("tracing_officer")), [], "CI")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "au moins une fiche d’arme" in page
    assert count(TraceRequest) == 0


def test_a_trace_on_a_weapon_the_user_may_not_see_is_refused(world, ivory_coast, login_as):
    niger_national = make_rifle(world["NE"].user("officer"), raw_serial="NE-NAT-1")
    response = new_trace(login_as(world["ML"].user("tracing_officer")), [niger_national.id], "CI")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "vous ne pouvez pas la voir" in page
    assert "NE-NAT-1" not in page
    assert count(TraceRequest) == 0


def test_a_move_not_allowed_from_the_current_state_changes_nothing(world, ivory_coast, rifle, login_as):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    events = count(TraceEvent)
    actions = login_as(world["ML"].user("tracing_officer"))
    response = actions.post(f"/tracing/{trace.id}/accept", {}, token_from=f"/tracing/{trace.id}")
    assert response.status_code == 400
    assert "ne peut pas passer par cette action" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TraceRequest, trace.id).status.value == "sent"
    assert count(TraceEvent) == events


def test_an_answer_by_the_requesting_side_is_refused(world, ivory_coast, rifle, login_as):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    actions = login_as(world["ML"].user("supervisor"))
    response = actions.post(f"/tracing/{trace.id}/answer", {"outcome": "traced", "importer": "Myself"},
                            token_from=f"/tracing/{trace.id}")
    assert response.status_code == 403
    assert "Seul l’organisme requis" in response.get_data(as_text=True)
    db.session.expire_all()
    trace = db.session.get(TraceRequest, trace.id)
    assert trace.status.value == "sent" and trace.outcome is None and trace.importer == ""


def test_an_executable_renamed_pdf_is_refused(app, world, ivory_coast, rifle, login_as, tmp_path):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    actions = login_as(world["ML"].user("tracing_officer"))
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    for name, data, message in (
            ("report.pdf", executable, "Seuls les documents PDF et les images PNG ou JPEG sont acceptés"),
            ("photo.png", b"\x89PNG\r\n\x1a\nnot really", "« photo.png » n’est ni l’un ni l’autre"),
            ("empty.pdf", b"", "Le fichier est vide.")):
        response = actions.post(f"/tracing/{trace.id}/attachments",
                                {"file": (io.BytesIO(data), name)}, token_from=f"/tracing/{trace.id}",
                                content_type="multipart/form-data")
        assert response.status_code == 303
        assert message in actions.client.get(f"/tracing/{trace.id}").get_data(as_text=True)
    assert count(TraceAttachment) == 0
    upload_folder = tmp_path / "uploads" / "tracing"
    assert not upload_folder.exists() or not any(upload_folder.rglob("*"))


def test_a_decline_without_a_reason_is_refused(world, ivory_coast, rifle, login_as):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    actions = login_as(ivory_coast.user("tracing_officer"))
    response = actions.post(f"/tracing/{trace.id}/decline", {"reason": "", "note": "Pas de registre."},
                            token_from=f"/tracing/{trace.id}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choisissez le motif" in page
    assert "Pas de registre." in page  # the note typed comes back
    db.session.expire_all()
    assert db.session.get(TraceRequest, trace.id).status.value == "sent"


def test_an_answer_with_every_field_wrong_comes_back_with_all_typed_and_every_error(
        world, ivory_coast, rifle, login_as):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    actions = login_as(ivory_coast.user("tracing_officer"))
    response = actions.post(f"/tracing/{trace.id}/answer", {
        "outcome": "", "answer_text": "Vendue par l'armurerie de Bouaké.", "exporter": "Armurerie de Bouaké",
        "exporter_country_code": "Pays imaginaire", "export_date": "31/02/2019",
        "importer_country_code": "Côte d’Ivoire", "import_date": "2999-01-01"},
        token_from=f"/tracing/{trace.id}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for typed in ("Vendue par l&#39;armurerie de Bouaké.", "Armurerie de Bouaké", "Pays imaginaire",
                  "31/02/2019", "Côte d’Ivoire", "2999-01-01"):
        assert typed in page
    for message in ("Choisissez le résultat", "« Pays imaginaire » n’est pas un pays",
                    "« 31/02/2019 » n’est pas un jour du calendrier", "Cette date est dans le futur"):
        assert message in page
    assert 'href="#exporter_country_code"' in page  # the summary links to the field
    assert 'aria-describedby="export_date-error"' in page
    db.session.expire_all()
    assert db.session.get(TraceRequest, trace.id).status.value == "sent"


def test_an_answer_takes_countries_by_their_name_in_french_or_english_or_their_code(
        world, ivory_coast, rifle, login_as):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    actions = login_as(ivory_coast.user("tracing_officer"))
    response = actions.post(f"/tracing/{trace.id}/answer", {
        "outcome": "traced", "importer": "Police nationale", "importer_country_code": "Côte d'Ivoire",
        "exporter": "Fabrique", "exporter_country_code": "Belgium", "last_legal_holder_country_code": "ml",
        "export_date": "15/03/2018", "import_date": "2019-04-02"}, token_from=f"/tracing/{trace.id}")
    assert response.status_code == 302
    db.session.expire_all()
    answered = db.session.get(TraceRequest, trace.id)
    assert (answered.importer_country_code, answered.exporter_country_code,
            answered.last_legal_holder_country_code) == ("CI", "BE", "ML")
    assert (answered.export_date.isoformat(), answered.import_date.isoformat()) == ("2018-03-15", "2019-04-02")


def test_the_api_refuses_bad_input_with_a_json_message(client, world, rifle):
    from registry.auth.service import create_api_token

    _token, plain = create_api_token(world["ML"].user("tracing_officer"), "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    for body, field in (({"weapon_ids": [rifle.id], "requested_country_code": "ML"}, "requested_country_code"),
                        ({"weapon_ids": [], "requested_country_code": "NE"}, "weapon_ids"),
                        ({"weapon_ids": ["x"], "requested_country_code": "NE"}, "weapon_ids.0"),
                        ({"weapon_ids": [rifle.id], "requested_country_code": "ZZ"}, "requested_country_code"),
                        ({"weapon_ids": [rifle.id], "requested_country_code": "NE", "colour": "red"}, "colour")):
        response = client.post("/api/v1/traces", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.mimetype == "application/problem+json"
        assert response.json["field"] == field and response.json["detail"], response.json
    assert count(TraceRequest) == 0
