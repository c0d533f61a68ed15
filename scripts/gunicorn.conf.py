"""gunicorn's settings for scripts/serve (environment variables in docs/production.md)."""

import os

wsgi_app = "registry:create_app()"
bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REGISTRY_WEB_WORKERS", "2"))
# Threads answer other requests while one waits on the database.
worker_class = "gthread"
threads = int(os.environ.get("REGISTRY_WEB_THREADS", "4"))
timeout = 120
# A browser, a proxy or a script keeps its connection open between requests; gunicorn's
# default (2 s) closes it while the next request may already be on its way, which the
# client sees as a reset connection (bench/load.py counted two in 7,500 requests).
# Behind a reverse proxy, keep the proxy's own keep-alive shorter than this.
keepalive = int(os.environ.get("REGISTRY_WEB_KEEPALIVE", "30"))
graceful_timeout = 30
# Requests are logged by the registry itself, as JSON lines with their request id.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    # The registry puts its own JSON handler on the root logger (registry/observability.py).
    "root": {"level": "INFO", "handlers": []},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
}
forwarded_allow_ips = os.environ.get("REGISTRY_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # The metrics of a process that ended are kept (counters) but its live gauges dropped.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
