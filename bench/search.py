"""Serial lookups and list pages on many weapon records: prints p50/p95/p99 in milliseconds.

    .venv/bin/python bench/search.py --n 1000000 [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]

Loads N records (bulk insert) into a fresh SQLite file and, when a PostgreSQL server URL
is given, into a fresh database on it (dropped afterwards), then times through the
registry's own search functions, as a user of Mali who sees its records and the others
shared with it: an exact serial lookup, a near lookup (one typing error), and the first
page of a filtered, sorted list. Target: p95 <= 20 ms on 1 M records.
"""

import argparse
import random
import statistics
import string
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry import create_app  # noqa: E402
from registry.extensions import db  # noqa: E402
from tests.scratch import scratch_postgres  # noqa: E402

COUNTRIES = ("ML", "BF", "NE", "CI")
STATUSES = ("seized", "found", "surrendered", "lost", "stolen", "trafficked", "destroyed", "returned")
SHARINGS = ("national", "partners", "all")
MAKES = ("Kalashnikov", "Beretta", "Glock", "FN Herstal", "Norinco", "CZ", "Makarov", "Browning")
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_key(rng: random.Random) -> str:
    prefix = "".join(rng.choice(string.ascii_uppercase.replace("O", "").replace("I", "").replace("L", ""))
                     for _ in range(rng.randint(0, 3)))
    return prefix + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 9)))


def build(database_url: str, count: int, seed: int = 7) -> tuple:
    """Schema, countries, one agency and viewer per country, then `count` records."""
    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.weapons.models import Weapon

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    context = app.app_context()
    context.push()
    db.create_all()
    load_countries()
    agencies, users = {}, {}
    for code in COUNTRIES:
        agencies[code] = create_agency(None, code=f"{code}-BENCH", name=f"Bench {code}",
                                       country=db.session.get(Country, code),
                                       kind=AgencyKind.NATIONAL_COMMISSION)
        users[code] = create_user(None, email=f"viewer@{code.lower()}.bench", name=f"Viewer {code}",
                                  agency=agencies[code], role=Role.VIEWER,
                                  password="Bench-password-42")
    db.session.commit()
    rng = random.Random(seed)
    table = Weapon.__table__
    now = datetime.now(UTC)
    keys = []
    started = time.perf_counter()
    batch = []
    with db.engine.begin() as connection:
        for number in range(1, count + 1):
            country = rng.choice(COUNTRIES)
            key = random_key(rng)
            if number % 97 == 0:
                keys.append(key)
            moment = now - timedelta(minutes=number)
            batch.append({
                "reference": f"{country}-B-{number:08d}", "agency_id": agencies[country].id,
                "country_code": country, "status": rng.choice(STATUSES), "sharing": rng.choice(SHARINGS),
                "raw_make": rng.choice(MAKES), "raw_serial": key, "serial_key": key,
                "serial_state": "readable", "event_date": date(2000, 1, 1) + timedelta(days=number % 9000),
                "event_town": rng.choice(("Bamako", "Gao", "Ouagadougou", "Niamey", "Abidjan")),
                "created_at": moment, "updated_at": moment, "version": 1,
            })
            if len(batch) == 10_000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE weapon"))
    else:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    loaded = time.perf_counter() - started
    return app, context, users, keys, loaded


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def typo(key: str, rng: random.Random) -> str:
    position = rng.randrange(len(key))
    return key[:position] + rng.choice(ALPHABET.replace(key[position], "")) + key[position + 1:]


def measure(users, keys, rounds: int, seed: int = 11) -> dict[str, tuple[float, float, float]]:
    from registry.weapons import search

    rng = random.Random(seed)
    user = users["ML"]
    timings: dict[str, list[float]] = {"serial exact": [], "serial near": [], "filtered list page": []}
    criteria = search.Criteria()
    for _ in range(rounds):
        key = rng.choice(keys)
        started = time.perf_counter()
        search.serial_matches(user, key, criteria, near=False)
        timings["serial exact"].append((time.perf_counter() - started) * 1000)

        near = typo(key, rng)
        started = time.perf_counter()
        search.serial_matches(user, near, criteria, near=True)
        timings["serial near"].append((time.perf_counter() - started) * 1000)

        listing = search.Criteria(status=rng.choice(STATUSES), country=rng.choice(COUNTRIES),
                                  sort="created", direction="desc")
        started = time.perf_counter()
        search.search(user, listing, page=rng.randint(1, 3), audit=False)
        timings["filtered list page"].append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return {name: percentiles(samples) for name, samples in timings.items()}


def run(label: str, database_url: str, count: int, rounds: int) -> None:
    app, context, users, keys, loaded = build(database_url, count)
    try:
        results = measure(users, keys, rounds)
    finally:
        db.session.remove()
        db.engine.dispose()
        context.pop()
    print(f"\n{label}: {count:,} records loaded in {loaded:.1f} s; {rounds} lookups of each kind")
    print(f"{'query':<22}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for name, (p50, p95, p99) in results.items():
        print(f"{name:<22}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="records to load (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=300, help="lookups of each kind (default 300)")
    parser.add_argument("--postgres", help="PostgreSQL server URL; a fresh database is made and dropped")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    arguments = parser.parse_args()
    if not arguments.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.sqlite", arguments.n, arguments.rounds)
    if arguments.postgres:
        with scratch_postgres(arguments.postgres, prefix="registry_bench") as url:
            run("PostgreSQL", url, arguments.n, arguments.rounds)

if __name__ == "__main__":
    main()
