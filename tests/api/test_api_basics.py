from registry.auth.service import create_api_token
from registry.extensions import db


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_script_with_a_token_learns_who_it_is(client, world):
    _token, plain = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(plain))
    assert response.status_code == 200
    assert response.json["agency"] == {"code": "ML-CNLPAL", "name": "Commission ML", "country": "ML"}


def test_no_token_or_a_revoked_one_gets_a_json_401(client, world):
    from registry.auth.service import revoke_api_token

    officer = world["ML"].user("officer")
    token, plain = create_api_token(officer, "script")
    revoke_api_token(officer, token)
    db.session.commit()
    for headers in ({}, bearer(plain), bearer("rg_made-up")):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.json["detail"]


def test_a_token_opens_the_api_only_never_the_pages(client, world):
    _token, plain = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    response = client.post("/account", headers=bearer(plain), data={"action": "language"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_openapi_document_lists_the_api_routes(client, world, login_as):
    login_as(world["ML"].user("viewer"))
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]
