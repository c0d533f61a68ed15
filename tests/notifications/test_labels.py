"""Values in a notification (a weapon's status, a country) read in the reader's language."""

from sqlalchemy import select

from registry.auth.service import set_language
from registry.extensions import db
from registry.notifications.models import Notification


def test_hit_notification_names_the_status_and_country_in_french_then_in_english(world, client, login_as):
    officer = world["ML"].user("officer")
    login_as(officer)
    client.get("/weapons/?serial=SHARED-NE-1")  # Niger's stolen weapon, shared with all
    stored = db.session.scalars(select(Notification).where(Notification.user_id == officer.id)).one()
    assert stored.params["status"] == "stolen"  # the value is kept, not a translation

    page = client.get("/notifications/").get_data(as_text=True)
    assert "une arme signalée volée par un autre État (Niger)" in page
    assert "stolen" not in page

    set_language(officer, "en")
    db.session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert "a weapon reported stolen by Niger" in page
