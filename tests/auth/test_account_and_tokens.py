import re

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db


def test_user_changes_password_and_other_sessions_end(app, world, login_as, actions):
    from tests.conftest import Actions

    officer = world["ML"].user("officer")
    other_browser = app.test_client()
    Actions(other_browser).login(officer)
    login_as(officer)
    response = actions.post("/account", {
        "action": "password", "password-current_password": "Correct-Horse-42",
        "password-new_password": "Niamey-Gao-2026!", "password-confirm_password": "Niamey-Gao-2026!"})
    assert response.status_code == 302
    assert actions.client.get("/account").status_code == 200  # this session goes on
    assert other_browser.get("/account").status_code == 302   # the other one ended
    actions.logout()
    assert actions.login(officer, "Niamey-Gao-2026!").status_code == 302


def test_wrong_current_password_keeps_the_old_one(world, login_as, actions):
    officer = world["ML"].user("officer")
    login_as(officer)
    response = actions.post("/account", {
        "action": "password", "password-current_password": "not-it",
        "password-new_password": "Niamey-Gao-2026!", "password-confirm_password": "Niamey-Gao-2026!"})
    assert "Votre mot de passe actuel est incorrect." in response.get_data(as_text=True)
    actions.logout()
    assert actions.login(officer).status_code == 302


def test_user_switches_to_english_and_the_interface_follows(client, world, login_as, actions):
    login_as(world["ML"].user("officer"))
    actions.post("/account", {"action": "language", "language-language": "en"})
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, officer ML" in page
    assert "Log out" in page


def test_language_switch_on_the_login_page(client, actions):
    token = actions.csrf_token("/login")
    client.post("/language", data={"language": "en", "csrf_token": token, "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_api_token_authenticates_api_calls_and_can_be_revoked(client, world, login_as, actions):
    login_as(world["ML"].user("officer"))
    response = actions.post("/account", {"action": "token", "name": "script de saisie"})
    flashed = client.get("/account").get_data(as_text=True)
    token = re.search(r"(rg_[\w-]+)", flashed).group(1)
    assert response.status_code == 302
    actions.logout()
    # Unknown API path, but authenticated: a JSON 404 rather than a 401.
    anonymous = client.get("/api/v1/nothing-here")
    assert anonymous.status_code == 404
    from registry.auth.service import user_for_token

    assert user_for_token(token).email == world["ML"].user("officer").email
    assert user_for_token("rg_forged") is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.create"))
