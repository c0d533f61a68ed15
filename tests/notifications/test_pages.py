"""The notifications list over more than one page (the shared pager)."""

from registry.extensions import db
from registry.notifications.service import notify


def test_a_long_list_pages_forward_and_back(world, client, login_as):
    for number in range(51):
        notify(agency_id=world["ML"].agency.id, kind="test", message=f"Note number {number}")
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    first = client.get("/notifications/")
    assert first.status_code == 200 and "Suivant" in first.get_data(as_text=True)
    second = client.get("/notifications/?page=2")
    page = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "Précédent" in page and "Page 2" in page and "Note number 0" in page
