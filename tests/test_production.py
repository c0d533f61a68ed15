"""What production relies on: /healthz and /readyz, JSON log lines carrying the request
id, Prometheus metrics, and two gunicorn processes and a job worker started by
scripts/serve sharing sessions, rate limits and jobs through PostgreSQL and Redis."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from registry import create_app
from registry.extensions import db
from tests.conftest import PASSWORD, TEST_REDIS_URL, make_config

ROOT = Path(__file__).resolve().parent.parent


def test_readyz_answers_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "ok", "redis": "not used"}


def test_readyz_says_what_is_not_ready(tmp_path):
    # A database that was never upgraded, and a Redis that does not answer.
    app = create_app(make_config(f"sqlite:///{tmp_path / 'empty.sqlite'}", tmp_path)
                     | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        response = app.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "database": "ok", "migrations": "behind",
                             "redis": "unreachable"}


def test_every_log_line_is_json_and_carries_the_request_id(tmp_path):
    script = (
        "from registry import create_app\n"
        f"app = create_app({{'TESTING': True, 'SECRET_KEY': 'x', 'LOG_FORMAT': 'json', 'LOG_REQUESTS': True,"
        f" 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'log.sqlite'}'}})\n"
        "app.logger.info('before any request')\n"
        "client = app.test_client()\n"
        "answer = client.get('/healthz', headers={'X-Request-ID': 'proxy-42'})\n"
        "print(answer.headers['X-Request-ID'])\n"
        "print(client.get('/healthz').headers['X-Request-ID'])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         check=True, env=os.environ | {"REGISTRY_INSTANCE_PATH": str(tmp_path)})
    given, made = run.stdout.split()
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert lines and len(lines) == len([line for line in run.stderr.splitlines() if line.strip()])
    requests_logged = [line for line in lines if line["message"] == "request"]
    assert [(line["request_id"], line["path"], line["status"]) for line in requests_logged] == [
        ("proxy-42", "/healthz", 200), (made, "/healthz", 200)]
    assert given == "proxy-42" and len(made) == 32
    assert {"time", "level", "logger", "duration_ms"} <= set(requests_logged[0])
    assert lines[0]["message"] == "before any request" and lines[0]["request_id"] == "-"


def test_metrics_count_requests_by_endpoint_and_can_be_kept_for_the_scraper(app, client):
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'registry_http_requests_total{endpoint="main.healthz",method="GET",status="200"}' in text
    assert "registry_http_request_duration_seconds_bucket" in text
    assert 'registry_job_queue_length{queue="embedded"}' in text
    assert "registry_import_rows_per_second" in text
    app.config["METRICS_TOKEN"] = "scraper-secret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer scraper-secret"}).status_code == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(base: str, process, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "scripts/serve stopped"
        try:
            if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # still starting
        time.sleep(0.5)
    raise AssertionError("scripts/serve was not ready in time")


@pytest.fixture
def served(app, world, tmp_path, migrated_database):
    """scripts/serve on this run's database: two gunicorn processes and one job worker."""
    if not migrated_database.startswith("postgresql"):
        pytest.skip("scripts/serve runs on PostgreSQL (set TEST_DATABASE_URL)")
    from redis import Redis

    try:
        Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except Exception:
        pytest.skip(f"Redis unreachable at {TEST_REDIS_URL}")
    Redis.from_url(TEST_REDIS_URL).flushdb()
    port = _free_port()
    environment = os.environ | {
        "REGISTRY_DATABASE_URL": migrated_database, "REGISTRY_REDIS_URL": TEST_REDIS_URL,
        "REGISTRY_SECRET_KEY": "serve-test-key", "REGISTRY_BIND": f"127.0.0.1:{port}",
        "REGISTRY_WEB_WORKERS": "2", "REGISTRY_JOB_WORKERS": "1", "REGISTRY_SKIP_INIT": "1",
        "REGISTRY_INSTANCE_PATH": str(tmp_path), "REGISTRY_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REGISTRY_API_RATE_LIMIT": "8 per minute",
        # Production cookies are secure (HTTPS behind the proxy); this client speaks HTTP.
        "REGISTRY_ENV": "development",
    }
    process = subprocess.Popen([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        Redis.from_url(TEST_REDIS_URL).flushdb()


def test_two_app_processes_and_a_worker_serve_one_registry(served, world):
    from registry.auth.service import create_api_token

    _token, plain = create_api_token(world["ML"].user("officer"), "shared limit")
    db.session.commit()
    browser = requests.Session()
    login_page = browser.get(f"{served}/login").text
    csrf = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    answer = browser.post(f"{served}/login", data={"email": "officer@ml.test", "password": PASSWORD,
                                                   "csrf_token": csrf}, allow_redirects=False)
    assert answer.status_code == 302
    # Whichever process answers, the session holds (a signed cookie and the database).
    pages = [browser.get(f"{served}/account", allow_redirects=False) for _ in range(12)]
    assert [page.status_code for page in pages] == [200] * 12
    # One token's rate limit is counted in Redis: the two processes share it.
    calls = [requests.get(f"{served}/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code
             for _ in range(10)]
    assert calls.count(200) == 8 and calls[8:] == [429, 429]
    metrics = requests.get(f"{served}/metrics").text
    account_line = next(line for line in metrics.splitlines()
                        if line.startswith('registry_http_requests_total{endpoint="auth.account"'))
    assert account_line.endswith(" 12.0")  # counted by both processes, added up
    assert 'registry_job_queue_length{queue="registry"}' in metrics
