"""Accuracy and speed of the identification engine on the labelled noisy set.

    .venv/bin/python bench/identify.py [ROWS]

Builds a scratch SQLite database with the starter table, then prints makes right %,
models right %, wrong %, needs-review % and rows per second on one core: once with
every input new to the engine (no cache), once as a sheet is (repeats answered from
the cache).
"""

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
from tests.reference.labelled import generate, score  # noqa: E402


def main(count: int = 20000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                          "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            load_countries()
            load_starter_table()
            db.session.commit()
            rows = generate(count, seed=11)
            distinct = len({(r.make, r.model, r.calibre, r.type) for r in rows})

            identifier = get_identifier(None)
            identifier._cache.clear()
            unique_rows = list({(r.make, r.model, r.calibre, r.type): r for r in rows}.values())
            started = time.perf_counter()
            for row in unique_rows:
                identifier.identify(row.make, row.model, row.calibre or None, row.type or None)
            cold = len(unique_rows) / (time.perf_counter() - started)

            identifier._cache.clear()
            started = time.perf_counter()
            result = score(identifier, rows)
            sheet = len(rows) / (time.perf_counter() - started)
            db.engine.dispose()

    print(f"rows: {result.rows} ({distinct} distinct inputs)")
    print(f"makes right:   {result.percent(result.makes_right):6.2f} %")
    print(f"models right:  {result.percent(result.models_right):6.2f} %")
    print(f"wrong:         {result.percent(result.wrong):6.2f} %")
    print(f"needs review:  {result.percent(result.needs_review):6.2f} %")
    print(f"rows/s, every input new:      {cold:8.0f}")
    print(f"rows/s, a sheet with repeats: {sheet:8.0f}")
    for row, make, model in result.wrong_rows[:10]:
        print(f"  wrong: {row.make!r} / {row.model!r} -> {make} / {model} (truth {row.true_make} / {row.true_model})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
