"""Serial searches and list pages on many weapon records: prints p50/p95/p99 in milliseconds.

    .venv/bin/python bench/search.py --n 1000000 [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]

Builds the schema with the real migrations in a fresh SQLite file and, when a PostgreSQL
server URL is given, in a fresh database on it (dropped afterwards), loads N records of
thirteen states (bulk insert), then times through the registry's own search functions, as
a viewer of Mali who sees its records and the others shared with it:

- serial exact and near (one typing error); partial serial: contains, starts with, ends
  with (4 to 6 characters of a serial); a pasted list of 500 serials; a sequence (one make,
  a range of 1,000 numbers);
- the list every user opens first (no filter, newest first) with its count, as Mali and as
  a viewer of Mauritania (a small state that sees fewer records); a deep page of it (read
  after a cursor anywhere in the list); and a filtered list (status and country).

The records are not shaped for the indexes: thirteen states of unequal size, two agencies
each with their own partner states, every sharing, 40 makes written several ways, serials
of real shapes (letters and digits, digits only, short serials of 2 to 4 digits, a letter
after the number, year-prefixed, runs of one shipment), the same serial in several states,
imports that record thousands of records at the same moment, deleted records.
Targets (p95): exact <= 20 ms, partial <= 50 ms, the list with its count <= 50 ms.
"""

import argparse
import random
import statistics
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

# State, share of the records.
STATES = (("NG", 20), ("CI", 12), ("ML", 10), ("BF", 10), ("NE", 8), ("SN", 8), ("GH", 8),
          ("CM", 6), ("TD", 5), ("GN", 4), ("BJ", 3), ("TG", 3), ("MR", 3))
STATUSES = (("seized", 45), ("found", 10), ("surrendered", 10), ("lost", 7), ("stolen", 10),
            ("trafficked", 5), ("destroyed", 8), ("returned", 5))
SHARINGS = (("national", 55), ("partners", 25), ("all", 20))
# Makes as they are typed, the most seized first (a Zipf-like share below).
MAKES = ("Kalashnikov", "Kalachnikov", "AK-47", "Norinco", "Beretta", "Glock", "FN Herstal", "FN",
         "CZ", "Ceska Zbrojovka", "Makarov", "Browning", "Zastava", "Tokarev", "Manurhin", "MAS",
         "Heckler & Koch", "HK", "Smith & Wesson", "Colt", "Ruger", "Taurus", "Baikal", "IZH",
         "Walther", "SIG Sauer", "Mossberg", "Remington", "Winchester", "Chiappa", "Hatsan",
         "Yildiz", "Armsan", "Stoeger", "Sarsilmaz", "Canik", "Arcus", "Radom", "Cugir",
         "Fabrication artisanale")
TOWNS = ("Bamako", "Gao", "Ouagadougou", "Niamey", "Abidjan", "Dakar", "Lagos", "Kano", "Accra",
         "N'Djamena", "Conakry", "Cotonou", "Lomé", "Nouakchott", "Douala", "Mopti", "Agadez")
LETTERS = "ABCDEFGHJKMNPRSTUVWXYZ"


def weighted(pairs):
    values = [value for value, _weight in pairs]
    weights = [weight for _value, weight in pairs]
    return lambda rng: rng.choices(values, weights)[0]


