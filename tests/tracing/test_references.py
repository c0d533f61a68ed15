"""Trace request numbers stay distinct when several officers create requests at once."""

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.tracing.models import TraceRequest
from registry.tracing.service import create_trace_request
from tests.concurrency import run_concurrently
from tests.tracing.conftest import ITI_CONTENT


def test_concurrent_requests_get_distinct_numbers(app, world, rifle):
    sender_id, rifle_id = world["ML"].user("tracing_officer").id, rifle.id
    db.session.commit()

    def work(_number: int) -> None:
        for _ in range(5):
            sender = db.session.get(User, sender_id)
            create_trace_request(sender, weapon_ids=[rifle_id], requested_country_code="BF", **ITI_CONTENT)
            db.session.commit()

    errors = run_concurrently(app, work)
    assert not errors, errors
    references = list(db.session.scalars(select(TraceRequest.reference)))
    assert len(references) == 20 == len(set(references))
    assert all(reference.startswith("TR-ML-") for reference in references)
