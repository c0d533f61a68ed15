"""Notifications: the bell, the page, marking read, and e-mail only with a mail server."""

import socket

from sqlalchemy import func, select

from registry.extensions import db
from registry.notifications.models import Notification
from registry.notifications.service import PENDING_MAIL, notify, unread_count


def test_agency_notification_shows_in_bell_and_page_until_read(world, client, login_as):
    notify(agency_id=world["ML"].agency.id, kind="test", message="Trace %(reference)s answered",
           params={"reference": "TR-ML-1"}, link="/weapons/")
    db.session.commit()
    viewer = login_as(world["ML"].user("viewer"))
    home = client.get("/").get_data(as_text=True)
    assert '<span class="badge">1</span>' in home
    assert "TR-ML-1" in client.get("/notifications/").get_data(as_text=True)
    viewer.post("/notifications/read", token_from="/notifications/")
    assert unread_count(world["ML"].user("viewer")) == 0
    assert '<span class="badge">' not in client.get("/").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_follows_its_link(world, client, login_as):
    note = notify(user_id=world["ML"].user("officer").id, kind="test", message="Hello", link="/weapons/hits")
    db.session.commit()
    officer = login_as(world["ML"].user("officer"))
    response = officer.post(f"/notifications/{note.id}/open", token_from="/notifications/")
    assert response.status_code == 302 and response.location.endswith("/weapons/hits")
    db.session.refresh(note)
    assert note.read_at is not None and note.read_by_id == world["ML"].user("officer").id


def test_another_agency_notification_is_not_seen(world, client, login_as):
    login_as(world["ML"].user("officer"))
    assert "A notification for Niger" not in client.get("/notifications/").get_data(as_text=True)


def test_no_email_is_attempted_without_a_mail_server(world, app):
    assert not app.config.get("MAIL_SERVER")
    notify(agency_id=world["ML"].agency.id, kind="test", message="Quiet")
    assert PENDING_MAIL not in db.session.info
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.message == "Quiet")) == 1


def test_with_a_mail_server_down_the_notification_is_kept(world, app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    notify(agency_id=world["ML"].agency.id, kind="test", message="Loud")
    assert len(db.session.info[PENDING_MAIL]) == len(world["ML"].users)
    db.session.commit()  # the failed delivery is logged, not raised
    assert PENDING_MAIL not in db.session.info
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.message == "Loud")) == 1


def test_a_rolled_back_action_sends_no_email(world, app):
    app.config.update(MAIL_SERVER="127.0.0.1")
    notify(user_id=world["ML"].user("officer").id, kind="test", message="Never")
    assert db.session.info[PENDING_MAIL]
    db.session.rollback()
    assert PENDING_MAIL not in db.session.info
