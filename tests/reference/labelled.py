"""A labelled set for the identification engine: rows as field units type them, made
from the starter table with the kinds of noise met in seizure sheets, each with the make
and model it truly is. Deterministic for a given seed.

Used by tests/reference/test_accuracy.py (thresholds) and bench/identify.py (figures).
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "registry" / "reference" / "data"

NOTES = ("(Chine)", "(Russie)", "(mauvais état)", "(crosse pliante)", "(rouillé)", "[saisie]", "(bon état)",
         "(sans chargeur)", "(URSS)")
BLANK_MAKES = ("", "Inconnu", "inconnue", "N/A", "?", "-", "illisible")


@dataclass
class LabelledRow:
    make: str
    model: str
    calibre: str
    type: str
    true_make: str
    true_model: str
    noise: str


@dataclass
class Entry:
    make: str
    model: str
    type: str
    calibres: list[str]
    make_aliases: list[str]
    model_aliases: list[str]


def starter_entries() -> list[Entry]:
    with open(DATA / "starter_table.tsv", encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source, delimiter="\t"))
    make_aliases: dict[str, list[str]] = {}
    for row in rows:
        make_aliases.setdefault(row["make"], []).extend(
            alias for alias in row["make aliases"].split(";") if alias.strip())
    return [Entry(row["make"], row["model"], row["type"], [c for c in row["calibre"].split(";") if c],
                  make_aliases[row["make"]], [a for a in row["model aliases"].split(";") if a.strip()])
            for row in rows]


def calibre_spellings() -> dict[str, list[str]]:
    with open(DATA / "starter_calibres.tsv", encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source, delimiter="\t"))
    return {row["calibre"]: [row["calibre"], *[a for a in row["aliases"].split(";") if a.strip()]]
            for row in rows}


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the finger on a letter (never a digit: a digit changes the model)."""
    positions = [i for i, character in enumerate(text) if character.isalpha()]
    if len(positions) < 5:
        return text
    i = rng.choice(positions[1:])
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    if kind == "swap" and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    neighbours = {"a": "qs", "e": "rz", "i": "uo", "o": "ip", "n": "bm", "c": "xv", "k": "jl", "s": "dz",
                  "r": "et", "t": "ry", "l": "km", "h": "gj", "u": "yi", "m": "n", "v": "bf", "g": "fh"}
    lower = text[i].lower()
    replacement = rng.choice(neighbours.get(lower, "e"))
    return text[:i] + (replacement.upper() if text[i].isupper() else replacement) + text[i + 1:]


def _spacing(rng: random.Random, text: str) -> str:
    choice = rng.random()
    if choice < 0.3:
        return text.replace("-", " ")
    if choice < 0.5:
        return text.replace("-", "").replace(" ", "")
    if choice < 0.65:
        return text.replace(" ", "-")
    if choice < 0.8:
        return text.replace("-", ".")
    return f"  {text} "


def _case(rng: random.Random, text: str) -> str:
    return rng.choice((text, text.lower(), text.upper(), text.title()))


def generate(count: int = 5000, seed: int = 2026) -> list[LabelledRow]:
    rng = random.Random(seed)
    entries = starter_entries()
    calibres = calibre_spellings()
    rows = []
    for _ in range(count):
        entry = rng.choice(entries)
        make = rng.choice([entry.make] * 3 + entry.make_aliases) if entry.make_aliases else entry.make
        model = rng.choice([entry.model] * 3 + entry.model_aliases) if entry.model_aliases else entry.model
        calibre = rng.choice(calibres.get(entry.calibres[0], [entry.calibres[0]])) if entry.calibres else ""
        if calibre and rng.random() < 0.2:
            calibre = calibre.replace(".", ",")
        noise = []
        if rng.random() < 0.5:
            make, model = _case(rng, make), _case(rng, model)
            noise.append("case")
        if rng.random() < 0.3:
            model = _spacing(rng, model)
            noise.append("spacing")
        if rng.random() < 0.15:
            make = _typo(rng, make)
            noise.append("make typo")
        if rng.random() < 0.08:
            model = _typo(rng, model)
            noise.append("model typo")
        shape = rng.random()
        if shape < 0.10:
            make = rng.choice(BLANK_MAKES)
            noise.append("blank make")
        elif shape < 0.18:
            make, model = f"{make} {model}", ""
            noise.append("combined in make cell")
        elif shape < 0.24:
            make, model = "", f"{make} {model}"
            noise.append("combined in model cell")
        elif shape < 0.30:
            make, model = model, make
            noise.append("swapped")
        elif shape < 0.36:
            model = f"{make} {model}"
            noise.append("model repeats make")
        elif shape < 0.44 and calibre:
            model, calibre = f"{model} {calibre}", ""
            noise.append("calibre in model cell")
        if rng.random() < 0.08:
            model = f"{model} {rng.choice(NOTES)}" if model else model
            make = make if model else f"{make} {rng.choice(NOTES)}"
            noise.append("note")
        rows.append(LabelledRow(make, model, calibre, "", entry.make, entry.model, ", ".join(noise) or "clean"))
    return rows


@dataclass
class Score:
    rows: int
    makes_right: int
    models_right: int
    wrong: int
    needs_review: int
    wrong_rows: list

    def percent(self, count: int) -> float:
        return 100.0 * count / self.rows if self.rows else 0.0


def score(identifier, rows: list[LabelledRow]) -> Score:
    """Right: the field is the true one. Wrong: a make or model given that is not the true
    one (an empty field is not wrong: it goes to review)."""
    makes_right = models_right = wrong = needs_review = 0
    wrong_rows = []
    for row in rows:
        result = identifier.identify(row.make, row.model, row.calibre or None, row.type or None)
        makes_right += result.make == row.true_make
        models_right += result.model == row.true_model and result.make == row.true_make
        is_wrong = (result.make is not None and result.make != row.true_make) or (
            result.model is not None and result.model != row.true_model)
        wrong += is_wrong
        needs_review += result.needs_review
        if is_wrong:
            wrong_rows.append((row, result.make, result.model))
    return Score(len(rows), makes_right, models_right, wrong, needs_review, wrong_rows)
