"""Benchmark of the spreadsheet import: generates a messy 100,000-row sheet, then prints in
one run the bare python-calamine parse (the floor), a bare openpyxl read-only parse, the
analysis (parse + identify + checks), storing the rows for review, and the commit, on
SQLite and (with --postgres URL) PostgreSQL, and the peak memory.

    .venv/bin/python bench/imports.py [--rows 100000] [--postgres postgresql+psycopg://...]

Targets: analyse <= 2 x calamine parse; commit <= 3 x calamine parse; peak memory <= 300 MB.
A second sheet, where most rows are spelled as no other row (typing errors on makes, models
and calibres of a second reference table, loaded over the starter table), is analysed
through `flask imports analyse --report` and the web import's analysis: <= 3 x its calamine
parse, peak memory <= 300 MB.
Each database's import runs in its own process (as an RQ worker runs each job), whose
peak memory is printed.
The parse, the analysis and the commit are timed REPEAT times (BENCH_REPEAT, default 3)
and the fastest run is kept; between two commits, the records are deleted and the import
taken back to its review, untimed. The host's load changes over a run, so the analysis and
the commit are each compared with a bare parse timed just before each of their runs (the
ratio printed first); the ratio to the first floor is printed too.
"""

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import traceback
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scratch import scratch_postgres  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))

MAKES = [("Kalachnikov", "AK 47", "7,62x39", "Fusil d'assaut"), ("KALASHNIKOV", "AK-47", "7.62 x 39", "fusil"),
         ("Kalach", "AKM", "7,62", "FA"), ("Beretta", "92", "9mm", "Pistolet"),
         ("beretta", "92 FS", "9 mm", "PA"), ("Glock", "17", "9x19", "Pistolet"),
         ("CZ", "75", "9mm", "pistolet automatique"), ("Makarov", "PM", "9x18", "PA"),
         ("Tokarev", "TT-33", "7,62x25", "pistolet"), ("Zorglub", "XR-9000", None, None),
         ("Fabrique Nationale", "FAL", "7.62x51", "fusil"), ("Simonov", "SKS", "7,62x39", "Carabine"),
         ("Mossberg", "500", "cal 12", "Fusil à pompe"), ("inconnu", "artisanal", "cal 12", "fusil de chasse"),
         (None, "AK47", None, "Kalach"), ("Norinco", "Type 56", "7.62x39", "Fusil d'assaut")]
STATUSES = ["Saisie", "saisie", "Trouvée", "Remise volontaire", "saisi", "Volée"]
PLACES = ["Ségou", "Mopti", "Kayes", "Gao", "Tombouctou", "Bamako", "Sikasso", "Kidal"]
HEADER = ["N°", "Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Pays de fabrication",
          "Date de saisie", "Lieu de saisie", "Référence dossier", "Statut", "Observations"]


