"""What production watches: a request id on every request and log line, logs as JSON
lines, and Prometheus metrics (requests, latency, job queue length, import rows per
second) that add up across gunicorn's processes (docs/production.md).

Metrics use prometheus_client. Under gunicorn, `scripts/serve` sets
PROMETHEUS_MULTIPROC_DIR: each process writes its figures there and /metrics adds up
every process's, so a scrape sees the whole server whichever process answers it.
"""

import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("registry_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("registry_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10))
IMPORT_ROWS = Counter("registry_import_rows_committed_total", "Import rows written as records")
IMPORT_SECONDS = Counter("registry_import_commit_seconds_total", "Time spent committing imports")
IMPORT_RATE = Gauge("registry_import_rows_per_second", "Rows per second of the last import commit",
                    multiprocess_mode="mostrecent")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
log = logging.getLogger("registry.request")


# --- Request id and logs -------------------------------------------------------------------


def start_request() -> None:
    """The request's id (the proxy's X-Request-ID when it sends a sane one) and start time."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts the request id on every log record written while a request runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id() or "-"
        return True


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr (`REGISTRY_LOG_FORMAT=json`, the default in production), or
    readable text; either way with the request id."""
    root = logging.getLogger()
    if any(getattr(handler, "registry_handler", False) for handler in root.handlers):
        return  # several apps in one process (tests): one handler
    handler = logging.StreamHandler(sys.stderr)
    handler.registry_handler = True
    if app.config.get("LOG_FORMAT") == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    endpoint = request.endpoint or "unknown"
    if started is not None:
        elapsed = time.perf_counter() - started
        if endpoint != "main.metrics":
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(elapsed)
        if current_app.config.get("LOG_REQUESTS"):
            log.info("request", extra={
                "method": request.method, "path": request.path, "endpoint": endpoint,
                "status": response.status_code, "duration_ms": round(elapsed * 1000, 1),
                "user_id": _user_id(), "remote_address": request.remote_addr})
    if g.get("request_id"):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response


def _user_id():
    from flask_login import current_user

    try:
        return current_user.id if current_user and current_user.is_authenticated else None
    except Exception:  # a log line never breaks the answer
        return None


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.after_request(_finish)


# --- Import throughput --------------------------------------------------------------------


def import_committed(rows: int, seconds: float) -> None:
    """One import commit wrote `rows` records in `seconds`."""
    IMPORT_ROWS.inc(rows)
    IMPORT_SECONDS.inc(seconds)
    if seconds > 0:
        IMPORT_RATE.set(rows / seconds)


# --- The /metrics answer --------------------------------------------------------------------


class _QueueCollector:
    """Jobs waiting in the Redis queue, and failed ones, read at each scrape."""

    def __init__(self, redis_url: str | None):
        self.redis_url = redis_url

    def collect(self):
        waiting = GaugeMetricFamily("registry_job_queue_length", "Jobs waiting in the queue",
                                    labels=["queue"])
        failed = GaugeMetricFamily("registry_job_failed", "Jobs that failed and are kept for a look",
                                   labels=["queue"])
        if self.redis_url:
            from registry.jobs import QUEUE_NAME, queue

            try:
                jobs_queue = queue(self.redis_url)
                waiting.add_metric([QUEUE_NAME], jobs_queue.count)
                failed.add_metric([QUEUE_NAME], jobs_queue.failed_job_registry.count)
            except Exception:  # Redis away: the scrape still answers, /readyz says why
                logging.getLogger(__name__).warning("Could not read the job queue's length")
        else:
            from registry import jobs

            waiting.add_metric(["embedded"], sum(1 for thread in jobs._THREADS.values()
                                                 if thread.is_alive()))
        yield waiting
        yield failed


def metrics_text(app: Flask) -> bytes:
    """Every metric of the server: all gunicorn processes' when multiprocess, and the queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    queue_registry = CollectorRegistry()
    queue_registry.register(_QueueCollector(app.config.get("REDIS_URL")))
    return text + generate_latest(queue_registry)
