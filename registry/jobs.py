"""Background jobs: long work (analysing or committing an import) runs outside the request.

Embedded default: a thread of the web process runs the job, no other service needed.
Production (REDIS_URL set): the job goes on an RQ queue in Redis and `flask jobs worker`
runs it, in as many worker processes as wanted.

This module knows no feature: a feature registers its jobs with `@job("feature.name")` in
its own `jobs.py`, which create_app() imports, so the web process and every worker know
the same jobs.

A job is started only once the transaction that asked for it is committed, so it never
reads a state that is not yet saved (or that was rolled back).
"""

import logging
import threading
import uuid
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.extensions import db

QUEUE_NAME = "registry"
JOB_TIMEOUT = 3 * 60 * 60

# name -> function(**kwargs); features register theirs with @job("name").
JOBS: dict[str, Callable] = {}
# name -> seconds: jobs the worker enqueues on its own, once per interval across all workers.
PERIODIC: dict[str, int] = {}
_THREADS: dict[str, threading.Thread] = {}
log = logging.getLogger(__name__)


def job(name: str, every: int | None = None):
    """Register a function as a job that can be enqueued by name; with `every` (seconds),
    `flask jobs worker` also runs it on that schedule."""

    def register(function):
        JOBS[name] = function
        if every:
            PERIODIC[name] = every
        return function

    return register


def enqueue_due_periodic_jobs(redis_url: str) -> list[str]:
    """Enqueue each periodic job whose interval has passed. A Redis key that expires after
    the interval is the lock, so any number of workers enqueue each job once per interval."""
    enqueued = []
    jobs_queue = queue(redis_url)
    for name, interval in sorted(PERIODIC.items()):
        if jobs_queue.connection.set(f"registry:periodic:{name}", "1", nx=True, ex=interval):
            jobs_queue.enqueue(perform, name, {}, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                               failure_ttl=7 * 24 * 3600)
            enqueued.append(name)
    return enqueued


def _schedule_periodic_jobs(redis_url: str, stop: threading.Event, tick: int = 60) -> None:
    while not stop.is_set():
        try:
            enqueue_due_periodic_jobs(redis_url)
        except Exception:  # Redis away for a moment: try again at the next tick
            log.exception("Could not enqueue the periodic jobs")
        stop.wait(tick)


def enqueue(name: str, session: Session | None = None, **kwargs) -> str:
    """Run job `name` with `kwargs` once the current transaction (of `session`, the
    request's by default) commits; its id."""
    if name not in JOBS:
        raise KeyError(name)
    job_id = uuid.uuid4().hex
    pending = (session or db.session).info.setdefault("pending_jobs", [])
    pending.append((job_id, name, kwargs, current_app._get_current_object()))
    return job_id


@event.listens_for(Session, "after_commit")
def _start_pending(session) -> None:
    pending = session.info.pop("pending_jobs", None)
    for job_id, name, kwargs, app in pending or ():
        _start(app, job_id, name, kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session) -> None:
    session.info.pop("pending_jobs", None)


def _start(app: Flask, job_id: str, name: str, kwargs: dict) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        queue(redis_url).enqueue(perform, name, kwargs, job_id=job_id, job_timeout=JOB_TIMEOUT,
                                 result_ttl=3600, failure_ttl=7 * 24 * 3600)
        return
    thread = threading.Thread(target=_run_in_thread, args=(app, name, kwargs), daemon=True,
                              name=f"job-{name}-{job_id[:8]}")
    _THREADS[job_id] = thread
    thread.start()


def _run_in_thread(app: Flask, name: str, kwargs: dict) -> None:
    with app.app_context():
        try:
            perform(name, kwargs)
        finally:
            db.session.remove()


def perform(name: str, kwargs: dict):
    """Run a job now (in a worker, a thread or a test). Needs an application context;
    an RQ worker started by `flask jobs worker` has one."""
    try:
        return JOBS[name](**kwargs)
    except Exception:
        db.session.rollback()
        log.exception("Job %s failed", name)
        raise


def wait(job_id: str, timeout: float = 60) -> bool:
    """Wait for an embedded job to finish (tests, command line); True when it did."""
    thread = _THREADS.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    if not thread.is_alive():
        _THREADS.pop(job_id, None)
        return True
    return False


def wait_all(timeout: float = 60) -> bool:
    """Wait for every embedded job started so far (tests, a command that ends its
    process); True when all finished."""
    return all([wait(job_id, timeout) for job_id in list(_THREADS)])


def queue(redis_url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))


jobs_cli = click.Group("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool):
    """Run jobs from the Redis queue (production; REGISTRY_REDIS_URL must be set)."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.ClickException("REGISTRY_REDIS_URL is not set: without Redis, jobs run inside the "
                                   "web process and no worker is needed.")
    from rq import SimpleWorker

    stop = threading.Event()
    if not burst:
        threading.Thread(target=_schedule_periodic_jobs, args=(redis_url, stop), daemon=True,
                         name="periodic-jobs").start()
    try:
        # SimpleWorker runs each job in this process, inside the application context.
        SimpleWorker([queue(redis_url)], connection=queue(redis_url).connection).work(burst=burst)
    finally:
        stop.set()
