"""The API's framework as a script meets it: schemas checked on the way in, problem
documents in the user's language, cursors, token scopes, expiry and rate limit, the
OpenAPI document and its page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import create_app
from registry.audit.models import AuditEvent
from registry.auth.models import ApiToken
from registry.auth.service import create_api_token
from registry.extensions import db, utcnow
from registry.notifications.service import notify
from tests.conftest import make_config


@pytest.fixture
def rifle_of_mali(world) -> int:
    from tests.tracing.conftest import make_rifle

    return make_rifle(world["ML"].user("officer")).id


def bearer(user, scopes=("read", "write"), days=90) -> dict:
    _token, plain = create_api_token(user, "script", scopes=scopes, days=days)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def audited(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_unknown_field_is_refused_with_a_french_problem_document(client, world, rifle_of_mali):
    response = client.post("/api/v1/traces", headers=bearer(world["ML"].user("tracing_officer")), json={
        "weapon_ids": [rifle_of_mali], "requested_country_code": "NE", "colour": "red"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["type"] == "urn:registry:problem:invalid-body"
    assert problem["title"] == "Requête incorrecte" and problem["instance"] == "/api/v1/traces"
    assert problem["errors"] == {"colour": ["Ce champ n'est pas connu ici."]}
    assert problem["detail"] == "La requête ne correspond pas à son schéma : colour: Ce champ n'est pas connu ici."


def test_a_body_of_the_wrong_shape_names_each_field_in_english_for_an_english_user(client, world):
    from registry.auth.service import set_language

    officer = world["ML"].user("officer")
    set_language(officer, "en")
    headers = bearer(officer)
    response = client.post("/api/v1/identify", headers=headers, json={"rows": [{"make": 12}, "AK"]})
    assert response.status_code == 400
    assert response.json["errors"] == {"rows.0.make": ["Not a text."], "rows.1": ["Not an object."]}
    broken = client.post("/api/v1/identify", headers=headers | {"Content-Type": "application/json"},
                         data="{not json")
    assert broken.status_code == 400 and broken.json["errors"] == {"body": ["The body is not valid JSON."]}


def test_an_expired_or_revoked_token_is_told_why_and_the_refusal_is_audited(client, world):
    officer = world["ML"].user("officer")
    expired_token, expired = create_api_token(officer, "old script", days=1)
    expired_token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json["type"] == "urn:registry:problem:token-expired"
    assert response.json["detail"] == "Ce jeton d'API a expiré : créez-en un nouveau sur la page de votre compte."
    assert [event.details["reason"] for event in audited("api.refused")] == ["token_expired"]


def test_a_read_only_token_reads_and_identifies_but_never_writes(client, world, rifle_of_mali):
    headers = bearer(world["ML"].user("tracing_officer"), scopes=("read",))
    assert client.get("/api/v1/me", headers=headers).json["scopes"] == ["read"]
    assert client.post("/api/v1/identify", headers=headers, json={"rows": [{"model": "AK-47"}]}).status_code == 200
    refused = client.post("/api/v1/traces", headers=headers, json={
        "weapon_ids": [rifle_of_mali], "requested_country_code": "NE"})
    assert refused.status_code == 403 and refused.json["type"] == "urn:registry:problem:scope-missing"
    assert "écriture" in refused.json["detail"] or "write" in refused.json["detail"]
    assert [event.details["needed"] for event in audited("api.refused")] == ["write"]
    from registry.tracing.models import TraceRequest

    assert db.session.scalar(select(TraceRequest.id)) is None


def test_lists_page_by_cursor_and_a_changed_cursor_is_a_clear_problem(client, world):
    officer = world["ML"].user("officer")
    for number in range(5):
        notify(user_id=officer.id, kind="test", message=f"Message {number}")
    db.session.commit()
    headers = bearer(officer)
    first = client.get("/api/v1/notifications?limit=2", headers=headers).json
    second = client.get(f"/api/v1/notifications?limit=2&cursor={first['next_cursor']}", headers=headers).json
    third = client.get(f"/api/v1/notifications?limit=2&cursor={second['next_cursor']}", headers=headers).json
    texts = [item["text"] for page in (first, second, third) for item in page["items"]]
    assert texts == [f"Message {number}" for number in (4, 3, 2, 1, 0)] and third["next_cursor"] is None
    tampered = first["next_cursor"][:-3] + ("AAA" if not first["next_cursor"].endswith("AAA") else "BBB")
    response = client.get(f"/api/v1/notifications?cursor={tampered}", headers=headers)
    assert response.status_code == 400 and response.json["type"] == "urn:registry:problem:invalid-cursor"
    assert response.json["field"] == "cursor" and "première page" in response.json["detail"]
    # A cursor of another list is refused too, not read as a position in this one.
    other_list = client.get(f"/api/v1/traces?cursor={first['next_cursor']}", headers=headers)
    assert other_list.status_code == 400 and other_list.json["field"] == "cursor"


def test_one_notification_is_marked_read_and_another_agencys_is_not_found(client, world):
    officer = world["ML"].user("officer")
    mine = notify(user_id=officer.id, kind="test", message="For Mali")
    db.session.commit()
    headers = bearer(officer)
    marked = client.post(f"/api/v1/notifications/{mine.id}/read", headers=headers)
    assert marked.status_code == 200 and marked.json["read_at"] is not None
    foreign = client.post(f"/api/v1/notifications/{world.foreign_notification_id}/read", headers=headers)
    assert foreign.status_code == 404 and foreign.mimetype == "application/problem+json"


def test_each_token_has_its_own_rate_limit(migrated_database, tmp_path):
    app = create_app(make_config(migrated_database, tmp_path) | {"API_RATE_LIMIT": "3 per minute"})
    with app.app_context():
        from tests.conftest import build_world

        try:
            world = build_world()
            busy, quiet = bearer(world["ML"].user("officer")), bearer(world["ML"].user("viewer"))
            client = app.test_client()
            answers = [client.get("/api/v1/me", headers=busy).status_code for _ in range(4)]
            assert answers == [200, 200, 200, 429]
            limited = client.get("/api/v1/me", headers=busy)
            assert limited.json["type"] == "urn:registry:problem:rate-limited"
            assert client.get("/api/v1/me", headers=quiet).status_code == 200
        finally:
            db.session.rollback()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    if table.name not in {"country", "alembic_version"}:
                        connection.execute(table.delete())
            db.engine.dispose()


def test_the_openapi_document_describes_every_request_and_response(client, world, login_as):
    login_as(world["ML"].user("viewer"))
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if method != "parameters"]
    assert {path for path, _method, _operation in operations} >= {
        "/api/v1/me", "/api/v1/traces", "/api/v1/traces/{trace_id}", "/api/v1/traces/{trace_id}/{action}",
        "/api/v1/imports", "/api/v1/imports/{import_id}", "/api/v1/imports/{import_id}/rows",
        "/api/v1/identify", "/api/v1/notifications", "/api/v1/notifications/{notification_id}/read"}
    for path, method, operation in operations:
        ok = [code for code in operation["responses"] if code.startswith("2")]
        assert ok and "content" in operation["responses"][ok[0]], (method, path)
        assert "default" in operation["responses"], (method, path)
        if method == "post" and path not in ("/api/v1/notifications/read",) and not path.endswith("}/read"):
            assert "requestBody" in operation, (method, path)
    problem = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_the_documentation_page_loads_only_the_registrys_own_files(client, world, login_as):
    login_as(world["ML"].user("viewer"))
    page = client.get("/docs/api").get_data(as_text=True)
    assert "Documentation de l'API" in page and "/api/v1/openapi.json" in page
    assert "http://" not in page.replace("http://registry.test", "") and "https://" not in page
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_a_token_made_on_the_command_line_has_its_scopes_and_expiry(app, world):
    result = app.test_cli_runner().invoke(args=[
        "users", "token", "--email", world["ML"].user("officer").email, "--name", "customs link",
        "--scope", "read", "--days", "30"])
    assert result.exit_code == 0 and result.output.strip().startswith("rg_")
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "customs link"))
    assert token.scope_list == ["read"]
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    refused = app.test_cli_runner().invoke(args=[
        "users", "token", "--email", world["ML"].user("officer").email, "--name", "x", "--days", "999"])
    assert refused.exit_code != 0 and "366" in refused.output


def test_a_read_only_token_is_made_on_the_account_page(world, login_as):
    actions = login_as(world["ML"].user("officer"))
    response = actions.post("/account", {"action": "token", "name": "lecture", "scopes": "read",
                                         "days": "10"})
    assert response.status_code == 302
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "lecture"))
    assert token.scope_list == ["read"]
    page = actions.client.get("/account").get_data(as_text=True)
    assert "lecture seule" in page and token.expires_at.strftime("%d/%m/%Y") in page
