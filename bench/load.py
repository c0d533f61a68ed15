"""Load on the production shape: two gunicorn processes and two RQ workers (scripts/serve)
on PostgreSQL and Redis with 1,000,000 records, 50 Locust users on 127.0.0.1 (searches
by serial, record pages, filtered lists, traces inbox, tracing dashboard) while a
100,000-row import commits. Prints p50/p95/p99 per page, the errors, whether the import
completed and lost nothing, and the machine's load.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/load.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        --redis redis://127.0.0.1:6379/7 [--records 1000000] [--import-rows 100000] [--users 50] \\
        [--seconds 150] [--port 5007]

A fresh database is made on the PostgreSQL server and dropped after; the Redis database
given is emptied before and after. Targets: p95 <= 150 ms for search and record pages,
0 errors, the import committed with every accepted row written once.

The worst realistic case: records of four states (Mali, Burkina Faso, Niger, Côte
d'Ivoire) with every sharing, serials mostly different, and users of all four states
(each sees its own records and the others' shared ones); the import's sheet is messy
(bench/imports.py's generator); the users also repeat the same searches.
"""

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import LETTERS, MAKES, SHARINGS, STATUSES  # noqa: E402

# The four demo states; statuses and sharings as bench/search.py weighs them, drawn evenly.
COUNTRIES = ("ML", "BF", "NE", "CI")
STATUS_NAMES = tuple(name for name, _share in STATUSES)
SHARING_NAMES = tuple(name for name, _share in SHARINGS)


def random_key(rng: random.Random) -> str:
    """A serial key of a common shape: two letters and six or seven digits."""
    return rng.choice(LETTERS) + rng.choice(LETTERS) + str(rng.randint(100_000, 9_999_999))
from tests.scratch import scratch_postgres  # noqa: E402

PASSWORD = "Bench-password-42"
FAST_PAGES = ("search by serial", "record page")
TARGET_P95_MS = 150


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def environment(database_url: str, redis_url: str, instance: Path, port: int) -> dict:
    return os.environ | {
        "REGISTRY_ENV": "production", "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_REDIS_URL": redis_url, "REGISTRY_SECRET_KEY": "bench-load-secret",
        "REGISTRY_INSTANCE_PATH": str(instance), "REGISTRY_UPLOAD_FOLDER": str(instance / "uploads"),
        "REGISTRY_BIND": f"127.0.0.1:{port}", "REGISTRY_WEB_WORKERS": "2", "REGISTRY_JOB_WORKERS": "2",
        "REGISTRY_SKIP_INIT": "1", "REGISTRY_LOG_REQUESTS": "no",
        "FLASK_APP": "registry",
    }