def generate(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    randomness = random.Random(7)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Saisies")
    sheet.append(["COMMISSION NATIONALE DE LUTTE CONTRE LA PROLIFERATION DES ARMES LEGERES"])
    sheet.append(["Etat des armes saisies"])
    sheet.append([])
    sheet.append(HEADER)
    start = date(2019, 1, 1)
    for number in range(1, rows + 1):
        make, model, calibre, kind = MAKES[randomness.randrange(len(MAKES))]
        day = start + timedelta(days=randomness.randrange(1800))
        shown = (day.strftime("%d/%m/%Y"), day, day.isoformat(), day.strftime("%d-%m-%y"))[number % 4]
        serial = f"{randomness.choice('ABCKMZ')}{randomness.randrange(10**6):06d}" if number % 50 else "limé"
        sheet.append([number, make, model, serial, calibre, kind, ("Russie", "Chine", "Belgique", None)[number % 4],
                      shown, PLACES[number % len(PLACES)], f"PV {number // 7}/2024",
                      STATUSES[number % len(STATUSES)], "RAS" if number % 3 else None])
        if number % 20_000 == 0:
            sheet.append([])
    sheet.append(["TOTAL", None, None, None, None, None, None, None, None, None, None, f"{rows} armes"])
    book.save(path)


def generate_distinct(path: Path, rows: int) -> float:
    """A sheet where most rows are spelled as no other row of the file: weapons of the
    second reference table (tests/reference/commission.py), each with one to three hand
    typing errors (letters swapped, dropped, doubled, neighbour keys, accents, spaces, case)
    on its make, its model and its calibre, makes and models run together or swapped.
    Answers the share of rows whose (make, model, calibre) is found nowhere else."""
    from collections import Counter

    from openpyxl import Workbook

    from tests.reference import commission

    randomness = random.Random(19)
    entries = [row for row in commission.table_rows() if row["modèle"]]
    split = commission._split
    spellings = []
    for _number in range(rows):
        entry = randomness.choice(entries)
        make = randomness.choice([entry["marque"], *split(entry["alias marque"])])
        model = randomness.choice([entry["modèle"], *split(entry["alias modèle"])])
        calibres = split(entry["calibre"])
        calibre = randomness.choice(calibres) if calibres else None
        for _error in range(randomness.choice((1, 2, 2, 3))):
            make = randomness.choice(commission.ERRORS)(randomness, make)
        for _error in range(randomness.choice((1, 2, 2, 3))):
            model = randomness.choice(commission.ERRORS)(randomness, model)
        if calibre and randomness.random() < 0.7:
            calibre = randomness.choice(commission.ERRORS)(randomness, calibre)
        shape = randomness.random()
        if shape < 0.08:
            make, model = f"{make} {model}", None
        elif shape < 0.14:
            make, model = None, f"{make} {model}"
        elif shape < 0.18:
            make, model = f"{make}{model}", None
        elif shape < 0.24:
            make, model = model, make
        spellings.append((make, model, calibre))
    counts = Counter(spellings)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Saisies")
    sheet.append(["COMMISSION NATIONALE DE LUTTE CONTRE LA PROLIFERATION DES ARMES LEGERES"])
    sheet.append([])
    sheet.append(HEADER)
    start = date(2019, 1, 1)
    for number, (make, model, calibre) in enumerate(spellings, start=1):
        day = start + timedelta(days=randomness.randrange(1800))
        serial = f"{randomness.choice('ABCKMZ')}{randomness.randrange(10**7):07d}"
        sheet.append([number, make, model, serial, calibre, None, ("Russie", "Chine", "Belgique", None)[number % 4],
                      day.strftime("%d/%m/%Y"), PLACES[number % len(PLACES)], f"PV {number // 7}/2024",
                      STATUSES[number % len(STATUSES)], None])
    book.save(path)
    return sum(1 for spelling in spellings if counts[spelling] == 1) / len(spellings)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, function, results: dict, repeat: int = 1, between=None, floor: Path | None = None):
    """Run `function` `repeat` times and keep the fastest run: on a shared machine the
    fastest is the one least disturbed by other work. `between` runs, untimed, before
    each run after the first. With `floor` (the sheet), a bare calamine parse of it is
    timed just before each run, and its fastest is kept as results["floor " + label]:
    a run is compared with the floor measured at the same moment of the machine's load."""
    times, floors = [], []
    for run in range(repeat):
        if run and between is not None:
            between()
        if floor is not None:
            begin = time.perf_counter()
            bare_calamine(floor)
            floors.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - begin)
    results[label] = min(times)
    runs = f"  (best of {repeat}: {', '.join(f'{t:.2f}' for t in times)})" if repeat > 1 else ""
    print(f"  {label:<38} {results[label]:7.2f} s{runs}  [peak so far {peak_mb():.0f} MB]", flush=True)
    if floors:
        results["floor " + label] = min(floors)
        print(f"    calamine parse just before each run: {', '.join(f'{t:.2f}' for t in floors)}", flush=True)
    return value


def bare_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as book:
        return sum(1 for _row in book.get_sheet_by_index(0).iter_rows())


