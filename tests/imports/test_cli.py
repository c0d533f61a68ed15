"""`flask imports analyse` and `flask imports run`, as scripts call them."""

import json
from pathlib import Path

from sqlalchemy import func, select

from registry.extensions import db
from registry.imports.models import Import, ImportStatus
from registry.weapons.models import Weapon
from tests.imports.sheets import messy_french_sheet, write

ROW_KEYS = {"row", "status", "make", "model", "calibre", "type", "confidence", "messages", "suggestions"}


def weapons_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Weapon))


def test_analyse_reports_every_data_row_and_writes_nothing(app, world, reference, tmp_path):
    sheet = write(tmp_path, "saisies.xlsx", messy_french_sheet())
    out = tmp_path / "report.json"
    before = weapons_count()
    result = app.test_cli_runner().invoke(
        args=["imports", "analyse", str(sheet), "--agency", "ML-CNLPAL", "--report", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["header_row"] == 4
    assert report["mapping"]["Marque"] == "make" and report["mapping"]["N° de série"] == "serial"
    rows = {row["row"]: row for row in report["rows"]}
    # One object per data row below the header, numbered as Excel shows them.
    assert sorted(rows) == list(range(5, 12))
    assert all(set(row) == ROW_KEYS for row in rows.values())
    assert rows[5]["status"] == "ready"
    assert (rows[5]["make"], rows[5]["model"]) == ("Kalashnikov", "AK-47")
    assert rows[5]["confidence"]["make"] > 0.9
    assert (rows[6]["make"], rows[6]["model"]) == ("Beretta", "92")
    assert rows[7]["status"] == "skipped"
    # An unknown make: null, not a guess.
    assert rows[8]["status"] == "needs_review" and rows[8]["make"] is None and rows[8]["model"] is None
    assert rows[9]["status"] == "invalid" and rows[9]["messages"]
    assert rows[10]["status"] == "duplicate"
    assert rows[11]["status"] == "skipped" and rows[11]["messages"] == ["Total row."]
    assert report["counts"] == {"ready": 2, "needs_review": 1, "invalid": 1, "duplicate": 1, "skipped": 2}
    assert weapons_count() == before
    assert db.session.scalar(select(func.count()).where(Import.country_code == "ML")) == 0


def test_analyse_reports_messages_in_french_when_asked(app, world, reference, tmp_path):
    sheet = write(tmp_path, "saisies.xlsx", messy_french_sheet())
    out = tmp_path / "rapport.json"
    result = app.test_cli_runner().invoke(args=["imports", "analyse", str(sheet), "--agency", "ML-CNLPAL",
                                                "--report", str(out), "--language", "fr"])
    assert result.exit_code == 0, result.output
    rows = {row["row"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows[11]["messages"] == ["Ligne de total."]


def test_analyse_says_why_a_file_is_refused(app, world, tmp_path):
    path = write(tmp_path, "photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = app.test_cli_runner().invoke(args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL"])
    assert result.exit_code != 0
    assert "photo.xlsx: " in result.output and "tableur" in result.output  # French first


def test_run_commit_writes_the_ready_rows_once(app, world, reference, tmp_path):
    sheet = write(tmp_path, "saisies.xlsx", messy_french_sheet())
    runner = app.test_cli_runner()
    before = set(db.session.scalars(select(Weapon.id)))
    result = runner.invoke(args=["imports", "run", str(sheet), "--agency", "ML-CNLPAL", "--commit"])
    assert result.exit_code == 0, result.output
    assert "2 records written" in result.output
    weapons = db.session.scalars(select(Weapon).where(Weapon.id.not_in(before)).order_by(Weapon.id)).all()
    assert [(w.raw_make, w.raw_serial, w.country_code) for w in weapons] == [
        ("Kalachnikov", "KA-1001", "ML"), ("Beretta", "B 2002", "ML")]
    assert weapons[0].import_row_id is not None and weapons[0].make_id is not None
    import_ = db.session.scalars(select(Import).where(Import.country_code == "ML")).one()
    assert import_.status is ImportStatus.COMMITTED

    again = runner.invoke(args=["imports", "run", str(sheet), "--agency", "ML-CNLPAL", "--commit"])
    assert again.exit_code == 0, again.output
    assert "already imported" in again.output
    assert weapons_count() == len(before) + 2  # every row is now a duplicate of a record


def test_analyse_reads_a_real_xls_workbook(app, world, reference, tmp_path):
    """saisies.xls was written by xlwt (the old Excel 97-2003 format, which field units
    still save): titles, French headers, an Excel date and a typed one, a TOTAL row."""
    out = tmp_path / "report.json"
    result = app.test_cli_runner().invoke(args=["imports", "analyse", str(Path(__file__).parent / "saisies.xls"),
                                                "--agency", "ML-CNLPAL", "--report", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["header_row"] == 3 and report["sheet"] == "Saisies 2024"
    rows = {row["row"]: row for row in report["rows"]}
    assert (rows[4]["status"], rows[4]["make"], rows[4]["model"]) == ("ready", "Kalashnikov", "AK-47")
    assert (rows[5]["status"], rows[5]["make"], rows[5]["model"]) == ("ready", "Beretta", "92")
    assert rows[6]["status"] == "skipped"


def test_a_row_without_serial_imported_again_is_a_duplicate_of_its_record(app, world, reference, tmp_path):
    # Field units keep one sheet and send it again each month with new rows below: a
    # weapon with no serial (a craft gun, a serial ground off) has no key to be found by,
    # so its row, the same to the letter, tells it is the record already made from it.
    from datetime import datetime

    from tests.imports.sheets import workbook

    header = ["N°", "Marque", "Modèle", "N° de série", "Type d'arme", "Date de saisie", "Lieu de saisie"]
    craft = [1, "Fabrication artisanale", None, "limé", "fusil de chasse", datetime(2025, 3, 15), "Koro"]
    twin = [2, "Fabrication artisanale", None, None, "fusil de chasse", "15/03/2025", "Koro"]
    rifle = [3, "Kalachnikov", "AK 47", "KA-7001", "Fusil d'assaut", "16/03/2025", "Gao"]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["imports", "run", str(write(tmp_path, "mars.xlsx", workbook([header, craft, twin, rifle]))),
                                "--agency", "ML-CNLPAL", "--commit"])
    assert "3 records written" in first.output, first.output
    before = weapons_count()

    april = [4, "Fabrication artisanale", None, None, "fusil de chasse", "02/04/2025", "Koro"]
    sheet = write(tmp_path, "avril.xlsx", workbook([header, craft, twin, rifle, twin, april]))
    out = tmp_path / "report.json"
    runner.invoke(args=["imports", "analyse", str(sheet), "--agency", "ML-CNLPAL", "--report", str(out),
                        "--language", "fr"])
    rows = {row["row"]: row for row in json.loads(out.read_text())["rows"]}
    assert [rows[number]["status"] for number in (2, 3, 4, 5, 6)] == [
        "duplicate", "duplicate", "duplicate", "ready", "ready"]
    recorded = db.session.scalars(select(Weapon.reference).where(Weapon.raw_serial == "limé")).one()
    assert f"Déjà enregistrée comme {recorded}" in rows[2]["messages"][0]
    # The second copy of row 3 is not the record made from it: it is written.
    second = runner.invoke(args=["imports", "run", str(sheet), "--agency", "ML-CNLPAL", "--commit"])
    assert "2 records written" in second.output, second.output
    assert weapons_count() == before + 2


def test_the_report_on_standard_output_is_the_one_written_to_a_file(app, world, reference, tmp_path):
    sheet = write(tmp_path, "saisies.xlsx", messy_french_sheet())
    out = tmp_path / "report.json"
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["imports", "analyse", str(sheet), "--agency", "ML-CNLPAL"])
    written = runner.invoke(args=["imports", "analyse", str(sheet), "--agency", "ML-CNLPAL", "--report", str(out)])
    assert printed.exit_code == 0 and written.exit_code == 0, printed.output + written.output
    assert printed.output == out.read_text(encoding="utf-8") + "\n"
    assert json.loads(printed.output)["counts"]["ready"] == 2
