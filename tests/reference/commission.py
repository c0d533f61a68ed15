"""A second reference table, written apart from the starter table, as a commission would
write its own: other names for the same makers ("Fabrique Nationale Herstal" for "FN
Herstal", each listing the other among its aliases), models that the starter table holds
as aliases of another model ("M16A2", "92FS", "PPQ"), calibres written otherwise
(".38 S&W Special", ".40", "40 Cal", "380 Auto (ACP)"), French headers and countries.

Beside it, weapons of that table as field units type them: `sheet_rows()`, typed by
hand (tests/reference/data/commission_sheet.tsv, each row with its true make and model
and the kind of error), and `noisy_rows()`, generated with every kind of typing error on
makes and models. The truth is always the second table's names.

Used by tests/reference/test_table_onto_table.py and bench/identify.py.
"""

import csv
import random
import unicodedata
from pathlib import Path

from openpyxl import Workbook

from tests.reference.labelled import LabelledRow

DATA = Path(__file__).resolve().parent / "data"
TABLE, CALIBRES, SHEET = DATA / "commission_table.tsv", DATA / "commission_calibres.tsv", DATA / "commission_sheet.tsv"


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as source:
        return list(csv.reader(source, delimiter="\t"))


def write_workbook(target: Path) -> Path:
    """The second table as a workbook in the loader's format (a title row above the header)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Table nationale"
    sheet.append(["Table de référence de la commission nationale"])
    for row in _read(TABLE):
        sheet.append(row)
    calibres = workbook.create_sheet("Calibres")
    for row in _read(CALIBRES):
        calibres.append(row)
    workbook.save(target)
    return target


def table_rows() -> list[dict]:
    rows = _read(TABLE)
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def sheet_rows() -> list[LabelledRow]:
    """The hand-typed sheet: raw make, model, calibre, and the truth."""
    return [LabelledRow(make, model, calibre, "", true_make, true_model, kind)
            for make, model, calibre, true_make, true_model, kind in _read(SHEET)[1:]]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


# --- typing errors ------------------------------------------------------------------------

# Neighbours on a French (AZERTY) keyboard, the one most field units type on.
AZERTY = {
    "a": "zqs", "z": "aes", "e": "zrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "om", "q": "asw", "s": "qdz", "d": "sfe", "f": "dgr", "g": "fht", "h": "gjy",
    "j": "hku", "k": "jli", "l": "kmo", "m": "lp", "w": "xq", "x": "wc", "c": "xv", "v": "cb",
    "b": "vn", "n": "bm",
}
ACCENTED = {"e": "éèê", "a": "àâ", "i": "ïî", "o": "ô", "u": "ü", "c": "ç", "n": "ñ"}


def _letters(text: str) -> list[int]:
    return [i for i, character in enumerate(text) if character.isalpha()]


def swap_letters(rng, text):
    pairs = [i for i in _letters(text)[1:] if i + 1 < len(text) and text[i + 1].isalpha()
             and text[i] != text[i + 1]]
    if not pairs:
        return text
    i = rng.choice(pairs)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def drop_letter(rng, text):
    positions = _letters(text)[1:]
    if len(positions) < 4:
        return text
    i = rng.choice(positions)
    return text[:i] + text[i + 1:]


def double_letter(rng, text):
    positions = _letters(text)
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + text[i] + text[i:]


def neighbour_key(rng, text):
    positions = [i for i in _letters(text)[1:] if text[i].lower() in AZERTY]
    if len(positions) < 4:
        return text
    i = rng.choice(positions)
    replacement = rng.choice(AZERTY[text[i].lower()])
    return text[:i] + (replacement.upper() if text[i].isupper() else replacement) + text[i + 1:]


def accents(rng, text):
    """Accents added where there are none, or taken off where there are."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    if stripped != text:
        return stripped
    positions = [i for i, c in enumerate(text) if c.lower() in ACCENTED]
    if not positions:
        return text
    i = rng.choice(positions)
    return text[:i] + rng.choice(ACCENTED[text[i].lower()]) + text[i + 1:]


def spaces(rng, text):
    choice = rng.random()
    if choice < 0.35:
        return text.replace(" ", "").replace("-", "")
    if choice < 0.6:
        return text.replace("-", " ").replace(".", " ")
    if choice < 0.8:
        # A space inside a word of letters and digits: "AK 47", "M 16A2".
        for i in range(1, len(text)):
            if text[i - 1].isalpha() and text[i].isdigit():
                return text[:i] + " " + text[i:]
        return text
    return f" {text}  "


def case(rng, text):
    return rng.choice((text.upper(), text.lower(), text.title(), text.swapcase()))


ERRORS = (swap_letters, drop_letter, double_letter, neighbour_key, accents, spaces, case)


def noisy_rows(count: int = 3000, seed: int = 19) -> list[LabelledRow]:
    """Weapons of the second table as typed in the field: on most rows one or two typing
    errors on the make or the model (never on a digit: another digit is another model), and
    the cells in every shape met on seizure sheets."""
    rng = random.Random(seed)
    entries = [row for row in table_rows() if row["modèle"]]
    make_aliases: dict[str, list[str]] = {}
    for row in entries:
        make_aliases.setdefault(row["marque"], []).extend(_split(row["alias marque"]))
    calibre_spellings = {row[0]: [row[0], *_split(row[1])] for row in _read(CALIBRES)[1:]}
    rows = []
    for _ in range(count):
        entry = rng.choice(entries)
        true_make, true_model = entry["marque"], entry["modèle"]
        make = rng.choice([true_make] * 2 + make_aliases[true_make])
        model = rng.choice([true_model] * 3 + _split(entry["alias modèle"]))
        calibres = _split(entry["calibre"])
        calibre = rng.choice(calibre_spellings.get(calibres[0], calibres)) if calibres else ""
        kinds = []
        for _ in range(rng.choice((0, 1, 1, 2))):
            error = rng.choice(ERRORS)
            if rng.random() < 0.6:
                make = error(rng, make)
                kinds.append(f"make {error.__name__}")
            else:
                model = error(rng, model)
                kinds.append(f"model {error.__name__}")
        shape = rng.random()
        if shape < 0.08:
            make, model = f"{make} {model}", ""
            kinds.append("together in the make cell")
        elif shape < 0.14:
            make, model = "", f"{make} {model}"
            kinds.append("together in the model cell")
        elif shape < 0.18:
            make, model = f"{make}{model}", ""
            kinds.append("run together")
        elif shape < 0.24:
            make, model = model, make
            kinds.append("swapped")
        elif shape < 0.30:
            make = ""
            kinds.append("no make")
        elif shape < 0.36 and calibre:
            model, calibre = f"{model} {calibre}", ""
            kinds.append("calibre in the model cell")
        rows.append(LabelledRow(make, model, calibre, "", true_make, true_model, ", ".join(kinds) or "clean"))
    return rows
