"""Nobody changes, deactivates or resets a user whose role is equal to or above its own,
except a platform administrator; the last active platform administrator stays."""

from registry.auth.models import User
from registry.auth.roles import Role
from registry.extensions import db


def _reloaded(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_agency_admin_cannot_demote_or_deactivate_the_platform_admin_of_its_agency(client, world, login_as):
    mali = world["ML"]
    platform_admin = mali.user("platform_admin")
    actions = login_as(mali.user("agency_admin"))
    response = actions.post(f"/admin/users/{platform_admin.id}",
                            {"name": platform_admin.name, "role": "viewer"},  # "active" unticked
                            token_from="/account")
    assert response.status_code == 200
    assert "égal ou supérieur au vôtre" in response.get_data(as_text=True)
    kept = _reloaded(platform_admin)
    assert kept.role == Role.PLATFORM_ADMIN and kept.active


def test_agency_admin_cannot_change_another_agency_admin(client, world, login_as):
    mali = world["ML"]
    from registry.auth.service import create_user
    from tests.conftest import PASSWORD

    peer = create_user(None, email="peer.admin@ml.test", name="Peer admin", agency=mali.agency,
                       role=Role.AGENCY_ADMIN, password=PASSWORD)
    db.session.commit()
    actions = login_as(mali.user("agency_admin"))
    actions.post(f"/admin/users/{peer.id}", {"name": "Renamed", "role": "viewer", "active": "y"},
                 token_from="/account")
    kept = _reloaded(peer)
    assert kept.name == "Peer admin" and kept.role == Role.AGENCY_ADMIN


def test_agency_admin_still_changes_a_supervisor_of_its_agency(client, world, login_as):
    mali = world["ML"]
    supervisor = mali.user("supervisor")
    actions = login_as(mali.user("agency_admin"))
    response = actions.post(f"/admin/users/{supervisor.id}",
                            {"name": supervisor.name, "role": "officer", "active": "y"},
                            token_from="/account")
    assert response.status_code == 302
    assert _reloaded(supervisor).role == Role.OFFICER


def test_agency_admin_is_not_offered_the_platform_admin_role(client, world, login_as):
    mali = world["ML"]
    login_as(mali.user("agency_admin"))
    page = client.get(f"/admin/users/{mali.user('officer').id}").get_data(as_text=True)
    assert 'value="platform_admin"' not in page
    assert 'value="agency_admin"' in page


def test_the_last_active_platform_admin_cannot_deactivate_its_own_agency(client, world, login_as):
    mali = world["ML"]
    for code in ("NE", "BF"):
        world[code].user("platform_admin").active = False
    db.session.commit()
    actions = login_as(mali.user("platform_admin"))
    response = actions.post(f"/admin/agencies/{mali.agency.id}", {
        "code": mali.agency.code, "name": mali.agency.name, "country_code": "ML",
        "kind": "national_commission", "is_tracing_focal_point": "y"})  # "active" unticked
    assert response.status_code == 200
    assert "au moins un administrateur de la plateforme actif" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(mali.agency), mali.agency.id).active


def test_a_platform_admin_demotes_another_while_one_remains(client, world, login_as):
    mali = world["ML"]
    actions = login_as(mali.user("platform_admin"))
    niger_admin = world["NE"].user("platform_admin")
    response = actions.post(f"/admin/users/{niger_admin.id}",
                            {"name": niger_admin.name, "role": "agency_admin", "active": "y"},
                            token_from="/account")
    assert response.status_code == 302
    assert _reloaded(niger_admin).role == Role.AGENCY_ADMIN
