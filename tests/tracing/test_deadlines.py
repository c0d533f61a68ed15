"""A request past its due date shows as overdue on both sides; `flask tracing remind`
tells both agencies once, not at every run."""

from datetime import timedelta

from sqlalchemy import func, select

from registry.extensions import db, utcnow
from registry.notifications.models import Notification
from registry.tracing import service
from registry.tracing.models import TraceRequest
from tests.tracing.helpers import sent_trace


def overdue_notifications() -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "trace.overdue"))


def make_late(trace: TraceRequest, days: int = 40) -> None:
    """Move the request's dates back as if it had been sent `days` ago."""
    past = timedelta(days=days)
    trace.sent_at -= past
    trace.acknowledge_due -= past
    trace.answer_due -= past
    db.session.commit()


def test_due_dates_follow_the_requested_country_and_urgency(world, ivory_coast, rifle):
    from registry.auth.models import Country

    ivorian = db.session.get(Country, "CI")
    ivorian.trace_answer_days = 45
    try:
        normal = sent_trace(world["ML"].user("tracing_officer"), rifle)
        urgent = sent_trace(world["ML"].user("tracing_officer"), rifle, urgency="urgent")
    finally:  # countries outlive a test: put the default back
        ivorian.trace_answer_days = 30
        db.session.commit()
    assert (normal.answer_due - normal.sent_at).days == 45
    assert (normal.acknowledge_due - normal.sent_at).days == 10
    assert (urgent.answer_due - urgent.sent_at).days == 15
    assert (urgent.acknowledge_due - urgent.sent_at).days == 2


def test_an_overdue_request_stands_out_on_both_sides(world, ivory_coast, rifle, browser):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    on_time = sent_trace(world["ML"].user("tracing_officer"), rifle)
    make_late(trace)
    for user, box in ((world["ML"].user("tracing_officer"), "outbox"),
                      (ivory_coast.user("tracing_officer"), "inbox")):
        side = browser(user)
        page = side.client.get(f"/tracing/{box}?overdue=1").get_data(as_text=True)
        assert trace.reference in page and on_time.reference not in page
        assert '<tr class="overdue">' in page
        page = side.client.get(f"/tracing/{trace.id}").get_data(as_text=True)
        assert 'class="late">En retard<' in page
        page = side.client.get(f"/tracing/{on_time.id}").get_data(as_text=True)
        assert 'class="late"' not in page


def test_remind_notifies_each_overdue_request_once(app, world, ivory_coast, rifle):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    sent_trace(world["ML"].user("tracing_officer"), rifle)  # not late: no reminder
    make_late(trace)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tracing", "remind"])
    assert first.exit_code == 0 and "1 overdue" in first.output
    assert overdue_notifications() == 2  # one to each agency
    agencies = set(db.session.scalars(select(Notification.agency_id).where(Notification.kind == "trace.overdue")))
    assert agencies == {world["ML"].agency.id, ivory_coast.agency.id}
    second = runner.invoke(args=["tracing", "remind"])
    assert second.exit_code == 0 and "0 overdue" in second.output
    assert overdue_notifications() == 2


def test_a_missed_acknowledgement_then_a_missed_answer_are_each_reminded(world, ivory_coast, rifle):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    make_late(trace, days=12)  # acknowledgement late, answer not yet due
    assert service.remind_overdue() == 1
    assert service.remind_overdue() == 0
    make_late(trace, days=30)
    assert service.remind_overdue() == 1
    assert db.session.get(TraceRequest, trace.id).reminded_for == "answer"
    assert overdue_notifications() == 4


def test_an_answered_request_is_no_longer_overdue(world, ivory_coast, rifle):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    make_late(trace)
    service.answer(ivory_coast.user("tracing_officer"), trace, outcome="not_found")
    db.session.commit()
    assert not trace.overdue(utcnow())
    assert service.remind_overdue() == 0
