"""The second reference table (tests/reference/commission.py), written apart from the
starter table: what it holds, and the engine on its own hand-typed sheet with that table
alone. Its load over the starter table is tested in test_table_onto_table.py."""

import csv

from registry.reference.engine import get_identifier
from registry.reference.normalize import key
from registry.reference.service import load_reference_file
from tests.reference.commission import noisy_rows, sheet_rows, table_rows, write_workbook
from tests.reference.labelled import DATA as STARTER_DATA
from tests.reference.labelled import score


def starter_makes() -> dict[str, set[str]]:
    with open(STARTER_DATA / "starter_table.tsv", encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source, delimiter="\t"))
    keys: dict[str, set[str]] = {}
    for row in rows:
        keys.setdefault(row["make"], {key(row["make"])}).update(
            key(alias) for alias in row["make aliases"].split(";") if alias.strip())
    return keys


def test_the_second_table_names_most_starter_makers_otherwise():
    starter = starter_makes()
    starter_names = {key(name) for name in starter}
    renamed = set()
    for row in table_rows():
        if key(row["marque"]) in starter_names or not row["alias marque"]:
            continue
        keys = {key(row["marque"])} | {key(alias) for alias in row["alias marque"].split(";")}
        renamed |= {name for name, theirs in starter.items() if keys & theirs}
    assert {"FN Herstal", "Kalashnikov", "Norinco", "Beretta", "Colt", "Glock"} <= renamed
    assert len(renamed) >= 25


def test_the_second_table_holds_as_models_what_the_starter_holds_as_aliases():
    models = {(row["marque"], row["modèle"]) for row in table_rows()}
    for wanted in (("Colt's Manufacturing Company", "M16A2"), ("Fabbrica d'Armi Pietro Beretta", "92FS"),
                   ("Carl Walther GmbH", "PPQ"), ("Concern Kalachnikov", "AKMS")):
        assert wanted in models


def test_the_hand_typed_sheet_and_the_generated_one_are_messy():
    sheet = sheet_rows()
    assert len(sheet) >= 250
    kinds = {row.noise for row in sheet}
    for kind in ("lettres inversées", "lettre oubliée", "lettre doublée", "accent oublié", "espace",
                 "ensemble", "colonnes inversées"):
        assert kind in kinds
    noisy = noisy_rows(2000)
    assert sum(row.noise != "clean" for row in noisy) > 0.7 * len(noisy)
    assert len({(row.make, row.model) for row in noisy}) > 0.6 * len(noisy)


def test_the_second_table_alone_identifies_its_own_sheet(app, tmp_path):
    load_reference_file(None, write_workbook(tmp_path / "second.xlsx"), "second.xlsx")
    result = score(get_identifier(None), sheet_rows())
    assert result.makes_right >= 0.98 * result.rows, result.percent(result.makes_right)
    assert result.wrong <= 0.005 * result.rows, result.wrong_rows[:10]
