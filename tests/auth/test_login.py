import re

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db


def audit_actions():
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence))]


def test_login_page_is_served_in_french_by_default(client, app):
    page = client.get("/login").get_data(as_text=True)
    assert "Se connecter" in page
    assert "Courriel" in page


def test_officer_logs_in_and_sees_the_home_page(client, world, login_as):
    officer = world["ML"].user("officer")
    login_as(officer)
    page = client.get("/").get_data(as_text=True)
    assert "Bienvenue, officer ML" in page
    assert "auth.login" in audit_actions()


def test_wrong_password_is_refused_with_a_clear_message_and_audited(client, world, actions):
    response = actions.login(world["ML"].user("officer"), "Wrong-password-99")
    assert response.status_code == 401
    assert "Courriel ou mot de passe incorrect." in response.get_data(as_text=True)
    assert "auth.login_failed" in audit_actions()


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, world, actions):
    response = actions.login("nobody@nowhere.test", "Wrong-password-99")
    assert response.status_code == 401
    assert "Courriel ou mot de passe incorrect." in response.get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
    assert event.details["reason"] == "unknown user"


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, world, actions, app):
    officer = world["ML"].user("officer")
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        actions.login(officer, "Wrong-password-99")
    response = actions.login(officer)
    assert response.status_code == 401
    assert "auth.lockout" in audit_actions()
    assert "auth.login_refused_locked" in audit_actions()


def test_locked_unknown_deactivated_and_wrong_password_get_one_message(client, world, actions, app):
    """Nothing in the answer tells whether an account exists (the lockout message did)."""
    locked, deactivated = world["ML"].user("officer"), world["ML"].user("viewer")
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        actions.login(locked, "Wrong-password-99")
    deactivated.active = False
    db.session.commit()

    def flashed(response) -> str:
        page = response.get_data(as_text=True)
        return re.search(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S).group(1).strip()

    answers = {
        "locked, right password": actions.login(locked),
        "unknown": actions.login("nobody@nowhere.test", "Correct-Horse-42"),
        "deactivated, right password": actions.login(deactivated),
        "wrong password": actions.login(world["ML"].user("supervisor"), "Wrong-password-99"),
    }
    assert {name: (response.status_code, flashed(response)) for name, response in answers.items()} == {
        name: (401, "Courriel ou mot de passe incorrect.") for name in answers}


def test_a_lockout_is_told_to_the_administrators_of_the_account(client, world, actions, app, login_as):
    officer = world["ML"].user("officer")
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        actions.login(officer, "Wrong-password-99")
    login_as(world["ML"].user("agency_admin"))
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert f"Le compte {officer.email} a été verrouillé pendant 15 minutes" in notifications
    users = client.get("/admin/users").get_data(as_text=True)
    assert "Verrouillé" in users


def test_deactivated_user_cannot_log_in(client, world, actions):
    officer = world["ML"].user("officer")
    officer.active = False
    db.session.commit()
    response = actions.login(officer)
    assert response.status_code == 401
    assert "Courriel ou mot de passe incorrect." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused_with_a_message(client, world):
    response = client.post("/login", data={"email": world["ML"].user("officer").email,
                                           "password": "Correct-Horse-42"})
    assert response.status_code == 400
    assert "Le formulaire avait expiré" in response.get_data(as_text=True)


def test_pages_need_a_login_and_say_so(client, app):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Veuillez vous connecter pour continuer." in page


def test_session_of_a_deactivated_user_ends(client, world, login_as):
    officer = world["ML"].user("officer")
    login_as(officer)
    officer.session_version += 1
    db.session.commit()
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_open_redirect_after_login_is_refused(client, world, actions):
    token = actions.csrf_token("/login")
    response = client.post("/login?next=//evil.example/", data={
        "email": world["ML"].user("officer").email, "password": "Correct-Horse-42", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, world, login_as, actions):
    login_as(world["ML"].user("officer"))
    actions.logout()
    assert client.get("/account").status_code == 302
    assert "auth.logout" in audit_actions()


def test_session_cookie_is_http_only_and_lax(client, world, login_as):
    response = login_as(world["ML"].user("officer")).client.get("/")
    assert response.status_code == 200
    cookie = client.get_cookie("session", domain="registry.test")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
