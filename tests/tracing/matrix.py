"""Tracing routes × roles of Mali, reaching for a trace between Niger and Burkina Faso:
nobody in Mali may see it (404), whatever the role."""

from tests.authorization import Route, everyone_but

SENDERS = ("tracing_officer", "supervisor")


def foreign_trace(world) -> dict:
    """A trace from Niger to Burkina Faso with a document, made once per world."""
    if not hasattr(world, "foreign_trace"):
        from registry.extensions import db
        from registry.tracing import service
        from tests.tracing.conftest import ITI_CONTENT, make_rifle
        from tests.tracing.test_scenario import png_photo

        for country in ("NE", "BF"):  # an earlier route may have deactivated an agency
            world[country].agency.active = True
        weapon = make_rifle(world["NE"].user("officer"), raw_serial="NE-555-1")
        niger = world["NE"].user("tracing_officer")
        trace = service.create_trace_request(niger, weapon_ids=[weapon.id], requested_country_code="BF",
                                             **ITI_CONTENT)
        service.send(niger, trace)
        attachment = service.add_attachment(niger, trace, "photo.png", png_photo())
        db.session.commit()
        world.foreign_trace = {"trace_id": trace.id, "attachment_id": attachment.id}
    return world.foreign_trace


def trace(world):
    return {"trace_id": foreign_trace(world)["trace_id"]}


ROUTES = [
    Route("tracing.inbox"),
    Route("tracing.outbox"),
    Route("tracing.dashboard"),
    Route("tracing.new", expect=everyone_but(403, *SENDERS)),
    # An empty form is shown again with its errors.
    Route("tracing.new", "POST", expect=everyone_but(403, *SENDERS) | {s: 400 for s in SENDERS}),
    Route("tracing.show", args=trace, default=404),
    Route("tracing.printable", args=trace, default=404),
    Route("tracing.attachment", args=foreign_trace, default=404),
    Route("tracing.edit", "POST", args=trace, expect=everyone_but(403, *SENDERS) | {s: 404 for s in SENDERS}),
    Route("tracing.move", "POST", args=lambda w: trace(w) | {"action": "acknowledge"}, default=404),
    Route("tracing.message", "POST", args=trace, data=lambda w: {"body": "hello"}, default=404),
    Route("tracing.attachment_upload", "POST", args=trace, default=404),
    Route("tracing_api.api_list"),
    Route("tracing_api.api_create", "POST", expect=everyone_but(403, *SENDERS) | {s: 400 for s in SENDERS}),
    Route("tracing_api.api_show", args=trace, default=404),
    Route("tracing_api.api_move", "POST", args=lambda w: trace(w) | {"action": "acknowledge"}, default=404),
]
