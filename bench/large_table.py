"""A generated national reference table of `makes` makes and `models` models, with aliases,
written straight into the database (the loader is not what is measured), and noisy
spellings of its weapons. For bench/identify.py: national tables grow (INTERPOL's holds
over 250,000 references), and identification must keep its speed."""

import random

from sqlalchemy import insert

from registry.extensions import db
from registry.reference.models import Alias, Make, Model
from registry.reference.normalize import key
from tests.reference.commission import ERRORS
from tests.reference.labelled import LabelledRow

SYLLABLES = ("ka", "ro", "vel", "tan", "mi", "sor", "ek", "lu", "dar", "bre", "zo", "nik", "ta", "gor", "vi",
             "shi", "mar", "lo", "ten", "qua", "fer", "al", "ur", "bas", "kel", "po", "ra", "dun", "sa", "wil")
SUFFIXES = ("Arms", "Industries", "Defence", "Armi", "Silah", "Works", "Arsenal", "Armas", "Waffen", "Group")
LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def build(makes: int = 1000, models: int = 20000, seed: int = 5) -> list[tuple[str, str, list[str], list[str]]]:
    """Write the table; return (make, model, make aliases, model aliases) for each model."""
    rng = random.Random(seed)
    make_rows, seen = [], set()
    while len(make_rows) < makes:
        name = f"{_word(rng, rng.choice((2, 3)))} {rng.choice(SUFFIXES)}" if rng.random() < 0.7 else _word(rng, 3)
        if key(name) in seen:
            continue
        seen.add(key(name))
        short = name.split()[0]
        aliases = [alias for alias in {short, short.upper()[:4], f"{short} {rng.choice(SUFFIXES)}"}
                   if key(alias) not in seen]
        seen.update(key(alias) for alias in aliases)
        make_rows.append((name, aliases))
    session = db.session
    session.execute(insert(Make), [{"code": f"MK-GEN-{i}", "name": name} for i, (name, _a) in enumerate(make_rows)])
    make_ids = dict(session.execute(db.select(Make.name, Make.id)).all())
    session.execute(insert(Alias), [
        {"alias": alias, "normalized": key(alias), "make_id": make_ids[name], "origin": "table"}
        for name, aliases in make_rows for alias in aliases])
    entries, model_rows, alias_rows = [], [], []
    per_make = models // makes
    for make_number, (make_name, make_aliases) in enumerate(make_rows):
        taken = set()
        while len(taken) < per_make:
            shape = rng.random()
            if shape < 0.4:
                name = f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}-{rng.randint(1, 999)}"
            elif shape < 0.6:
                name = f"Model {rng.randint(10, 2999)}"
            elif shape < 0.85:
                name = f"{_word(rng, 2)} {rng.randint(1, 99)}"
            else:
                name = _word(rng, 2)
            if key(name) in taken:
                continue
            taken.add(key(name))
            aliases = [name.replace("-", " "), f"{make_name.split()[0]} {name}"]
            aliases = [alias for alias in aliases if key(alias) != key(name)]
            code = f"MD-GEN-{make_number}-{len(taken)}"
            model_rows.append({"code": code, "make_id": make_ids[make_name], "name": name})
            alias_rows.append((code, aliases))
            entries.append((make_name, name, make_aliases, aliases))
    session.execute(insert(Model), model_rows)
    model_ids = dict(session.execute(db.select(Model.code, Model.id)).all())
    session.execute(insert(Alias), [
        {"alias": alias, "normalized": key(alias), "model_id": model_ids[code], "origin": "table"}
        for code, aliases in alias_rows for alias in aliases])
    return entries


def noisy_rows(entries, count: int, seed: int = 8) -> list[LabelledRow]:
    """Spellings of the table's weapons with one or two typing errors on most rows."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        make_name, model_name, make_aliases, model_aliases = rng.choice(entries)
        make = rng.choice([make_name, make_name, *make_aliases])
        model = rng.choice([model_name, model_name, *model_aliases])
        for _ in range(rng.choice((0, 1, 1, 2))):
            error = rng.choice(ERRORS)
            if rng.random() < 0.6:
                make = error(rng, make)
            else:
                model = error(rng, model)
        if rng.random() < 0.1:
            make, model = "", f"{make} {model}"
        rows.append(LabelledRow(make, model, "", "", make_name, model_name, ""))
    return rows
