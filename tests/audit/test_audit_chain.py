import sqlalchemy as sa
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.audit.service import record
from registry.extensions import db


def test_audit_verify_passes_on_an_untouched_chain(app, world):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_audit_verify_names_the_row_altered_in_the_database(app, world):
    for number in range(5):
        record("weapon.search", details={"serial": f"AK{number}"}, user=world["ML"].user("officer"))
    db.session.commit()
    target = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence).offset(20)).first()
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_event SET details = :d WHERE id = :id"),
                           {"d": '{"serial": "changed"}', "id": target.id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event #{target.sequence} (row id {target.id})" in result.output
    assert "content altered" in result.output


def test_audit_verify_notices_a_deleted_row(app, world):
    target = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence).offset(3)).first()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": target.id})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event #{target.sequence}" in result.output


def test_agency_admin_browses_only_its_agency_events(client, world, login_as):
    record("auth.login", "user", world["NE"].user("officer").id, user=world["NE"].user("officer"))
    db.session.commit()
    login_as(world["ML"].user("agency_admin"))
    page = client.get("/audit/?action=auth.login").get_data(as_text=True)
    assert "agency_admin@ml.test" in page
    assert "officer@ne.test" not in page


def test_platform_admin_filters_the_log_by_agency(client, world, login_as):
    record("auth.login", "user", world["NE"].user("officer").id, user=world["NE"].user("officer"))
    db.session.commit()
    login_as(world["ML"].user("platform_admin"))
    page = client.get("/audit/?agency=NE-CNCCAI").get_data(as_text=True)
    assert "officer@ne.test" in page
    assert "platform_admin@ml.test" not in page.split("<tbody>")[1]


def test_browsing_the_audit_log_is_itself_audited(client, world, login_as):
    login_as(world["ML"].user("agency_admin"))
    client.get("/audit/?action=user")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.search")).one()
    assert event.details == {"action": "user", "page": 1}
