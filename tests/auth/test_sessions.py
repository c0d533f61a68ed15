"""Sessions that end: logout, a new password, a role change and a deactivation end every
session of the user at once, a cookie copied beforehand included; the account page lists
the open sessions and ends any of them."""

from datetime import timedelta

from registry.auth.models import UserSession
from registry.extensions import db
from tests.conftest import Actions


def _stolen_copy(app, browser: Actions) -> Actions:
    """Another browser holding a copy of `browser`'s session cookie."""
    cookie = browser.client.get_cookie("session", domain="registry.test")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value, domain="registry.test")
    return Actions(thief)


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, world, login_as, client):
    browser = login_as(world["ML"].user("officer"))
    thief = _stolen_copy(app, browser)
    assert thief.client.get("/account").status_code == 200  # the copy works while logged in
    browser.logout()
    response = thief.client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, world, login_as):
    officer = world["ML"].user("officer")
    other = Actions(app.test_client())
    other.login(officer)
    browser = login_as(officer)
    response = browser.post("/account", {"action": "password", "password-current_password": "Correct-Horse-42",
                                         "password-new_password": "Niamey-Sahel-2031!",
                                         "password-confirm_password": "Niamey-Sahel-2031!"})
    assert response.status_code == 302
    assert browser.client.get("/account").status_code == 200
    assert other.client.get("/account").status_code == 302


def test_a_role_change_and_a_deactivation_end_every_session_of_the_user(app, world, login_as):
    mali = world["ML"]
    officer_browser, viewer_browser = Actions(app.test_client()), Actions(app.test_client())
    officer_browser.login(mali.user("officer"))
    viewer_browser.login(mali.user("viewer"))
    admin = login_as(mali.user("agency_admin"))
    admin.post(f"/admin/users/{mali.user('officer').id}", {"name": "officer ML", "role": "viewer", "active": "y"},
               token_from="/account")
    admin.post(f"/admin/users/{mali.user('viewer').id}", {"name": "viewer ML", "role": "viewer"},
               token_from="/account")
    assert officer_browser.client.get("/account").status_code == 302
    assert viewer_browser.client.get("/account").status_code == 302
    db.session.expire_all()
    assert db.session.query(UserSession).filter(UserSession.user_id.in_(
        [mali.user("officer").id, mali.user("viewer").id]), UserSession.ended_at.is_(None)).count() == 0


def test_the_account_page_lists_the_open_sessions_and_ends_one(app, world, login_as):
    officer = world["ML"].user("officer")
    phone = app.test_client()
    phone.environ_base = {"HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile",
                          "REMOTE_ADDR": "196.200.1.7"}
    Actions(phone).login(officer)
    browser = login_as(officer)
    page = browser.client.get("/account").get_data(as_text=True)
    assert "Sessions ouvertes" in page and "Chrome, Android" in page and "196.200.1.7" in page
    phone_session = db.session.query(UserSession).filter_by(remote_address="196.200.1.7").one()
    response = browser.post(f"/account/sessions/{phone_session.id}/end", token_from="/account",
                            follow_redirects=True)
    assert "La session est terminée" in response.get_data(as_text=True)
    assert phone.get("/account").status_code == 302
    assert browser.client.get("/account").status_code == 200


def test_a_user_cannot_end_another_users_session(app, world, login_as):
    niger = Actions(app.test_client())
    niger.login(world["NE"].user("officer"))
    niger_session = db.session.query(UserSession).filter_by(user_id=world["NE"].user("officer").id).one()
    browser = login_as(world["ML"].user("officer"))
    assert browser.post(f"/account/sessions/{niger_session.id}/end", token_from="/account").status_code == 404
    assert niger.client.get("/account").status_code == 200


def test_an_idle_session_ends_after_the_session_hours(app, world, login_as):
    browser = login_as(world["ML"].user("officer"))
    record = db.session.query(UserSession).one()
    record.last_seen_at -= timedelta(hours=app.config["SESSION_HOURS"], minutes=1)
    db.session.commit()
    assert browser.client.get("/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).ended_reason == "idle"
