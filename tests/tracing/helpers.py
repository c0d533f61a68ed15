"""Traces made through the service, for tests about what comes after the request page."""

from registry.extensions import db
from registry.tracing import service
from tests.tracing.conftest import ITI_CONTENT


def sent_trace(sender, weapon, country="CI", **fields):
    trace = service.create_trace_request(sender, weapon_ids=[weapon.id], requested_country_code=country,
                                         **(ITI_CONTENT | fields))
    service.send(sender, trace)
    db.session.commit()
    return trace
