"""The audit chain under several writers: an event waits in its transaction and is chained
at commit, so a long request does not hold back the others, and the chain stays whole."""

import threading

from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.audit.service import record, verify_chain
from registry.auth.models import User
from registry.extensions import db
from tests.concurrency import run_concurrently


def _count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_a_request_still_working_does_not_hold_back_another_ones_audit_event(app, world):
    slow_id, quick_id = world["ML"].user("officer").id, world["NE"].user("officer").id
    recorded, quick_done = threading.Event(), threading.Event()
    outcome = {}

    def slow_request():
        # Records its event, then goes on working (a page rendering) before it commits.
        with app.app_context():
            try:
                record("weapon.view", "weapon", 1, {"reference": "SLOW"}, user=db.session.get(User, slow_id))
                db.session.scalar(select(func.count()).select_from(User))
                recorded.set()
                outcome["quick_finished_meanwhile"] = quick_done.wait(timeout=10)
                db.session.commit()
            finally:
                db.session.remove()

    def quick_request():
        with app.app_context():
            try:
                recorded.wait(timeout=10)
                record("weapon.view", "weapon", 2, {"reference": "QUICK"}, user=db.session.get(User, quick_id))
                db.session.commit()
                quick_done.set()
            except Exception as error:  # told to the test below
                outcome["quick_error"] = repr(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=slow_request), threading.Thread(target=quick_request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert "quick_error" not in outcome, outcome
    assert outcome["quick_finished_meanwhile"], "the second request waited for the first one's commit"
    db.session.expire_all()
    quick, slow = (db.session.scalars(select(AuditEvent).where(
        AuditEvent.details["reference"].as_string() == reference)).one() for reference in ("QUICK", "SLOW"))
    assert quick.sequence + 1 == slow.sequence  # chained in the order they committed
    assert verify_chain().ok


def test_many_writers_at_once_keep_one_unbroken_chain(app, world):
    user_ids = [world[code].user(role).id for code in ("ML", "NE", "BF") for role in ("officer", "viewer")]
    before = verify_chain().checked

    def work(number: int) -> None:
        user = db.session.get(User, user_ids[number])
        for round_ in range(5):
            record("weapon.search", details={"terms": {"serial": f"W{number}-{round_}"}}, user=user)
            record("weapon.view", "weapon", number, user=user)
            db.session.commit()

    assert run_concurrently(app, work, writers=len(user_ids)) == []
    db.session.expire_all()
    report = verify_chain()
    assert report.ok, report
    assert report.checked == before + len(user_ids) * 10
    sequences = db.session.scalars(select(AuditEvent.sequence).order_by(AuditEvent.sequence)).all()
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_transaction_reads_its_own_events_before_it_commits(app, world):
    record("weapon.export", details={"count": 3}, user=world["ML"].user("officer"))
    assert _count("weapon.export") == 1
    db.session.commit()
    assert _count("weapon.export") == 1
    assert verify_chain().ok


def _events_about(object_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "weapon", AuditEvent.object_id == str(object_id)))


def test_a_rolled_back_transaction_or_savepoint_leaves_no_event(app, world):
    officer = world["ML"].user("officer")
    record("weapon.delete", "weapon", 900_001, user=officer)
    db.session.rollback()
    record("weapon.update", "weapon", 900_002, user=officer)
    savepoint = db.session.begin_nested()
    record("weapon.update", "weapon", 900_003, user=officer)
    savepoint.rollback()
    with db.session.begin_nested():
        record("weapon.update", "weapon", 900_004, user=officer)
    db.session.commit()
    assert [_events_about(number) for number in range(900_001, 900_005)] == [0, 1, 0, 1]
    assert verify_chain().ok
