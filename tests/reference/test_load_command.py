"""`flask reference load FILE.xlsx`: the table format, loading twice, bad files."""

from openpyxl import Workbook
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reference.engine import identify
from registry.reference.models import Alias, Calibre, Make, Model, ReferenceVersion, WeaponType

HEADER = ["Marque", "Modèle", "Type", "Calibre", "Pays", "Alias marque", "Alias modèle"]
ROWS = [
    ["Kalashnikov Concern", "AK-47", "Fusil d'assaut", "7,62x39", "Russie", "Kalach; Izhmash", "AK; AK 47"],
    ["Kalashnikov Concern", "AKM", "Fusil d'assaut", "7,62x39", "RU", "", "AKMS"],
    ["Norinco", "Type 56", "Fusil d'assaut", "7,62x39", "China", "China North Industries", "T56"],
    ["Beretta", "92FS", "Pistolet", "9x19", "Italie", "", "92; M9"],
]


def workbook(path, rows=ROWS, header=HEADER, calibres=None, sheet_title="Référence"):
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(["Table de référence des armes"])  # a title above the header row
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if calibres is not None:
        calibre_sheet = book.create_sheet("Calibres")
        calibre_sheet.append(["Calibre", "Alias"])
        for row in calibres:
            calibre_sheet.append(row)
    book.save(path)
    return str(path)


def table_snapshot():
    makes = sorted((m.code, m.name, m.country_code or "") for m in db.session.scalars(select(Make)))
    models = sorted((m.code, m.name, m.make_id, m.type_id or 0, tuple(sorted(c.id for c in m.calibres)))
                    for m in db.session.scalars(select(Model)))
    aliases = sorted(str((a.alias, a.make_id, a.model_id, a.calibre_id, a.type_id, a.country_code))
                     for a in db.session.scalars(select(Alias)))
    calibres = sorted(c.name for c in db.session.scalars(select(Calibre)))
    types = sorted(t.name_en for t in db.session.scalars(select(WeaponType)))
    return makes, models, aliases, calibres, types


def load(app, path):
    return app.test_cli_runner().invoke(args=["reference", "load", path])


def test_loading_a_table_adds_makes_models_and_aliases(app, tmp_path):
    result = load(app, workbook(tmp_path / "ref.xlsx", calibres=[["7.62x39mm", "7.62 M43; M43"]]))
    assert result.exit_code == 0, result.output
    assert "Added: 3 makes, 4 models" in result.output
    makes = {make.name: make for make in db.session.scalars(select(Make))}
    assert makes["Norinco"].country_code == "CN"
    assert makes["Kalashnikov Concern"].country_code == "RU"
    ak = db.session.scalar(select(Model).where(Model.name == "AK-47"))
    assert [c.name for c in ak.calibres] == ["7.62x39mm"]  # "7,62x39" is the Calibres sheet's 7.62x39mm
    result = identify("kalach", "AK 47", "M43")
    assert (result.make, result.model, result.calibre) == ("Kalashnikov Concern", "AK-47", "7.62x39mm")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reference.load")) == 1


def test_loading_the_same_file_twice_gives_the_same_table(app, tmp_path):
    path = workbook(tmp_path / "ref.xlsx", calibres=[["7.62x39mm", "7.62 M43"]])
    assert load(app, path).exit_code == 0
    first = table_snapshot()
    version = db.session.get(ReferenceVersion, 1).version
    second_run = load(app, path)
    assert second_run.exit_code == 0
    assert "Nothing to change" in second_run.output
    db.session.expire_all()
    assert table_snapshot() == first
    assert db.session.get(ReferenceVersion, 1).version == version


def test_english_headers_and_a_changed_country_are_reported(app, tmp_path):
    header = ["make", "model", "type", "calibre", "country", "make aliases", "model aliases"]
    assert load(app, workbook(tmp_path / "a.xlsx", header=header)).exit_code == 0
    rows = [["Norinco", "Type 56", "Assault rifle", "7.62x39", "Chine", "", ""]]
    rows[0][4] = "TW"
    result = load(app, workbook(tmp_path / "b.xlsx", rows=rows, header=header))
    assert result.exit_code == 0, result.output
    assert "country CN -> TW" in result.output
    assert db.session.scalar(select(Make.country_code).where(Make.name == "Norinco")) == "TW"


def test_a_bad_file_names_the_sheet_row_and_column_and_changes_nothing(app, tmp_path):
    rows = [*ROWS, ["Glock", "17", "Pistolet", "9x19", "Atlantide", "", ""]]
    result = load(app, workbook(tmp_path / "bad.xlsx", rows=rows))
    assert result.exit_code != 0
    assert "sheet 'Référence', row 7, column E" in result.output
    assert "Atlantide" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Make)) == 0
    assert db.session.scalar(select(func.count()).select_from(Alias)) == 0


def test_a_row_without_a_make_is_refused(app, tmp_path):
    rows = [*ROWS, ["", "Type 81", "", "", "", "", ""]]
    result = load(app, workbook(tmp_path / "bad.xlsx", rows=rows))
    assert result.exit_code != 0
    assert "row 7, column A" in result.output
    assert db.session.scalar(select(func.count()).select_from(Model)) == 0


def test_a_file_without_a_header_row_is_refused(app, tmp_path):
    result = load(app, workbook(tmp_path / "bad.xlsx", header=["Nom", "Numéro"]))
    assert result.exit_code != 0
    assert "No header row" in result.output


def test_a_file_that_is_not_a_spreadsheet_is_refused(app, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    result = load(app, str(path))
    assert result.exit_code != 0
    assert "not a readable spreadsheet" in result.output


def test_registry_init_loads_the_starter_table_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["registry", "init"])
    assert first.exit_code == 0, first.output
    assert "Reference starter table loaded" in first.output
    before = table_snapshot()
    assert any(name == "Kalashnikov" for _code, name, _country in before[0])
    second = runner.invoke(args=["registry", "init"])
    assert second.exit_code == 0
    assert "Reference starter table loaded" not in second.output
    db.session.expire_all()
    assert table_snapshot() == before
