"""Trace request numbers stay distinct when several officers create requests at once."""

import threading

from sqlalchemy import select

from registry.auth.models import User
from registry.extensions import db
from registry.tracing.models import TraceRequest
from registry.tracing.service import create_trace_request
from tests.tracing.conftest import ITI_CONTENT


def test_concurrent_requests_get_distinct_numbers(app, world, rifle):
    sender_id, rifle_id = world["ML"].user("tracing_officer").id, rifle.id
    db.session.commit()
    errors = []

    def writer() -> None:
        with app.app_context():
            try:
                for _ in range(5):
                    sender = db.session.get(User, sender_id)
                    create_trace_request(sender, weapon_ids=[rifle_id], requested_country_code="BF", **ITI_CONTENT)
                    db.session.commit()
            except Exception as error:  # reported below, with the thread's error
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    references = list(db.session.scalars(select(TraceRequest.reference)))
    assert len(references) == 20 == len(set(references))
    assert all(reference.startswith("TR-ML-") for reference in references)
