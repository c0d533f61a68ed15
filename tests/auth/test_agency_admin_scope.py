from sqlalchemy import select

from registry.auth.models import User
from registry.auth.scoping import visible
from registry.extensions import db


def test_agency_admin_of_mali_lists_only_the_users_of_its_agency(client, world, login_as):
    login_as(world["ML"].user("agency_admin"))
    page = client.get("/admin/users").get_data(as_text=True)
    assert world["ML"].user("officer").email in page
    assert world["NE"].user("officer").email not in page


def test_agency_admin_of_mali_cannot_see_or_edit_a_user_of_niger(client, world, login_as):
    niger_officer = world["NE"].user("officer")
    actions = login_as(world["ML"].user("agency_admin"))
    assert client.get(f"/admin/users/{niger_officer.id}").status_code == 404
    response = actions.post(f"/admin/users/{niger_officer.id}", {"name": "Taken over", "role": "viewer"},
                            token_from="/account")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, niger_officer.id).name == "officer NE"
    assert db.session.get(User, niger_officer.id).active


def test_agency_admin_creates_a_user_of_its_agency_who_can_log_in(client, world, login_as, actions):
    mali = world["ML"]
    login_as(mali.user("agency_admin"))
    response = actions.post("/admin/users/new", {
        "email": "new.officer@cnlpal.ml", "name": "Nouvel agent", "agency_id": mali.agency.id,
        "role": "officer", "language": "fr", "password": "Sahel-Bamako-2026"})
    assert response.status_code == 302
    assert "new.officer@cnlpal.ml" in client.get("/admin/users").get_data(as_text=True)
    actions.logout()
    assert actions.login("new.officer@cnlpal.ml", "Sahel-Bamako-2026").status_code == 302


def test_agency_admin_cannot_create_a_user_in_another_agency(client, world, login_as, actions):
    login_as(world["ML"].user("agency_admin"))
    response = actions.post("/admin/users/new", {
        "email": "intruder@cnccai.ne", "name": "Intrus", "agency_id": world["NE"].agency.id,
        "role": "officer", "language": "fr", "password": "Sahel-Bamako-2026"})
    assert response.status_code == 200  # the form again: Niger is not a choice
    assert db.session.scalar(select(User).where(User.email == "intruder@cnccai.ne")) is None


def test_weak_password_is_refused_with_the_rule_in_french(client, world, login_as, actions):
    mali = world["ML"]
    login_as(mali.user("agency_admin"))
    response = actions.post("/admin/users/new", {
        "email": "weak@cnlpal.ml", "name": "Faible", "agency_id": mali.agency.id,
        "role": "officer", "language": "fr", "password": "court"})
    assert "au moins 12 caractères" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "weak@cnlpal.ml")) is None


def test_agency_admin_deactivates_a_user_whose_session_then_ends(app, world, login_as, actions):
    mali = world["ML"]
    officer_browser = app.test_client()
    from tests.conftest import Actions

    Actions(officer_browser).login(mali.user("officer"))
    assert officer_browser.get("/account").status_code == 200
    login_as(mali.user("agency_admin"))
    response = actions.post(f"/admin/users/{mali.user('officer').id}",
                            {"name": "officer ML", "role": "officer"})  # "active" unticked
    assert response.status_code == 302
    assert officer_browser.get("/account").status_code == 302


def test_platform_admin_sees_users_of_every_agency(world):
    users = db.session.scalars(visible(world["ML"].user("platform_admin"), User)).all()
    assert {user.agency.country_code for user in users} == {"ML", "NE", "BF"}


def test_a_viewer_sees_no_administration_page(client, world, login_as):
    login_as(world["ML"].user("viewer"))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Votre rôle ne permet pas cette action." in response.get_data(as_text=True)
