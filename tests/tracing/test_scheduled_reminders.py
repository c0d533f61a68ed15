"""The job worker schedules `tracing.remind` on its own: once per interval across all
workers (a Redis key is the lock), and running it notifies overdue requests."""


import pytest
from rq import SimpleWorker

from registry import jobs
from tests.conftest import TEST_REDIS_URL
from tests.tracing.helpers import sent_trace
from tests.tracing.test_deadlines import make_late, overdue_notifications


@pytest.fixture
def redis_queue(redis_jobs_queue):
    redis_jobs_queue.connection.delete("registry:periodic:tracing.remind")
    yield redis_jobs_queue
    redis_jobs_queue.connection.delete("registry:periodic:tracing.remind")

def test_the_worker_enqueues_reminders_once_per_interval_and_they_notify(
        app, world, ivory_coast, rifle, redis_queue):
    assert jobs.PERIODIC["tracing.remind"] == 3600
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    make_late(trace)
    assert "tracing.remind" in jobs.enqueue_due_periodic_jobs(TEST_REDIS_URL)
    # A second worker, or the same one a minute later, finds the interval not yet over.
    assert "tracing.remind" not in jobs.enqueue_due_periodic_jobs(TEST_REDIS_URL)
    assert redis_queue.count == 1
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    assert overdue_notifications() == 2  # one to each side