def bare_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def database_run(label: str, url: str, path: Path, calamine_seconds: float) -> dict:
    from flask_migrate import upgrade

    from registry import create_app
    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.extensions import db
    from registry.imports import service
    from registry.reference.cli import STARTER_TABLE
    from registry.reference.service import load_reference_file

    results: dict = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="bench-uploads-"),
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    print(f"{label}:", flush=True)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_countries()
        load_reference_file(None, STARTER_TABLE, "starter.xlsx")
        suffix = uuid.uuid4().hex[:6].upper()
        agency = create_agency(None, code=f"ML-BENCH-{suffix}", name="Bench", kind=AgencyKind.POLICE,
                               country=db.session.get(Country, "ML"))
        officer = create_user(None, email=f"bench-{suffix}@example.org", name="Bench", agency=agency,
                              role=Role.OFFICER, password="Correct-Horse-42")
        db.session.commit()
        counts = timed("analyse (parse + identify + checks)", lambda: service.analyse_file(
            path, "ML", file_name=path.name).counts, results, repeat=REPEAT, floor=path)
        print(f"    counts: {counts}")
        import_ = service.upload_import(officer, path, path.name, agency=agency)
        db.session.commit()

        def analyse_and_store():
            service.analyse_import(officer, import_)
            db.session.commit()

        timed("analyse + store rows for review", analyse_and_store, results)

        def commit():
            service.commit_import(officer, import_, on_batch=lambda current: db.session.commit())
            db.session.commit()

        timed("commit (write records, hit check)", commit, results, repeat=REPEAT,
              between=lambda: undo_commit(import_), floor=path)
        print(f"    records created: {import_.counts.get('created')}")
        for name in ("analyse (parse + identify + checks)", "commit (write records, hit check)"):
            local = results["floor " + name]
            print(f"    {name.split(' (')[0]} / calamine parse = {results[name] / local:.2f} (its runs' floor, "
                  f"{local:.2f} s); {results[name] / calamine_seconds:.2f} against the first floor")
        db.session.remove()
        db.engine.dispose()
    return results


def distinct_run(url: str, path: Path, report: Path) -> None:
    """The sheet spelled differently on most rows, against the starter table with the
    second reference table loaded over it: `flask imports analyse --report` end to end,
    and the web import's analysis (analyse and store the rows for review), each with a bare
    calamine parse timed just before it."""
    from flask_migrate import upgrade

    from registry import create_app
    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user
    from registry.extensions import db
    from registry.imports import service
    from registry.reference.cli import STARTER_TABLE
    from registry.reference.service import load_reference_file
    from tests.reference import commission

    results: dict = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "UPLOAD_FOLDER": tempfile.mkdtemp(prefix="bench-uploads-"),
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    print("SQLite, the sheet spelled differently on most rows:", flush=True)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_countries()
        load_reference_file(None, STARTER_TABLE, "starter.xlsx")
        second = commission.write_workbook(Path(tempfile.mkdtemp(prefix="bench-table-")) / "second.xlsx")
        load_reference_file(None, second, "second.xlsx")
        suffix = uuid.uuid4().hex[:6].upper()
        agency = create_agency(None, code=f"ML-BENCH-{suffix}", name="Bench", kind=AgencyKind.POLICE,
                               country=db.session.get(Country, "ML"))
        officer = create_user(None, email=f"bench-{suffix}@example.org", name="Bench", agency=agency,
                              role=Role.OFFICER, password="Correct-Horse-42")
        db.session.commit()
        runner = app.test_cli_runner()

        def command():
            from registry.reference.engine import forget_identifiers

            forget_identifiers()  # every spelling new to the engine, as in a fresh worker
            outcome = runner.invoke(args=["imports", "analyse", str(path), "--agency", agency.code,
                                          "--report", str(report)])
            if outcome.exit_code != 0:
                raise SystemExit(outcome.output)
            return outcome.output.strip()

        label = "flask imports analyse --report"
        print(f"    {timed(label, command, results, repeat=REPEAT, floor=path)}")
        import_ = service.upload_import(officer, path, path.name, agency=agency)
        db.session.commit()

        def web_analysis():
            from registry.reference.engine import forget_identifiers

            forget_identifiers()
            service.analyse_import(officer, import_)
            db.session.commit()

        web = "web import's analysis (+ store rows)"
        timed(web, web_analysis, results, floor=path)
        print(f"    counts: {import_.counts}")
        for name in (label, web):
            print(f"    {name} / calamine parse = {results[name] / results['floor ' + name]:.2f} "
                  f"(target <= 3; floor {results['floor ' + name]:.2f} s)")
        db.session.remove()
        db.engine.dispose()


