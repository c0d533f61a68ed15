"""The review of an import: no row is ready without a weapon named, and a correction
changes what it corrects and keeps the rest."""

from registry.extensions import db
from registry.imports import service
from registry.imports.models import ImportRow
from tests.imports.sheets import workbook, write

HEADER = ["Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Date de saisie", "Lieu de saisie",
          "Référence dossier", "Statut", "Observations"]


def analysed(world, tmp_path, rows, header=HEADER, **sheets):
    officer = world["ML"].user("officer")
    path = write(tmp_path, "saisies.xlsx", workbook([header, *rows], more_sheets=sheets or None))
    import_ = service.upload_import(officer, path, "saisies.xlsx")
    service.analyse_import(officer, import_)
    db.session.commit()
    return officer, import_


def rows_of(import_) -> dict[int, ImportRow]:
    db.session.expire_all()
    return {row.row_number: row for row in db.session.query(ImportRow).filter_by(import_id=import_.id)}


def keys(row: ImportRow) -> list[str]:
    return [item["key"] for item in row.messages]


def test_a_row_whose_make_and_model_are_not_identified_is_left_for_review(app, world, reference, tmp_path):
    _officer, import_ = analysed(world, tmp_path, [
        ["Beretta", "92", "B-1", "9mm", "Pistolet"],
        [None, None, "P-2", None, "Pistolet"],  # a kind of weapon, no make or model
        ["Zorglub", "XR-9000", "Z-3"],
    ])
    rows = rows_of(import_)
    assert rows[2].status == "ready" and rows[2].accepted
    for number in (3, 4):
        assert rows[number].status == "needs_review" and not rows[number].accepted
        assert keys(rows[number]) == ["unidentified"]
    assert import_.counts["ready"] == 1 and import_.counts["needs_review"] == 2


def test_a_row_where_nothing_names_a_weapon_is_invalid_and_says_why(app, world, reference, tmp_path):
    _officer, import_ = analysed(world, tmp_path, [
        ["???", None, "Q-1"],
        ["=A1+B1", "-", "Q-2"],
        [None, None, "Q-3", "9mm", None, "12/03/2024", "Gao"],
        ["inconnu", "N/A", "Q-4"],
    ])
    rows = rows_of(import_)
    assert all(row.status == "invalid" and not row.accepted for row in rows.values())
    assert keys(rows[2]) == ["no_weapon"] and rows[2].messages[0]["params"] == {"value": "???"}
    # A formula arrives as its value (none here: openpyxl stores no result).
    assert keys(rows[3]) == ["no_weapon"] and rows[3].messages[0]["params"] == {"value": "-"}
    assert keys(rows[4]) == ["no_name"] and keys(rows[5]) == ["no_weapon"]


def test_the_report_says_in_french_why_nothing_names_a_weapon(app, world, reference, tmp_path):
    import json

    path = write(tmp_path, "saisies.xlsx", workbook([HEADER, ["???", None, "Q-1"], [None, None, "P-2", None, "PA"]]))
    out = tmp_path / "rapport.json"
    result = app.test_cli_runner().invoke(args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL",
                                                "--report", str(out), "--language", "fr"])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["status"] == "invalid"
    assert rows[0]["messages"] == ["Rien ne désigne une arme : « ??? » n'est ni une marque, ni un modèle, ni un type."]
    assert rows[1]["status"] == "needs_review"
    assert rows[1]["messages"] == ["Ni la marque ni le modèle n'ont été identifiés : corrigez-les, ou acceptez "
                                   "la ligne telle quelle."]


def test_a_row_that_named_no_weapon_is_ready_once_its_make_and_model_are_corrected(
        app, world, reference, tmp_path):
    officer, import_ = analysed(world, tmp_path, [["???", None, "Q-1", None, None, "12/03/2024"]])
    row = rows_of(import_)[2]
    service.correct_row(officer, import_, row, "make", "Beretta")
    assert row.status == "ready" and row.messages == []  # a make named is a weapon named
    service.correct_row(officer, import_, row, "model", "92")
    db.session.commit()
    row = rows_of(import_)[2]
    assert row.status == "ready" and row.accepted and row.messages == []
    assert (row.identification["make"], row.identification["model"]) == ("Beretta", "92")
    assert import_.counts["ready"] == 1 and import_.counts["invalid"] == 0
