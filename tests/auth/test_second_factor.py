"""Two-factor login: supervisors and administrators need a code from an authenticator app
after their password; a wrong or replayed code is refused and audited; recovery codes
work once; an administrator resets a lost second factor within the role hierarchy."""

import re
import time

import pyotp
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.models import RecoveryCode, User, UserSession
from registry.auth.roles import Role
from registry.auth.service import create_user
from registry.extensions import db
from tests.conftest import PASSWORD, RECOVERY_CODES, Actions


def _actions_of(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _password_only(app, user) -> Actions:
    """A browser that typed the right password and stops at the code."""
    browser = Actions(app.test_client())
    response = browser.client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                   "csrf_token": browser.csrf_token("/login")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    return browser


def _code(user, step_offset=0) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    return totp.generate_otp(int(time.time() // totp.interval) + step_offset)


def test_a_supervisor_cannot_log_in_without_its_second_factor(app, world):
    supervisor = world["ML"].user("supervisor")
    browser = _password_only(app, supervisor)
    page = browser.client.get("/login/code").get_data(as_text=True)
    assert "Second facteur" in page
    response = browser.client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.query(UserSession).filter_by(user_id=supervisor.id).count() == 0
    assert "auth.login" not in [event.action for event in db.session.scalars(select(AuditEvent))]


def test_the_right_code_opens_the_session(app, world):
    supervisor = world["ML"].user("supervisor")
    browser = _password_only(app, supervisor)
    response = browser.post("/login/code", {"code": _code(supervisor, +1)}, token_from="/login/code")
    assert response.status_code == 302
    assert browser.client.get("/account").status_code == 200
    assert _actions_of("auth.login")[0].details == {"second_factor": "totp"}


def test_a_wrong_code_and_a_replayed_code_are_refused_and_audited(app, world):
    supervisor = world["ML"].user("supervisor")
    browser = _password_only(app, supervisor)
    wrong = browser.post("/login/code", {"code": "000000" if _code(supervisor) != "000000" else "111111"},
                         token_from="/login/code")
    assert wrong.status_code == 401
    assert "Ce code n&#39;est pas le bon, ou a déjà servi." in wrong.get_data(as_text=True)
    code = _code(supervisor, +1)
    assert browser.post("/login/code", {"code": code}, token_from="/login/code").status_code == 302
    thief = _password_only(app, supervisor)
    replayed = thief.post("/login/code", {"code": code}, token_from="/login/code")
    assert replayed.status_code == 401
    assert thief.client.get("/account").status_code == 302
    assert len(_actions_of("auth.second_factor_failed")) == 1
    assert len(_actions_of("auth.second_factor_replayed")) == 1


def test_repeated_wrong_codes_lock_the_account(app, world):
    supervisor = world["ML"].user("supervisor")
    browser = _password_only(app, supervisor)
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.post("/login/code", {"code": "12345x"}, token_from="/login/code")
    assert _actions_of("auth.lockout")
    again = Actions(app.test_client())
    response = again.client.post("/login", data={"email": supervisor.email, "password": PASSWORD,
                                                 "csrf_token": again.csrf_token("/login")})
    assert response.status_code == 401  # locked: the password alone no longer passes


def test_a_recovery_code_opens_one_login_only(app, world):
    supervisor = db.session.get(User, world["ML"].user("supervisor").id)
    recovery = RECOVERY_CODES[supervisor.totp_secret][0]
    first = _password_only(app, supervisor)
    response = first.post("/login/code", {"code": recovery.upper()}, token_from="/login/code",
                          follow_redirects=True)
    assert "il en reste 9" in response.get_data(as_text=True)
    second = _password_only(app, supervisor)
    assert second.post("/login/code", {"code": recovery}, token_from="/login/code").status_code == 401


def test_a_new_supervisor_sets_up_its_second_factor_at_its_first_login(app, world):
    create_user(None, email="new.supervisor@ml.test", name="Nouveau superviseur", agency=world["ML"].agency,
                role=Role.SUPERVISOR, password=PASSWORD)
    db.session.commit()
    browser = Actions(app.test_client())
    response = browser.client.post("/login", data={"email": "new.supervisor@ml.test", "password": PASSWORD,
                                                   "csrf_token": browser.csrf_token("/login")})
    assert response.headers["Location"].endswith("/login/enrol")
    page = browser.client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "Configurer le second facteur" in page
    assert browser.client.get("/account").status_code == 302  # no session before the code
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    bad = browser.post("/login/enrol", {"code": "000000"}, token_from="/login/enrol")
    assert "Vérifiez l&#39;heure de votre téléphone" in bad.get_data(as_text=True)
    done = browser.post("/login/enrol", {"code": pyotp.TOTP(secret).now()}, token_from="/login/enrol")
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert browser.client.get("/account").status_code == 200
    user = db.session.scalar(select(User).where(User.email == "new.supervisor@ml.test"))
    assert user.totp_secret == secret
    assert db.session.query(RecoveryCode).filter_by(user_id=user.id).count() == 10


def test_an_officer_may_turn_the_second_factor_on_and_is_then_asked_for_it(app, world, login_as):
    officer = world["ML"].user("officer")
    browser = login_as(officer)
    page = browser.client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    browser.post("/account/second-factor", {"code": pyotp.TOTP(secret).now()},
                 token_from="/account/second-factor")
    assert "Activé depuis le" in browser.client.get("/account").get_data(as_text=True)
    again = Actions(app.test_client())
    response = again.client.post("/login", data={"email": officer.email, "password": PASSWORD,
                                                 "csrf_token": again.csrf_token("/login")})
    assert response.headers["Location"].endswith("/login/code")


def test_an_administrator_resets_a_lost_second_factor_and_the_sessions_end(app, world, login_as):
    mali = world["ML"]
    supervisor_browser = Actions(app.test_client())
    supervisor_browser.login(mali.user("supervisor"))
    assert supervisor_browser.client.get("/account").status_code == 200
    admin = login_as(mali.user("agency_admin"))
    response = admin.post(f"/admin/users/{mali.user('supervisor').id}/second-factor/reset",
                          token_from=f"/admin/users/{mali.user('supervisor').id}", follow_redirects=True)
    assert "est réinitialisé" in response.get_data(as_text=True)
    assert supervisor_browser.client.get("/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, mali.user("supervisor").id).totp_secret is None
    assert _actions_of("user.second_factor_reset")[0].user_id == mali.user("agency_admin").id


def test_an_agency_admin_cannot_reset_the_second_factor_of_a_platform_admin(app, world, login_as):
    mali = world["ML"]
    admin = login_as(mali.user("agency_admin"))
    platform_admin = mali.user("platform_admin")
    response = admin.post(f"/admin/users/{platform_admin.id}/second-factor/reset",
                          token_from=f"/admin/users/{platform_admin.id}", follow_redirects=True)
    assert "égal ou supérieur au vôtre" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, platform_admin.id).totp_secret is not None