def undo_commit(import_) -> None:
    """Take a committed import back to its review, its records deleted, so that the commit
    can be timed again on the same rows (untimed). The bench's database holds nothing else."""
    from sqlalchemy import text

    from registry.extensions import db
    from registry.imports.models import ImportStatus

    if import_.status != ImportStatus.COMMITTED:
        return
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE weapon CASCADE"))
    else:
        db.session.execute(text("DELETE FROM weapon"))
    import_.status, import_.committed_at, import_.progress_done = ImportStatus.REVIEW, None, 0
    import_.counts = {**import_.counts, "created": 0}
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE weapon"))


def in_own_process(function, *arguments) -> float:
    """Run `function` in a child process, as an RQ worker runs each job in a fresh work
    horse, and answer that process's peak memory in MB. The openpyxl parse and each
    database's import run so: what one leaves in the heap (openpyxl's 150 MB, a first
    import's freed but fragmented memory) does not slow or swell the next."""
    context = multiprocessing.get_context("fork")
    answer = context.Queue()

    def child():
        try:
            function(*arguments)
            answer.put(peak_mb())
        except BaseException:
            traceback.print_exc()
            answer.put(None)

    process = context.Process(target=child)
    process.start()
    peak = answer.get()
    process.join()
    if peak is None:
        raise SystemExit(f"the {function.__name__} run failed")
    return peak


def openpyxl_run(path: Path) -> None:
    rows = timed("bare openpyxl read-only parse", lambda: bare_openpyxl(path), {})
    print(f"    rows read: {rows}  [peak of this process {peak_mb():.0f} MB]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", help="PostgreSQL URL (a fresh database is created on that server)")
    parser.add_argument("--file", type=Path, help="use this sheet instead of generating one")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    path = arguments.file or work / f"saisies-{arguments.rows}.xlsx"
    if not path.exists():
        begin = time.perf_counter()
        generate(path, arguments.rows)
        print(f"generated {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - begin:.1f} s")
    results: dict = {}
    print("parse:")
    rows = timed("bare python-calamine parse (floor)", lambda: bare_calamine(path), results, repeat=REPEAT)
    print(f"    rows read: {rows}  [peak of this process {peak_mb():.0f} MB]")
    floor = results["bare python-calamine parse (floor)"]
    in_own_process(openpyxl_run, path)
    distinct = work / f"saisies-distinct-{arguments.rows}.xlsx"
    begin = time.perf_counter()
    share = generate_distinct(distinct, arguments.rows)
    print(f"generated {distinct} ({distinct.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - begin:.1f} s: "
          f"{share:.1%} of its rows spelled as no other row")
    distinct_peak = in_own_process(distinct_run, f"sqlite:///{work / 'distinct.sqlite'}", distinct,
                                   work / "distinct-report.json")
    print(f"peak memory of the analysis of that sheet: {distinct_peak:.0f} MB (target <= 300 MB)")
    peaks = [in_own_process(database_run, "SQLite", f"sqlite:///{work / 'bench.sqlite'}", path, floor)]
    if arguments.postgres:
        with scratch_postgres(arguments.postgres, prefix="registry_bench") as url:
            peaks.append(in_own_process(database_run, "PostgreSQL", url, path, floor))
    print(f"peak memory of an import: {max(peaks):.0f} MB (target <= 300 MB)")
    print("targets: analyse <= 2 x calamine parse; commit <= 3 x calamine parse")


if __name__ == "__main__":
    main()
