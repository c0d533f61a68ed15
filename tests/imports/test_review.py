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


def test_correcting_the_make_identifies_its_model_again_and_keeps_a_type_picked_by_hand(
        app, world, reference, tmp_path):
    from sqlalchemy import select

    from registry.reference.models import WeaponType

    officer, import_ = analysed(world, tmp_path, [["Zorglub", "AK 47", "K-1", "7,62x39", "Fusil d'assaut"]])
    row = rows_of(import_)[2]
    assert row.identification["make"] is None and row.identification["model"] == "AK-47"
    carbine = db.session.scalars(select(WeaponType).where(WeaponType.name_en == "Rifle")).one()
    service.correct_row(officer, import_, row, "type", target_id=carbine.id)
    service.correct_row(officer, import_, row, "make", "Kalashnikov")
    db.session.commit()
    found = rows_of(import_)[2].identification
    assert (found["make"], found["model"], found["calibre"]) == ("Kalashnikov", "AK-47", "7.62x39mm")
    assert found["type_id"] == carbine.id and found["methods"]["type"] == "confirmed"
    # A make without that model: the model is looked for among the new make's, the rest kept.
    service.correct_row(officer, import_, rows_of(import_)[2], "make", "Beretta")
    found = rows_of(import_)[2].identification
    assert (found["make"], found["model"], found["calibre"], found["type_id"]) == (
        "Beretta", None, "7.62x39mm", carbine.id)


def test_a_correction_naming_an_unknown_make_says_so_and_changes_nothing(app, world, reference, tmp_path):
    import pytest

    from registry.errors import DomainError

    officer, import_ = analysed(world, tmp_path, [["Beretta", "92", "B-1", "9mm", "Pistolet"]])
    row = rows_of(import_)[2]
    before = (dict(row.values), dict(row.identification), row.status)
    with pytest.raises(DomainError) as raised:
        service.correct_row(officer, import_, row, "make", "Zorglub")
    assert "Zorglub" in str(raised.value.message) and "n'est pas dans la table de référence" in str(raised.value.message)
    db.session.rollback()
    row = rows_of(import_)[2]
    assert (row.values, row.identification, row.status) == before


def test_every_field_of_a_row_can_be_corrected_and_the_identification_stays(app, world, reference, tmp_path):
    officer, import_ = analysed(world, tmp_path, [
        ["Beretta", "92", "B-1", "9mm", "Pistolet", "hier", "Gao", "PV 12/2024", "saisie", "RAS"]])
    row = rows_of(import_)[2]
    identification = dict(row.identification)
    assert row.status == "needs_review" and keys(row) == ["date_unreadable"]
    for field, value in (("event_town", "Tombouctou"), ("case_reference", "PV 13/2024"),
                         ("notes", "Arme remise au parquet"), ("event_region", "Tombouctou"),
                         ("serial", "B-2"), ("import_country", "Belgique"), ("circumstances", "Contrôle routier")):
        service.correct_row(officer, import_, row, field, value)
        assert row.status == "needs_review"  # the date is still to fix
    service.correct_row(officer, import_, row, "event_date", "12/03/2024")
    db.session.commit()
    row = rows_of(import_)[2]
    assert row.status == "ready" and row.accepted and row.messages == []
    values = row.values
    assert (values["event_town"], values["case_reference"], values["notes"], values["event_region"]) == (
        "Tombouctou", "PV 13/2024", "Arme remise au parquet", "Tombouctou")
    assert (values["raw_serial"], values["serial_key"], values["last_import_country_code"]) == ("B-2", "B2", "BE")
    assert (values["circumstances"], values["event_date"]) == ("Contrôle routier", "2024-03-12")
    assert row.identification == identification
    assert set(service.CORRECTABLE_FIELDS) >= {"event_town", "event_region", "case_reference", "event_date",
                                                "notes", "circumstances", "markings", "event_country"}


def test_a_sheet_that_does_not_exist_or_is_empty_is_an_error_that_names_the_others(app, world, reference, tmp_path):
    path = write(tmp_path, "saisies.xlsx", workbook([], sheet_title="Feuil1", more_sheets={
        "Saisies 2024": [HEADER, ["Beretta", "92", "B-1"]], "Saisies 2025": [HEADER, ["Glock", "17", "G-1"]]}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL"])
    assert result.exit_code != 0
    assert "Feuil1" in result.output and "Saisies 2024, Saisies 2025" in result.output
    result = runner.invoke(args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL", "--sheet", "Saisies"])
    assert result.exit_code != 0
    assert "« Saisies »" in result.output and "Feuil1, Saisies 2024, Saisies 2025" in result.output
    result = runner.invoke(args=["imports", "run", str(path), "--agency", "ML-CNLPAL", "--sheet", "Saisies"])
    assert result.exit_code != 0 and "Feuil1, Saisies 2024" in result.output


def test_sheet_all_reads_every_sheet_that_holds_rows(app, world, reference, tmp_path):
    import json

    from sqlalchemy import select

    from registry.imports.models import Import
    from registry.weapons.models import Weapon

    path = write(tmp_path, "saisies.xlsx", workbook([], sheet_title="Feuil1", more_sheets={
        "Saisies 2024": [HEADER, ["Beretta", "92", "B-1"], ["Glock", "17", "G-2"]],
        "Saisies 2025": [HEADER, ["Glock", "17", "G-1"]]}))
    runner = app.test_cli_runner()
    out = tmp_path / "report.json"
    result = runner.invoke(args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL", "--sheet", "all",
                                 "--report", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert [item["sheet"] for item in report["sheets"]] == ["Saisies 2024", "Saisies 2025"]
    assert [len(item["rows"]) for item in report["sheets"]] == [2, 1] and report["counts"]["ready"] == 3
    result = runner.invoke(args=["imports", "run", str(path), "--agency", "ML-CNLPAL", "--sheet", "all", "--commit"])
    assert result.exit_code == 0, result.output
    assert "(sheet Saisies 2024)" in result.output and "(sheet Saisies 2025)" in result.output
    assert "already imported" not in result.output
    imports = db.session.scalars(select(Import).where(Import.country_code == "ML").order_by(Import.id)).all()
    assert [item.sheet_name for item in imports] == ["Saisies 2024", "Saisies 2025"]
    assert sorted(db.session.scalars(select(Weapon.raw_serial).where(Weapon.import_row_id.is_not(None)))) == [
        "B-1", "G-1", "G-2"]
