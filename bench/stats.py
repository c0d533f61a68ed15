"""The home dashboard and the statistics page on many records: prints p50/p95/p99 in ms.

    .venv/bin/python bench/stats.py --n 1000000 [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]

Builds a fresh SQLite file (and, with --postgres, a fresh database on that server, dropped
afterwards) holding N records generated as `flask registry demo` makes them (every status
and type, regions typed several ways, a third with a point) over three years in four
states, then times, through the registry's own service functions and as a viewer of Mali:
the dashboard, the statistics of last year, the same narrowed to one region, and the map of
last year; then the same pages as a logged-in browser gets them (HTTP, rendered, audited).
Targets: p95 <= 300 ms on PostgreSQL, <= 1 s on SQLite.
"""

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry import create_app  # noqa: E402
from registry.extensions import db  # noqa: E402
from tests.scratch import scratch_postgres  # noqa: E402

COUNTRIES = {"ML": 0.4, "BF": 0.25, "NE": 0.2, "CI": 0.15}
BATCH = 50_000
PASSWORD = "Bench-password-42"


def build(database_url: str, count: int):
    """Schema, countries, the starter reference table, an agency and viewer per state, records."""
    from flask_migrate import upgrade

    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.reference.cli import STARTER_TABLE
    from registry.reference.service import load_reference_file
    from registry.reports import demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    context = app.app_context()
    context.push()
    # The schema as the migrations make it: their indexes (and SQLite's triggers) included.
    upgrade(directory=app.extensions["migrate"].directory)
    load_countries()
    load_reference_file(None, STARTER_TABLE, "starter.xlsx")
    users = {}
    for code in COUNTRIES:
        agency = create_agency(None, code=f"{code}-BENCH", name=f"Bench {code}",
                               country=db.session.get(Country, code), kind=AgencyKind.NATIONAL_COMMISSION)
        users[code] = (agency, create_user(None, email=f"viewer@{code.lower()}.bench", name=f"Viewer {code}",
                                           agency=agency, role=Role.VIEWER, password=PASSWORD))
    db.session.commit()
    rng = random.Random(7)
    started = time.perf_counter()
    today = date.today()
    for code, share in COUNTRIES.items():
        agency, user = users[code]
        remaining = round(count * share)
        while remaining > 0:
            size = min(BATCH, remaining)
            demo._insert(demo.generated_rows(agency, user.id, size, rng, today))
            db.session.commit()
            remaining -= size
    # Fresh statistics for the planners, as PostgreSQL's autovacuum keeps them (and its map of
    # visible pages, which lets a scan read the index alone); SQLite's after a load.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
    print(f"  {count:,} records written in {time.perf_counter() - started:.0f} s")
    return app, context, users["ML"][1]


def timed(function, rounds: int) -> dict:
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    durations.sort()
    quantiles = statistics.quantiles(durations, n=100) if len(durations) > 1 else durations * 99
    return {"p50": statistics.median(durations), "p95": quantiles[94], "p99": quantiles[98]}


def run(database_url: str, label: str, count: int, rounds: int, target_ms: float) -> None:
    from registry.reports.dashboard import dashboard
    from registry.reports.service import Filters, map_figures, statistics

    print(f"{label}:")
    app, context, user = build(database_url, count)
    year = str(date.today().year - 1)
    last_year = Filters.parse({"year": year})
    one_region = Filters.parse({"year": year, "region": "Gao"})
    # The pages as a browser gets them: the figures, the charts and the map drawn, the page
    # rendered, the audit event written.
    browser = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      browser.get("/login").get_data(as_text=True)).group(1)
    login = browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302, login.get_data(as_text=True)

    def page(path: str):
        def get():
            response = browser.get(path)
            assert response.status_code == 200, response.status_code
        return get

    cases = {
        "dashboard": lambda: dashboard(user),
        "home page (HTTP)": page("/"),
        f"statistics of {year}": lambda: statistics(user, last_year, audit=False),
        f"statistics page of {year} (HTTP)": page(f"/reports/?year={year}"),
        f"statistics of {year}, region Gao": lambda: statistics(user, one_region, audit=False),
        "statistics page, region Gao (HTTP)": page(f"/reports/?year={year}&region=Gao"),
        f"map of {year}": lambda: map_figures(user, last_year, audit=False),
        f"map page of {year} (HTTP)": page(f"/reports/map?year={year}"),
    }
    for name, function in cases.items():
        figures = timed(function, rounds)
        verdict = "ok" if figures["p95"] <= target_ms else "OVER TARGET"
        print(f"  {name:36} p50 {figures['p50']:8.1f}  p95 {figures['p95']:8.1f}  p99 {figures['p99']:8.1f} ms"
              f"  (target p95 <= {target_ms:.0f} ms: {verdict})")
    db.session.remove()
    db.engine.dispose()
    context.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="records (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=20, help="timed calls of each kind (default 20)")
    parser.add_argument("--postgres", help="PostgreSQL server URL: a fresh database is made there")
    parser.add_argument("--skip-sqlite", action="store_true")
    arguments = parser.parse_args()
    if not arguments.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/stats-bench.sqlite", "SQLite", arguments.n, arguments.rounds, 1000)
    if arguments.postgres:
        with scratch_postgres(arguments.postgres, prefix="registry_bench_stats") as url:
            run(url, "PostgreSQL", arguments.n, arguments.rounds, 300)


if __name__ == "__main__":
    main()
