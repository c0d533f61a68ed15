"""Loading a table onto a table: the second table (tests/reference/commission.py) over the
starter table, through `flask reference load` and `flask reference export`."""

from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reference.engine import get_identifier, identify
from registry.reference.models import Alias, Calibre, Make, Model, ReferenceVersion
from tests.reference.commission import noisy_rows, sheet_rows, write_workbook
from tests.reference.labelled import score
from tests.reference.test_load_command import load, table_snapshot, workbook


def load_second_table(app, tmp_path, *options):
    path = str(write_workbook(tmp_path / "second.xlsx"))
    return app.test_cli_runner().invoke(args=["reference", "load", path, *options])


def test_a_maker_named_otherwise_in_each_table_is_united_not_doubled(starter, app, tmp_path):
    result = load_second_table(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert "United: the make “Fabrique Nationale Herstal” of the file is “FN Herstal” of the table." in result.output
    names = set(db.session.scalars(select(Make.name)))
    assert {"Fabrique Nationale Herstal", "Concern Kalachnikov", "China North Industries Group"} <= names
    assert not {"FN Herstal", "Kalashnikov", "Norinco"} & names
    fn = db.session.scalar(select(Make).where(Make.name == "Fabrique Nationale Herstal"))
    assert "fnherstal" in {alias.normalized for alias in fn.aliases}
    assert [model.name for model in fn.models].count("FAL") == 1
    assert (identify("FN Herstal", "FAL").make, identify("Norinco", "Type 56").make) == (
        "Fabrique Nationale Herstal", "China North Industries Group")


def test_a_model_the_starter_holds_as_an_alias_becomes_its_own_and_takes_the_alias_over(starter, app, tmp_path):
    result = load_second_table(app, tmp_path)
    assert "Conflict: “M16A2” named M16 and now names M16A2 only (the file's entry takes it)." in result.output
    for make, model in (("Colt", "M16A2"), ("Beretta", "92FS"), ("Walther", "PPQ"), ("Kalashnikov", "AKMS")):
        found = identify(make, model)
        assert found.model == model and not found.needs_review, (make, model, found)
    m16 = db.session.scalar(select(Model).where(Model.name == "M16"))
    assert "m16a2" not in {alias.normalized for alias in m16.aliases}
    assert identify("Colt", "M16").model == "M16"  # the starter's model stays, its own name its own


def test_calibres_written_otherwise_are_united_and_a_bare_number_is_a_conflict_said_at_load(starter, app, tmp_path):
    result = load_second_table(app, tmp_path)
    assert "United: the calibre “.38 S&W Special” of the file is “.38 Special” of the table." in result.output
    assert ("Conflict: “.40” names both .40 S&W and 40 mm (RPG-7): both keep it, and identification "
            "chooses by the model's calibres.") in result.output
    names = set(db.session.scalars(select(Calibre.name)))
    assert ".38 Special" in names and ".38 S&W Special" not in names
    assert identify("Glock", "Glock 22", "40 Cal").calibre == ".40 S&W"
    assert identify("Taurus", "Model 85", ".38 S&W Special").calibre == ".38 Special"
    assert identify("Ruger", "LCP", "380 Auto (ACP)").calibre == "9x17mm (.380 ACP)"


def test_the_second_table_over_the_starter_identifies_its_hand_typed_sheet(starter, app, tmp_path):
    assert load_second_table(app, tmp_path).exit_code == 0
    result = score(get_identifier(None), sheet_rows())
    assert result.makes_right >= 0.99 * result.rows, result.percent(result.makes_right)
    assert result.models_right >= 0.98 * result.rows, result.percent(result.models_right)
    assert result.wrong <= 0.002 * result.rows, result.wrong_rows[:10]


def test_the_second_table_over_the_starter_identifies_generated_spellings_of_its_weapons(starter, app, tmp_path):
    # Every kind of typing error on makes and models, the cells run together, swapped or
    # empty (bench/identify.py prints the same figures on more rows).
    assert load_second_table(app, tmp_path).exit_code == 0
    result = score(get_identifier(None), noisy_rows(2000, seed=11))
    assert result.makes_right >= 0.995 * result.rows, result.percent(result.makes_right)
    assert result.models_right >= 0.98 * result.rows, result.percent(result.models_right)
    assert result.wrong <= 0.002 * result.rows, result.wrong_rows[:10]


def test_a_dry_run_prints_the_plan_and_changes_nothing(starter, app, tmp_path):
    before = table_snapshot()
    version = db.session.get(ReferenceVersion, 1).version
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    result = load_second_table(app, tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run: nothing was changed.")
    assert "United: the make “Concern Kalachnikov” of the file is “Kalashnikov” of the table." in result.output
    db.session.expire_all()
    assert table_snapshot() == before
    assert db.session.get(ReferenceVersion, 1).version == version
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert identify("Kalashnikov", "AK-47").make == "Kalashnikov"
    # The same plan, then the load itself.
    applied = load_second_table(app, tmp_path)
    assert applied.output.splitlines()[0] == result.output.splitlines()[1]


def test_export_then_load_says_nothing_to_change(starter, app, tmp_path):
    assert load_second_table(app, tmp_path).exit_code == 0
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["reference", "export", str(tmp_path / "table.xlsx")])
    assert exported.exit_code == 0, exported.output
    assert "Exported 49 makes" in exported.output
    before = table_snapshot()
    again = runner.invoke(args=["reference", "load", str(tmp_path / "table.xlsx")])
    assert again.exit_code == 0, again.output
    assert "Nothing to change" in again.output
    db.session.expire_all()
    assert table_snapshot() == before
    refused = runner.invoke(args=["reference", "export", str(tmp_path / "table.csv")])
    assert refused.exit_code != 0 and "name it .xlsx" in refused.output


def test_uniting_two_makes_used_by_records_of_two_countries_says_so_and_keeps_the_records(app, world, tmp_path):
    from registry.weapons.models import Weapon
    from registry.weapons.service import create_weapon

    header = ["make", "model", "type", "calibre", "country", "make aliases", "model aliases"]
    rows = [["Alpha Arms", "AX-1", "", "", "", "", ""], ["Beta Works", "BX-2", "", "", "", "", ""]]
    assert load(app, workbook(tmp_path / "first.xlsx", rows=rows, header=header)).exit_code == 0
    mali = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="ALPHA-1", raw_make="Alpha Arms",
                         raw_model="AX-1")
    niger = create_weapon(world["NE"].user("officer"), status="seized", raw_serial="BETA-1", raw_make="Beta Works",
                          raw_model="BX-2")
    db.session.commit()
    rows = [["Alpha Beta Group", "AX-1", "", "", "", "Alpha Arms; Beta Works", ""],
            ["Alpha Beta Group", "BX-2", "", "", "", "", ""]]
    result = load(app, workbook(tmp_path / "second.xlsx", rows=rows, header=header))
    assert result.exit_code == 0, result.output
    assert ("Records of NE name “Beta Works” and records of ML name “Alpha Beta Group”: the two makes are "
            "united and every record is kept") in result.output
    db.session.expire_all()
    assert list(db.session.scalars(select(Make.name))) == ["Alpha Beta Group"]
    make_id = db.session.scalar(select(Make.id))
    assert {db.session.get(Weapon, mali.id).make_id, db.session.get(Weapon, niger.id).make_id} == {make_id}
    assert {"alphaarms", "betaworks"} <= set(db.session.scalars(select(Alias.normalized).where(
        Alias.make_id == make_id)))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reference.merged")) == 1