def build(env: dict, records: int) -> dict:
    """Schema by the migrations, countries and reference table, four agencies with 13 users
    each (the load's 50 accounts and more), `records` weapon records, a few hundred traces."""
    subprocess.run([str(ROOT / ".venv/bin/flask"), "registry", "init"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    os.environ.update({key: env[key] for key in ("REGISTRY_INSTANCE_PATH",)})
    import pyotp

    from registry import create_app
    from registry.auth import two_factor
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.extensions import bulk_insert, db
    from registry.tracing import service as tracing
    from registry.weapons.models import Weapon

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["REGISTRY_DATABASE_URL"], "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    context = app.app_context()
    context.push()
    agencies, accounts, officers = {}, [], {}
    for code in COUNTRIES:
        agency = create_agency(None, code=f"{code}-LOAD", name=f"Load {code}", country=db.session.get(Country, code),
                               kind=AgencyKind.NATIONAL_COMMISSION, is_tracing_focal_point=True)
        agencies[code] = agency
        for number in range(13):
            role = (Role.TRACING_OFFICER, Role.OFFICER, Role.VIEWER, Role.SUPERVISOR)[number % 4]
            user = create_user(None, email=f"user{number}.{code.lower()}@load.bench", name=f"User {number} {code}",
                               agency=agency, role=role, password=PASSWORD)
            secret = ""
            if two_factor.is_required(user):
                # Supervisors log in with a second factor: set one up with a real code.
                secret = two_factor.new_secret()
                totp = pyotp.TOTP(secret)
                two_factor.enable(user, secret, totp.generate_otp(int(time.time() // totp.interval) - 1))
            accounts.append(f"{user.email}:{PASSWORD}:{secret}")
            if role == Role.SUPERVISOR:
                officers[code] = user
    db.session.commit()
    rng = random.Random(17)
    now = datetime.now(UTC)
    serials, records_of = [], {code: [] for code in COUNTRIES}
    started = time.perf_counter()
    batch = []
    for number in range(1, records + 1):
        country = COUNTRIES[number % 4]
        key = random_key(rng)
        if number % 997 == 0:
            serials.append(key)
        moment = now - timedelta(minutes=number)
        batch.append({
            "reference": f"{country}-L-{number:08d}", "agency_id": agencies[country].id,
            "country_code": country, "status": rng.choice(STATUS_NAMES), "sharing": rng.choice(SHARING_NAMES),
            "raw_make": rng.choice(MAKES), "raw_serial": key, "serial_key": key, "serial_state": "readable",
            "event_date": date(2000, 1, 1) + timedelta(days=number % 9000),
            "event_town": rng.choice(("Bamako", "Gao", "Ouagadougou", "Niamey", "Abidjan")),
            "created_at": moment, "updated_at": moment, "version": 1,
        })
        if len(batch) == 20_000:
            bulk_insert(Weapon.__table__, batch)
            db.session.commit()
            batch = []
    if batch:
        bulk_insert(Weapon.__table__, batch)
        db.session.commit()
    log(f"{records:,} records written in {time.perf_counter() - started:.0f} s")
    # Record pages: each state's users open their own records.
    for code in COUNTRIES:
        records_of[code] = list(db.session.scalars(
            sa.select(Weapon.id).where(Weapon.country_code == code).order_by(Weapon.id.desc()).limit(2000)))
    # Traces between the states, so inboxes and dashboards have something to count.
    for number in range(200):
        sender_country = COUNTRIES[number % 4]
        receiver_country = COUNTRIES[(number + 1) % 4]
        trace = tracing.create_trace_request(
            officers[sender_country], weapon_ids=[records_of[sender_country][number]],
            requested_country_code=receiver_country, illicit_reason="Seized without permit.",
            legal_basis="National law.", recovery_circumstances="Checkpoint.",
            information_sought="Last legal holder.", intended_use="Investigation.",
            confidentiality="Restricted.")
        tracing.send(officers[sender_country], trace)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    importer = officers["ML"]
    targets = {"serials": serials, "records": records_of, "importer_id": importer.id}
    db.session.remove()
    db.engine.dispose()
    context.pop()
    return {"app": app, "accounts": accounts, "targets": targets}


def analyse_import(app, importer_id: int, sheet: Path) -> int:
    """Upload and analyse the sheet (through the registry's service, as the page does),
    and accept its rows to review: the import waits at review for its commit."""
    from registry.auth.models import User
    from registry.extensions import db
    from registry.imports import service
    from registry.imports.jobs import start_analysis_job
    from registry.imports.models import Import, ImportStatus

    with app.app_context():
        user = db.session.get(User, importer_id)
        import_ = service.upload_import(user, sheet, sheet.name)
        start_analysis_job(user, import_)
        db.session.commit()
        import_id = import_.id
        while True:
            time.sleep(3)
            db.session.expire_all()
            import_ = db.session.get(Import, import_id)
            if import_.status not in (ImportStatus.UPLOADED, ImportStatus.ANALYSING):
                break
        if import_.status != ImportStatus.REVIEW:
            raise SystemExit(f"The analysis ended {import_.status}: {import_.error}")
        log(f"Import {import_id} analysed: {import_.counts}")
        db.session.remove()
    return import_id


def start_commit(app, importer_id: int, import_id: int) -> None:
    from registry.auth.models import User
    from registry.extensions import db
    from registry.imports.jobs import start_commit_job
    from registry.imports.models import Import

    with app.app_context():
        user = db.session.get(User, importer_id)
        start_commit_job(user, db.session.get(Import, import_id))
        db.session.commit()
        db.session.remove()


def import_outcome(app, import_id: int) -> dict:
    from registry.extensions import db
    from registry.imports.models import Import, ImportRow
    from registry.weapons.models import Weapon

    with app.app_context():
        import_ = db.session.get(Import, import_id)
        accepted = db.session.scalar(sa.select(sa.func.count()).where(
            ImportRow.import_id == import_id, ImportRow.accepted.is_(True)))
        written = db.session.scalar(sa.select(sa.func.count()).select_from(Weapon).join(
            ImportRow, Weapon.import_row_id == ImportRow.id).where(ImportRow.import_id == import_id))
        distinct_rows = db.session.scalar(sa.select(sa.func.count(sa.distinct(Weapon.import_row_id))).join(
            ImportRow, Weapon.import_row_id == ImportRow.id).where(ImportRow.import_id == import_id))
        outcome = {"status": import_.status.value, "accepted": accepted, "written": written,
                   "written_once": written == distinct_rows, "committed_at": import_.committed_at,
                   "error": import_.error}
        db.session.remove()
    return outcome


_LOCK_SAMPLES: list[int] = []


def lock_waits(database_url: str) -> int:
    """Sessions of the run's database waiting on a lock now; counts those whose query
    appends to the audit log (the chain's head row is locked until the request commits)."""
    engine = _engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).all()
    _LOCK_SAMPLES.append(sum(1 for row in rows if "audit_chain_head" in (row.query or "")))
    return len(rows)


def audit_share(waiting: list[int]) -> str:
    total = sum(waiting)
    return f"{sum(_LOCK_SAMPLES) * 100 // total}% of the waits" if total else "none"


_ENGINES: dict = {}


def _engine(url: str):
    if url not in _ENGINES:
        _ENGINES[url] = sa.create_engine(url, pool_size=1)
    return _ENGINES[url]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def log_in(base: str, accounts: list[str]) -> list[dict]:
    """Each account logs in as a browser does; its session cookie and country."""
    import re

    import requests

    sessions = []
    for account in accounts:
        email, password, secret = account.split(":", 2)
        browser = requests.Session()
        page = browser.get(f"{base}/login", timeout=60).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = browser.post(f"{base}/login", data={"email": email, "password": password, "csrf_token": token},
                              allow_redirects=False, timeout=120)
        if secret and answer.headers.get("Location", "").endswith("/login/code"):
            import pyotp

            page = browser.get(f"{base}/login/code", timeout=60).text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            answer = browser.post(f"{base}/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
                                  allow_redirects=False, timeout=120)
        if answer.status_code != 302:
            raise SystemExit(f"{email} could not log in: {answer.status_code}")
        sessions.append({"cookie": f"session={browser.cookies['session']}",
                         "country": email.split("@")[0].split(".")[-1].upper()})
    return sessions


def percentile_table(stats_file: Path) -> list[dict]:
    with open(stats_file, encoding="utf-8") as source:
        return [row for row in csv.DictReader(source) if row["Name"] != "Aggregated"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--redis", required=True, help="Redis URL of a database this run may empty")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=150, help="length of the load (bounded)")
    parser.add_argument("--port", type=int, default=0, help="port of the registry (default: a free one)")
    arguments = parser.parse_args()
    from redis import Redis

    Redis.from_url(arguments.redis).flushdb()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, \
            scratch_postgres(arguments.postgres, prefix="registry_load") as database_url:
        instance = Path(folder)
        # The bench's 50 users all log in from 127.0.0.1: the login limit is per address.
        # and they speak HTTP to 127.0.0.1, where production's cookies want HTTPS from the proxy.
        (instance / "config.py").write_text('LOGIN_RATE_LIMIT = "10000 per minute"\n'
                                            'SESSION_COOKIE_SECURE = False\n')
        port = arguments.port or free_port()
        env = environment(database_url, arguments.redis, instance, port)
        log(f"Building {arguments.records:,} records (machine load {load_before[0]:.1f})")
        world = build(env, arguments.records)
        sheet = instance / "saisies.xlsx"
        from bench.imports import generate

        generate(sheet, arguments.import_rows)
        log(f"Sheet of {arguments.import_rows:,} rows written")
        targets_file = instance / "targets.json"
        targets_file.write_text(json.dumps(world["targets"]))
        server = subprocess.Popen([str(ROOT / "scripts/serve")], cwd=ROOT, env=env, start_new_session=True,
                                  stdout=open(instance / "serve.log", "w"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            log("Two gunicorn processes and two RQ workers ready; analysing the import")
            import_id = analyse_import(world["app"], world["targets"]["importer_id"], sheet)
            # The users log in before the load (a login's password hash is work the load
            # would otherwise count against the pages); each Locust user carries a session.
            world["targets"]["sessions"] = log_in(base, world["accounts"][:arguments.users])
            targets_file.write_text(json.dumps(world["targets"]))
            log(f"Load: {arguments.users} users for {arguments.seconds} s; the commit starts after 10 s")
            locust = subprocess.Popen(
                [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"), "--headless",
                 "-u", str(arguments.users), "-r", "10", "-t", f"{arguments.seconds}s", "--host", base,
                 "--csv", str(instance / "load"), "--only-summary", "--stop-timeout", "10"],
                cwd=ROOT, env=env | {"BENCH_TARGETS": str(targets_file)},
                stdout=open(instance / "locust.log", "w"), stderr=subprocess.STDOUT)
            time.sleep(10)
            commit_started = time.monotonic()
            start_commit(world["app"], world["targets"]["importer_id"], import_id)
            load_during = os.getloadavg()
            committed_after = None
            waiting = []  # requests waiting on a row lock, sampled: where the load queues
            while locust.poll() is None:
                time.sleep(2)
                waiting.append(lock_waits(database_url))
                if committed_after is None and import_outcome(world["app"], import_id)["status"] == "committed":
                    committed_after = time.monotonic() - commit_started
            while committed_after is None and time.monotonic() - commit_started < 900:
                outcome = import_outcome(world["app"], import_id)
                if outcome["status"] in ("committed", "failed"):
                    committed_after = time.monotonic() - commit_started
                    break
                time.sleep(3)
            outcome = import_outcome(world["app"], import_id)
            rows = percentile_table(instance / "load_stats.csv")
            failures = (instance / "load_failures.csv").read_text().strip().splitlines()[1:]
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
    load_after = os.getloadavg()
    print(f"\n{arguments.records:,} records, {arguments.users} users for {arguments.seconds} s on "
          f"2 gunicorn processes x 4 threads and 2 RQ workers, PostgreSQL and Redis on this machine "
          f"({os.cpu_count()} cores, shared)")
    print(f"machine load (1 min) before {load_before[0]:.1f}, during the commit {load_during[0]:.1f}, "
          f"after {load_after[0]:.1f}")
    print(f"{'page':<22}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    met = True
    errors = 0
    for row in rows:
        p50, p95, p99 = (float(row[name]) for name in ("50%", "95%", "99%"))
        errors += int(row["Failure Count"])
        print(f"{row['Name']:<22}{int(row['Request Count']):>10}{int(row['Failure Count']):>8}"
              f"{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}")
        if row["Name"] in FAST_PAGES and p95 > TARGET_P95_MS:
            met = False
    if waiting:
        print(f"database sessions waiting on a lock (sampled every 2 s): mean {sum(waiting) / len(waiting):.1f}, "
              f"max {max(waiting)}; on the audit chain's head: {audit_share(waiting)}")
    for line in failures:
        print(f"  failure: {line}")
    print(f"import of {arguments.import_rows:,} rows: {outcome['status']}, {outcome['written']:,} records "
          f"written for {outcome['accepted']:,} accepted rows, each once: {outcome['written_once']}; "
          f"commit took {committed_after:.0f} s" if committed_after else
          f"import of {arguments.import_rows:,} rows: {outcome['status']} ({outcome['error']})")
    lost = outcome["status"] != "committed" or outcome["written"] != outcome["accepted"] or not outcome["written_once"]
    print(f"targets: p95 <= {TARGET_P95_MS} ms for search and record pages: {'met' if met else 'NOT met'}; "
          f"0 errors: {'met' if errors == 0 else f'NOT met ({errors})'}; "
          f"import complete, nothing lost: {'met' if not lost else 'NOT met'}")


if __name__ == "__main__":
    main()
