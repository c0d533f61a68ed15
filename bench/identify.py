"""Accuracy and speed of the identification engine.

    .venv/bin/python bench/identify.py [ROWS]

Each part builds its own scratch SQLite database and prints makes right %, models right %,
wrong % and needs-review %, and distinct inputs identified a second:
1. the starter table, on the labelled noisy set made from it (tests/reference/labelled.py);
2. the second table (tests/reference/commission.py, written apart from the starter table)
   loaded over the starter table, on its hand-typed sheet and on ROWS generated spellings
   of its weapons, every kind of typing error;
3. the same sheets against the second table alone;
4. a generated table of 1,000 makes and 20,000 models, on ROWS noisy spellings of it.
Speed is measured with every input new to the engine (its caches emptied first): on one
core, as wall time and as the process's own CPU time (the machine is shared: the CPU time
says what the engine costs, the wall time what the load left), then with
`identify_many` on every core. Targets: >= 10,000 a second (>= 5,000 with the large
table); makes >= 99.5 %, models >= 98 %, wrong <= 0.2 %.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from registry import create_app  # noqa: E402
from registry.auth.countries import load_countries  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.reference.cli import load_starter_table  # noqa: E402
from registry.reference.engine import get_identifier  # noqa: E402
from registry.reference.service import bump_version, load_reference_file  # noqa: E402
from tests.reference import commission  # noqa: E402
from tests.reference.labelled import generate, score  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import large_table  # noqa: E402


def scratch_app(folder: str, name: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/{name}.sqlite",
                      "SECRET_KEY": "bench", "TESTING": True})
    return app


def prepare(app) -> None:
    upgrade(directory=app.extensions["migrate"].directory)
    load_countries()


def print_accuracy(title: str, identifier, rows, show_wrong: int = 5) -> None:
    identifier.clear_cache()
    result = score(identifier, rows)
    print(f"  {title}: {result.rows} rows — makes right {result.percent(result.makes_right):6.2f} %, "
          f"models right {result.percent(result.models_right):6.2f} %, wrong {result.percent(result.wrong):5.2f} %, "
          f"needs review {result.percent(result.needs_review):5.2f} %")
    for row, make, model in result.wrong_rows[:show_wrong]:
        print(f"      wrong: {row.make!r} / {row.model!r} -> {make} / {model} "
              f"(truth {row.true_make} / {row.true_model})")


def print_speed(identifier, rows) -> None:
    inputs = list(dict.fromkeys((r.make, r.model, r.calibre or None, r.type or None) for r in rows))
    identifier.clear_cache()
    wall, cpu = time.perf_counter(), time.process_time()
    for make, model, calibre, weapon_type in inputs:
        identifier.identify(make, model, calibre, weapon_type)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    identifier.clear_cache()
    cores = os.cpu_count() or 1
    pooled = time.perf_counter()
    identifier.identify_many(inputs, processes=cores)
    pooled = time.perf_counter() - pooled
    identifier.clear_cache()
    print(f"  speed on {len(inputs)} distinct inputs: one core {len(inputs) / wall:8.0f} a second "
          f"(CPU time: {len(inputs) / cpu:8.0f} a second); identify_many on {cores} cores "
          f"{len(inputs) / pooled:8.0f} a second")


def main(count: int = 20000) -> None:
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())} "
          f"({os.cpu_count()} cores, shared)")
    with tempfile.TemporaryDirectory() as folder:
        second_table = commission.write_workbook(Path(folder) / "second.xlsx")
        sheet, noisy = commission.sheet_rows(), commission.noisy_rows(count, seed=11)

        print("1. starter table")
        app = scratch_app(folder, "starter")
        with app.app_context():
            prepare(app)
            load_starter_table()
            db.session.commit()
            identifier = get_identifier(None)
            rows = generate(count, seed=11)
            print_accuracy("labelled set of the starter table", identifier, rows)
            print_speed(identifier, rows)
            db.engine.dispose()

        print("2. second table loaded over the starter table")
        app = scratch_app(folder, "over")
        with app.app_context():
            prepare(app)
            load_starter_table()
            report = load_reference_file(None, second_table, "second.xlsx")
            db.session.commit()
            print(f"  load: {report.summary()}")
            identifier = get_identifier(None)
            print_accuracy("hand-typed sheet", identifier, sheet)
            print_accuracy("generated spellings", identifier, noisy)
            print_speed(identifier, noisy)
            db.engine.dispose()

        print("3. second table alone")
        app = scratch_app(folder, "alone")
        with app.app_context():
            prepare(app)
            load_reference_file(None, second_table, "second.xlsx")
            db.session.commit()
            identifier = get_identifier(None)
            print_accuracy("hand-typed sheet", identifier, sheet)
            print_accuracy("generated spellings", identifier, noisy)
            db.engine.dispose()

        print("4. generated table of 1,000 makes and 20,000 models")
        app = scratch_app(folder, "large")
        with app.app_context():
            prepare(app)
            entries = large_table.build(1000, 20000)
            bump_version()
            db.session.commit()
            started = time.perf_counter()
            identifier = get_identifier(None)
            print(f"  engine built in {time.perf_counter() - started:.1f} s")
            rows = large_table.noisy_rows(entries, count)
            print_accuracy("noisy spellings", identifier, rows, show_wrong=0)
            print_speed(identifier, rows)
            db.engine.dispose()
    print(f"load average at end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
