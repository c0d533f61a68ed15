"""A trace between Mali and Côte d'Ivoire is nowhere to be seen from Niger."""

import io

from sqlalchemy import select

from registry.auth.service import create_api_token
from registry.extensions import db
from registry.notifications.models import Notification
from registry.tracing import service
from tests.tracing.helpers import sent_trace
from tests.tracing.test_scenario import png_photo


def test_niger_sees_nothing_of_a_trace_between_mali_and_ivory_coast(world, ivory_coast, rifle, browser,
                                                                     client):
    mali = world["ML"].user("tracing_officer")
    trace = sent_trace(mali, rifle)
    attachment = service.add_attachment(mali, trace, "markings.png", png_photo())
    service.add_message(mali, trace, "Confidential detail")
    service.answer(ivory_coast.user("tracing_officer"), trace, outcome="traced", importer="Importer",
                   importer_country_code="CI")
    db.session.commit()
    base = f"/tracing/{trace.id}"

    for role in ("tracing_officer", "supervisor", "viewer", "platform_admin"):
        niger = browser(world["NE"].user(role))
        for path in ("/tracing/inbox", "/tracing/outbox", "/tracing/dashboard", "/tracing/inbox?country=ML",
                     "/tracing/outbox?country=CI"):
            page = niger.client.get(path).get_data(as_text=True)
            assert trace.reference not in page, (role, path)
            assert 'data-country="CI"' not in page and 'data-country="ML"' not in page
        for path in (base, f"{base}/print", f"{base}/attachments/{attachment.id}"):
            assert niger.client.get(path).status_code == 404, (role, path)
        for action in ("acknowledge", "accept", "withdraw", "messages"):
            response = niger.post(f"{base}/{action}", {"body": "x"}, token_from="/account")
            assert response.status_code == 404
        response = niger.post(f"{base}/attachments", {"file": (io.BytesIO(png_photo()), "x.png")},
                              token_from="/account", content_type="multipart/form-data")
        assert response.status_code == 404

    _token, plain = create_api_token(world["NE"].user("supervisor"), "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    listing = client.get("/api/v1/traces", headers=headers).json
    assert listing == {"items": [], "next_cursor": None}
    assert client.get(f"/api/v1/traces/{trace.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/traces/{trace.id}/accept", headers=headers, json={}).status_code == 404
    told = db.session.scalars(select(Notification).where(Notification.agency_id == world["NE"].agency.id)).all()
    assert not [n for n in told if n.kind.startswith("trace.")]
    assert len(trace.messages) == 1 and trace.status.value == "answered"