class Serials:
    """Serials as they are typed on real weapons, with their runs and their repeats."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.run = None  # (prefix, next number, width, left, make) of a shipment being recorded
        self.seen: list[tuple[str, str]] = []

    def next(self, make: str) -> tuple[str, str]:
        rng = self.rng
        if self.run:
            prefix, number, width, left, run_make = self.run
            self.run = (prefix, number + rng.randint(1, 3), width, left - 1, run_make) if left > 1 else None
            return f"{prefix}{number:0{width}d}", run_make
        shape = rng.random()
        if shape < 0.03 and self.seen:  # the same serial recorded by another state
            return rng.choice(self.seen)
        if shape < 0.06:  # a shipment: consecutive serials of one make
            prefix = "".join(rng.choice(LETTERS) for _ in range(rng.randint(0, 2)))
            width = rng.randint(5, 7)
            self.run = (prefix, rng.randrange(10 ** (width - 1)), width, rng.randint(50, 500), make)
            return self.next(make)
        if shape < 0.38:
            serial = "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 3))) + \
                rng.choice(("", " ", "-")) + str(rng.randrange(10 ** rng.randint(4, 7))).zfill(5)
        elif shape < 0.73:
            serial = str(rng.randrange(10 ** rng.randint(5, 9))).zfill(5)
        elif shape < 0.81:
            serial = str(rng.randrange(10 ** rng.randint(2, 4)))  # short serials repeat a lot
        elif shape < 0.88:
            serial = f"{rng.randrange(10 ** 6):06d}{rng.choice(LETTERS)}"
        elif shape < 0.94:
            serial = f"{rng.randint(1950, 2020)}-{rng.randrange(10 ** 6):06d}"
        else:
            serial = f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}{rng.randint(1, 99)}/{rng.randrange(10 ** 5):05d}"
        if rng.random() < 0.02:
            self.seen.append((serial, make))
        return serial, make


def build(database_url: str, count: int, seed: int = 7) -> tuple:
    """Schema (real migrations), countries, two agencies and a viewer per state, then records."""
    from flask_migrate import upgrade

    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.weapons.models import Weapon
    from registry.weapons.serials import serial_key

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    context = app.app_context()
    context.push()
    upgrade(directory=app.extensions["migrate"].directory)
    load_countries()
    rng = random.Random(seed)
    codes = [code for code, _share in STATES]
    agencies, users = {}, {}
    for code in codes:
        country = db.session.get(Country, code)
        for kind, suffix in ((AgencyKind.NATIONAL_COMMISSION, "CN"), (AgencyKind.POLICE, "POL")):
            partners = rng.sample([other for other in codes if other != code], rng.randint(2, 4))
            agencies.setdefault(code, []).append(create_agency(
                None, code=f"{code}-{suffix}", name=f"Bench {code} {suffix}", country=country, kind=kind,
                partner_codes=partners))
        users[code] = create_user(None, email=f"viewer@{code.lower()}.bench", name=f"Viewer {code}",
                                  agency=agencies[code][0], role=Role.VIEWER, password="Bench-password-42")
    db.session.commit()
    state, status, sharing = weighted(STATES), weighted(STATUSES), weighted(SHARINGS)
    make = weighted([(name, 1000 // (rank + 1)) for rank, name in enumerate(MAKES)])
    serials = Serials(rng)
    table = Weapon.__table__
    moment = datetime.now(UTC) - timedelta(days=3650)
    started = time.perf_counter()
    batch, imported_left = [], 0
    with db.engine.begin() as connection:
        for number in range(1, count + 1):
            # An import records its rows at one moment; a form, one record at a time.
            if imported_left:
                imported_left -= 1
            else:
                moment += timedelta(seconds=rng.randint(1, 400))
                if rng.random() < 0.002:
                    imported_left = rng.randint(200, 5000)
            country = state(rng)
            raw_serial, raw_make = serials.next(make(rng))
            batch.append({
                "reference": f"{country}-B-{number:08d}", "agency_id": rng.choice(agencies[country]).id,
                "country_code": country, "status": status(rng), "sharing": sharing(rng),
                "raw_make": raw_make, "raw_serial": raw_serial, "serial_key": serial_key(raw_serial),
                "serial_state": "readable", "event_date": date(2000, 1, 1) + timedelta(days=number % 9000),
                "event_town": rng.choice(TOWNS), "created_at": moment, "updated_at": moment, "version": 1,
                "deleted_at": moment if rng.random() < 0.005 else None,
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
    return app, context, users, loaded


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def typo(key: str, rng: random.Random) -> str:
    position = rng.randrange(len(key))
    return key[:position] + rng.choice(LETTERS.replace(key[position], "") + "0123456789") + key[position + 1:]


def timed(timings: dict, name: str, function, *args, **kwargs):
    started = time.perf_counter()
    answer = function(*args, **kwargs)
    timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return answer


def measure(users, rounds: int, seed: int = 11) -> dict[str, tuple[float, float, float]]:
    from registry.weapons import search, serial_search
    from registry.weapons.models import Weapon

    rng = random.Random(seed)
    user, small_state = users["ML"], users["MR"]
    # What Mali looks for: serials of records it may see (its own and those shared with it).
    sample = db.session.execute(
        search.filtered(user, search.Criteria()).with_only_columns(
            Weapon.serial_key, Weapon.raw_make, Weapon.created_at, Weapon.id)
        .where(Weapon.serial_key.is_not(None)).order_by(Weapon.id).limit(200_000)).all()
    long_keys = [row for row in sample if len(row.serial_key) >= 7]
    runs = [row for row in sample if row.serial_key[-6:].isdigit()]
    timings: dict[str, list[float]] = {}
    criteria = search.Criteria()
    for _ in range(rounds):
        row = rng.choice(long_keys)
        key = row.serial_key
        timed(timings, "serial exact", search.serial_matches, user, key, criteria, near=False)
        timed(timings, "serial near", search.serial_matches, user, typo(key, rng), criteria, near=True)
        length = rng.randint(4, 6)
        start = rng.randrange(len(key) - length + 1)
        timed(timings, "partial: contains", serial_search.partial_matches, user, key[start:start + length],
              "contains", criteria)
        timed(timings, "partial: starts with", serial_search.partial_matches, user, key[:length], "prefix", criteria)
        timed(timings, "partial: ends with", serial_search.partial_matches, user, key[-length:], "suffix", criteria)
        pasted = [rng.choice(sample).serial_key for _ in range(450)] + [typo(key, rng) for _ in range(50)]
        timed(timings, "pasted list (500)", serial_search.list_matches, user, "\n".join(pasted), criteria)
        shipment = rng.choice(runs)
        number = int(shipment.serial_key[-6:])
        low = max(number - rng.randint(0, 999), 0)
        first, last = (shipment.serial_key[:-6] + f"{value:06d}" for value in (low, low + 999))
        timed(timings, "sequence (1,000 numbers)", serial_search.sequence_matches, user, shipment.raw_make or "",
              first, last, criteria)
        timed(timings, "list: first page + count", search.search, user, criteria, audit=False)
        timed(timings, "list: small state's first page", search.search, small_state, criteria, audit=False)
        deep = rng.choice(sample)
        cursor = f"{deep.id}~{deep.created_at.isoformat()}"
        timed(timings, "list: deep page + count", search.search, user, criteria, page=1000, audit=False,
              after=cursor)
        listing = search.Criteria(status=rng.choice(STATUSES)[0], country=rng.choice(STATES)[0])
        timed(timings, "filtered list + count", search.search, user, listing, audit=False)
        db.session.rollback()
    return {name: percentiles(samples) for name, samples in timings.items()}


def run(label: str, database_url: str, count: int, rounds: int) -> None:
    app, context, users, loaded = build(database_url, count)
    try:
        results = measure(users, rounds)
    finally:
        db.session.remove()
        db.engine.dispose()
        context.pop()
    print(f"\n{label}: {count:,} records loaded in {loaded:.1f} s; {rounds} of each kind, as Mali")
    print(f"{'query':<34}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for name, (p50, p95, p99) in results.items():
        print(f"{name:<34}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="records to load (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=300, help="searches of each kind (default 300)")
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
