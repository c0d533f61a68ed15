"""Audited pages at once: how long they wait on the audit chain. A small cousin of
bench/load.py for a shared machine: gunicorn (2 processes x 4 threads) on PostgreSQL with
--records records, then --clients browsers at once, each opening record pages (an audit
event each) and searching by serial (an audit event each) for --seconds seconds. Prints
p50/p95/p99 per page, pages a second, and how many database sessions were waiting on a
lock (sampled every 0.5 s), of them on the audit chain's head row.

    .venv/bin/python bench/audit_chain.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        --redis redis://127.0.0.1:6379/10 [--records 20000] [--clients 1,8,16] [--seconds 20]

A fresh database is made on the server and dropped after; the Redis database given is
emptied before and after.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scratch import scratch_postgres  # noqa: E402

PASSWORD = "Bench-password-42"
COUNTRIES = ("ML", "NE")
MAKES = ("Kalashnikov", "Beretta", "Glock", "Norinco", "FN Herstal", "Browning")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def environment(database_url: str, redis_url: str, instance: Path, port: int) -> dict:
    return os.environ | {
        "REGISTRY_ENV": "production", "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_REDIS_URL": redis_url, "REGISTRY_SECRET_KEY": "bench-audit-secret",
        "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_UPLOAD_FOLDER": str(instance / "uploads"),
        "REGISTRY_BIND": f"127.0.0.1:{port}", "REGISTRY_WEB_WORKERS": "2", "REGISTRY_WEB_THREADS": "4",
        "REGISTRY_SKIP_INIT": "1", "REGISTRY_LOG_REQUESTS": "no", "FLASK_APP": "registry",
    }


def build(env: dict, records: int, users: int) -> dict:
    """Schema, countries and reference table; an agency in each of two states with `users`
    officers each; `records` weapon records shared by no one."""
    subprocess.run([str(ROOT / ".venv/bin/flask"), "registry", "init"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    import sqlalchemy as sa

    from registry import create_app
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.extensions import bulk_insert, db
    from registry.weapons.models import Weapon

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["REGISTRY_DATABASE_URL"], "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    rng = random.Random(17)
    accounts, serials, records_of = [], [], {}
    with app.app_context():
        for code in COUNTRIES:
            agency = create_agency(None, code=f"{code}-AUDIT", name=f"Bench {code}",
                                   country=db.session.get(Country, code),
                                   kind=AgencyKind.NATIONAL_COMMISSION, is_tracing_focal_point=True)
            for number in range(users):
                user = create_user(None, email=f"officer{number}.{code.lower()}@audit.bench",
                                   name=f"Officer {number} {code}", agency=agency, role=Role.OFFICER,
                                   password=PASSWORD)
                accounts.append((user.email, code))
            rows = []
            for number in range(records // len(COUNTRIES)):
                serial = "".join(rng.choice("ABCDEFGHJKMNPRSTUVWXYZ0123456789") for _ in range(8))
                if number % 200 == 0:
                    serials.append(serial)
                rows.append({"reference": f"{code}-B-{number:08d}", "agency_id": agency.id,
                             "country_code": code, "status": "seized", "sharing": "national",
                             "raw_make": rng.choice(MAKES), "raw_serial": serial, "serial_key": serial,
                             "serial_state": "readable", "version": 1, "created_at": now, "updated_at": now})
            bulk_insert(Weapon.__table__, rows)
            db.session.commit()
            records_of[code] = list(db.session.scalars(
                sa.select(Weapon.id).where(Weapon.country_code == code).limit(2000)))
        db.session.remove()
        db.engine.dispose()
    return {"app": app, "accounts": accounts, "targets": {"serials": serials, "records": records_of}}


def wait_ready(base: str, seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(1)
    raise SystemExit("The registry was not ready in time")


def log_in(base: str, accounts: list[tuple[str, str]]) -> list[dict]:
    import re

    import requests

    sessions = []
    for email, country in accounts:
        browser = requests.Session()
        page = browser.get(f"{base}/login", timeout=60).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = browser.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                              allow_redirects=False, timeout=120)
        if answer.status_code != 302:
            raise SystemExit(f"{email} could not log in: {answer.status_code}")
        sessions.append({"cookie": f"session={browser.cookies['session']}", "country": country})
    return sessions


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_ENGINES: dict = {}


def lock_waits(database_url: str) -> tuple[int, int]:
    """(sessions of the run's database waiting on a lock now, of them on the audit head)."""
    import sqlalchemy as sa

    if database_url not in _ENGINES:
        _ENGINES[database_url] = sa.create_engine(database_url, pool_size=1)
    with _ENGINES[database_url].connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).all()
    return len(rows), sum(1 for row in rows if "audit_chain_head" in (row.query or ""))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_clients(base: str, sessions: list[dict], targets: dict, clients: int, seconds: float,
                database_url: str) -> dict:
    """`clients` browsers at once for `seconds`: their latencies by page, and the lock waits."""
    import requests

    latencies: dict[str, list[float]] = {"record page": [], "search by serial": []}
    errors: list[str] = []
    stop = time.monotonic() + seconds
    guard = threading.Lock()

    def browse(number: int) -> None:
        session = sessions[number % len(sessions)]
        browser = requests.Session()
        browser.headers["Cookie"] = session["cookie"]
        rng = random.Random(number)
        records = targets["records"][session["country"]]
        while time.monotonic() < stop:
            if rng.random() < 0.5:
                page, path = "record page", f"/weapons/{rng.choice(records)}"
            else:
                page, path = "search by serial", f"/weapons/?serial={rng.choice(targets['serials'])}"
            started = time.perf_counter()
            try:
                answer = browser.get(base + path, timeout=120, allow_redirects=False)
                ok = answer.status_code == 200
            except requests.RequestException as error:
                ok, answer = False, error
            elapsed = (time.perf_counter() - started) * 1000
            with guard:
                if ok:
                    latencies[page].append(elapsed)
                else:
                    errors.append(f"{path}: {getattr(answer, 'status_code', answer)}")

    waiting: list[tuple[int, int]] = []
    threads = [threading.Thread(target=browse, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.5)
        waiting.append(lock_waits(database_url))
    return {"latencies": latencies, "errors": errors, "waiting": [total for total, _ in waiting],
            "on_head": [head for _, head in waiting]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--redis", required=True, help="Redis URL of a database this run may empty")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--clients", default="1,8,16", help="numbers of browsers at once, one run each")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    from redis import Redis

    levels = [int(value) for value in arguments.clients.split(",")]
    Redis.from_url(arguments.redis).flushdb()
    results = []
    with tempfile.TemporaryDirectory() as folder, \
            scratch_postgres(arguments.postgres, prefix="registry_audit_bench") as database_url:
        instance = Path(folder)
        (instance / "config.py").write_text('LOGIN_RATE_LIMIT = "10000 per minute"\n'
                                            'SESSION_COOKIE_SECURE = False\n')
        port = arguments.port or free_port()
        env = environment(database_url, arguments.redis, instance, port)
        log(f"Building {arguments.records:,} records")
        world = build(env, arguments.records, users=max(levels) // len(COUNTRIES) + 1)
        server = subprocess.Popen([str(ROOT / "scripts/serve"), "web"], cwd=ROOT, env=env, start_new_session=True,
                                  stdout=open(instance / "serve.log", "w"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            sessions = log_in(base, world["accounts"])
            for clients in levels:
                load_before = os.getloadavg()[0]
                log(f"{clients} browsers for {arguments.seconds:.0f} s (load {load_before:.1f})")
                outcome = run_clients(base, sessions, world["targets"], clients, arguments.seconds,
                                      database_url)
                outcome |= {"clients": clients, "load": (load_before + os.getloadavg()[0]) / 2}
                results.append(outcome)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            from registry.extensions import db

            with world["app"].app_context():
                db.engine.dispose()
            for engine in _ENGINES.values():
                engine.dispose()
        Redis.from_url(arguments.redis).flushdb()
    print(f"\n{arguments.records:,} records, gunicorn 2 processes x 4 threads on PostgreSQL, "
          f"{arguments.seconds:.0f} s a run ({os.cpu_count()} cores, shared)")
    print(f"{'browsers':>8} {'page':<18}{'pages':>7}{'a second':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'errors':>8}  waiting on a lock (mean, of them on the audit head)  load")
    for outcome in results:
        waiting, on_head = outcome["waiting"], outcome["on_head"]
        mean_waiting = sum(waiting) / len(waiting) if waiting else 0
        mean_head = sum(on_head) / len(on_head) if on_head else 0
        for page, values in outcome["latencies"].items():
            print(f"{outcome['clients']:>8} {page:<18}{len(values):>7}{len(values) / arguments.seconds:>10.1f}"
                  f"{percentile(values, 0.5):>8.0f}{percentile(values, 0.95):>8.0f}{percentile(values, 0.99):>8.0f}"
                  f"{len(outcome['errors']):>8}  {mean_waiting:.1f}, {mean_head:.1f}"
                  f"{'':>30}{outcome['load']:.1f}")
        for line in outcome["errors"][:5]:
            print(f"  error: {line}")


if __name__ == "__main__":
    main()
