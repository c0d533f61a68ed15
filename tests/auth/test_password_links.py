"""Password reset and invitations by e-mail: single-use links that expire (one hour, seven
days), the same answer whether or not the e-mail has an account, every step audited, and
passwords checked against the common passwords shipped with the registry."""

import re
from datetime import timedelta

from sqlalchemy import select

from registry import jobs
from registry.audit.models import AuditEvent
from registry.auth.models import AccountLink, User
from registry.extensions import db
from tests.conftest import Actions
from tests.notifications.test_mail import mailbox  # noqa: F401  (the SMTP server fixture)

NEW_PASSWORD = "Tombouctou-Gao-77"


def _link(message) -> str:
    return re.search(r"https?://\S+(/(?:password/reset|invitation)/\S+)", message.get_content()).group(1)


def _forgot(app, email: str):
    browser = Actions(app.test_client())
    response = browser.post("/password/forgot", {"email": email}, follow_redirects=True)
    assert jobs.wait_all()
    return response


def _choose(app, path: str, password: str = NEW_PASSWORD):
    browser = Actions(app.test_client())
    return browser.post(path, {"new_password": password, "confirm_password": password}, token_from=path)


def test_a_reset_link_sets_a_new_password_once(app, world, mailbox):  # noqa: F811
    officer = world["ML"].user("officer")
    answer = _forgot(app, officer.email).get_data(as_text=True)
    assert "Si un compte a ce courriel" in answer
    [message] = mailbox.to(officer.email)
    path = _link(message)
    assert _choose(app, path).status_code == 302
    assert Actions(app.test_client()).login(officer, NEW_PASSWORD).status_code == 302
    again = _choose(app, path, "Another-Sahel-2030")
    assert again.status_code == 404
    assert "Ce lien a expiré ou a déjà servi" in again.get_data(as_text=True)
    actions = [event.action for event in db.session.scalars(select(AuditEvent))]
    assert "auth.password_reset_requested" in actions and "auth.password_reset" in actions


def test_an_unknown_email_gets_the_same_answer_and_no_mail(app, world, mailbox):  # noqa: F811
    known = _forgot(app, world["ML"].user("viewer").email).get_data(as_text=True)
    unknown = _forgot(app, "nobody@nowhere.test").get_data(as_text=True)
    flash = re.compile(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', re.S)
    assert flash.search(known).group(1) == flash.search(unknown).group(1)
    assert mailbox.to("nobody@nowhere.test") == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.password_reset_requested")
                               .order_by(AuditEvent.sequence.desc())).first()
    assert event.details == {"email": "nobody@nowhere.test", "sent": False}


def test_an_expired_reset_link_is_refused_and_the_password_stays(app, world, mailbox):  # noqa: F811
    officer = world["ML"].user("officer")
    _forgot(app, officer.email)
    path = _link(mailbox.to(officer.email)[0])
    link = db.session.scalars(select(AccountLink)).one()
    link.expires_at = link.created_at + timedelta(hours=1) - timedelta(hours=2)
    db.session.commit()
    assert _choose(app, path).status_code == 404
    assert Actions(app.test_client()).login(officer).status_code == 302  # the old password


def test_a_common_password_is_refused_on_the_link_page(app, world, mailbox):  # noqa: F811
    officer = world["ML"].user("officer")
    _forgot(app, officer.email)
    path = _link(mailbox.to(officer.email)[0])
    response = _choose(app, path, "Motdepasse2026!")
    assert "trop facile à deviner" in response.get_data(as_text=True)
    assert _choose(app, path).status_code == 302  # the link still works for a good one


def test_an_invited_user_chooses_its_own_password_within_seven_days(app, world, login_as, mailbox):  # noqa: F811
    mali = world["ML"]
    admin = login_as(mali.user("agency_admin"))
    response = admin.post("/admin/users/new", {
        "email": "invited@cnlpal.ml", "name": "Agent invité", "agency_id": mali.agency.id,
        "role": "officer", "language": "fr", "password": ""}, follow_redirects=True)
    assert "une invitation" in response.get_data(as_text=True)
    assert jobs.wait_all()
    [message] = mailbox.to("invited@cnlpal.ml")
    path = _link(message)
    assert path.startswith("/invitation/")
    link = db.session.scalars(select(AccountLink).where(AccountLink.purpose == "invitation")).one()
    assert link.expires_at - link.created_at == timedelta(days=7)
    assert _choose(app, path).status_code == 302
    assert Actions(app.test_client()).login("invited@cnlpal.ml", NEW_PASSWORD).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "invited@cnlpal.ml"))
    actions = [(event.action, event.object_id) for event in db.session.scalars(select(AuditEvent))]
    assert ("user.invite", str(user.id)) in actions and ("auth.invitation_accepted", str(user.id)) in actions
