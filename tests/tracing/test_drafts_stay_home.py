"""A trace request is the requesting state's alone until it is sent: a draft, or one that
awaits the requesting supervisor's approval, is invisible to the requested state on every
page, in the API, the counts and the notifications."""

from registry.auth.service import create_api_token, update_agency
from registry.extensions import db
from registry.notifications.models import Notification
from registry.tracing import service
from tests.tracing.conftest import ITI_CONTENT


def _awaiting_approval(world, rifle):
    update_agency(world["ML"].user("platform_admin"), world["ML"].agency, requires_trace_approval=True)
    sender = world["ML"].user("tracing_officer")
    trace = service.create_trace_request(sender, weapon_ids=[rifle.id], requested_country_code="CI",
                                         **ITI_CONTENT)
    service.send(sender, trace)
    db.session.commit()
    assert trace.status.value == "awaiting_approval"
    return trace


def test_requested_state_cannot_open_a_request_awaiting_the_requesting_supervisor(
        world, ivory_coast, rifle, browser):
    trace = _awaiting_approval(world, rifle)
    for role in ("tracing_officer", "supervisor", "viewer"):
        ivorian = browser(ivory_coast.user(role))
        response = ivorian.client.get(f"/tracing/{trace.id}")
        assert response.status_code == 404
        assert ITI_CONTENT["illicit_reason"] not in response.get_data(as_text=True)
        assert ivorian.client.get(f"/tracing/{trace.id}/print").status_code == 404


def test_requested_state_cannot_act_on_a_draft(world, ivory_coast, rifle, browser):
    sender = world["ML"].user("tracing_officer")
    trace = service.create_trace_request(sender, weapon_ids=[rifle.id], requested_country_code="CI",
                                         **ITI_CONTENT)
    db.session.commit()
    ivorian = browser(ivory_coast.user("tracing_officer"))
    response = ivorian.post(f"/tracing/{trace.id}/messages", {"body": "Seen it"}, token_from="/account")
    assert response.status_code == 404
    db.session.expire_all()
    assert trace.status.value == "draft" and not trace.messages


def test_the_api_counts_and_notifications_of_the_requested_state_show_no_draft(
        client, world, ivory_coast, rifle, browser):
    trace = _awaiting_approval(world, rifle)
    _token, plain = create_api_token(ivory_coast.user("tracing_officer"), "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/api/v1/traces/{trace.id}", headers=headers).status_code == 404
    listing = client.get("/api/v1/traces", headers=headers).json
    assert listing["items"] == []
    assert service.count_inbox(ivory_coast.user("tracing_officer")) == 0
    assert db.session.query(Notification).filter_by(agency_id=ivory_coast.agency.id).count() == 0
    ivorian = browser(ivory_coast.user("tracing_officer"))
    assert trace.reference not in ivorian.client.get("/tracing/inbox").get_data(as_text=True)


def test_requested_state_sees_the_request_once_the_supervisor_approves_it(
        world, ivory_coast, rifle, browser):
    trace = _awaiting_approval(world, rifle)
    service.approve(world["ML"].user("supervisor"), trace)
    db.session.commit()
    ivorian = browser(ivory_coast.user("tracing_officer"))
    assert trace.reference in ivorian.client.get(f"/tracing/{trace.id}").get_data(as_text=True)
