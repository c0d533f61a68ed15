import html

import pytest

from registry import create_app
from registry.config import ConfigurationError


def test_unknown_page_answers_404_in_french(client, world, login_as):
    login_as(world["ML"].user("officer"))
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Cette page n'existe pas" in html.unescape(response.get_data(as_text=True))


def test_malformed_id_in_url_answers_404_not_500(client, world, login_as):
    login_as(world["ML"].user("agency_admin"))
    assert client.get("/admin/users/abc").status_code == 404
    assert client.get("/admin/users/99999999999999999999").status_code == 404


def test_oversize_request_answers_413_with_a_message(app, client, world, login_as):
    login_as(world["ML"].user("officer"))
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/account", data={"action": "language", "x": "a" * 5000})
    assert response.status_code == 413
    assert "dépasse la taille autorisée" in response.get_data(as_text=True)


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_pages_carry_strict_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_page_loads_an_asset_from_the_internet(client):
    page = client.get("/login").get_data(as_text=True)
    assert "http://" not in page and "https://" not in page


def test_production_without_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.delenv("REGISTRY_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="REGISTRY_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_login_is_rate_limited_and_the_refusal_is_audited(app, migrated_database, tmp_path):
    from sqlalchemy import select

    from registry.audit.models import AuditEvent
    from registry.extensions import db
    from tests.conftest import Actions, make_config

    limited_app = create_app(make_config(migrated_database, tmp_path) | {"RATELIMIT_ENABLED": True})
    client = limited_app.test_client()
    with limited_app.app_context():
        token = Actions(client).csrf_token("/login")
        codes = [client.post("/login", data={"email": "x@y.example", "password": "nope-nope",
                                             "csrf_token": token}).status_code for _ in range(12)]
        assert codes[:10] == [401] * 10
        assert codes[10:] == [429, 429]
        assert "Trop de tentatives" in client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "http.rate_limited"))


def test_an_unexpected_error_shows_the_500_page_without_a_trace_and_saves_nothing(app, client, world, login_as):
    from registry.audit.service import record

    def broken_view():
        record("test.half_written")
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-test", "broken_for_test", broken_view)
    login_as(world["ML"].user("officer"))
    response = client.get("/broken-for-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Rien n'a été enregistré" in html.unescape(page)
    assert "RuntimeError" not in page and "Traceback" not in page
    from sqlalchemy import select

    from registry.audit.models import AuditEvent
    from registry.extensions import db

    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test.half_written")) is None


def test_english_error_page_for_an_english_user(client, world, login_as, actions):
    login_as(world["ML"].user("officer"))
    actions.post("/account", {"action": "language", "language-language": "en"})
    response = client.get("/no/such/page")
    assert "This page does not exist, or you may not see it." in response.get_data(as_text=True)


def test_short_dates_put_the_day_first_in_english_too(app):
    from datetime import UTC, datetime

    from flask_babel import force_locale, format_datetime

    moment = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    with app.test_request_context(), force_locale("en"):
        assert format_datetime(moment, "short") == "23/11/2026 09:05"
