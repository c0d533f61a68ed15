"""`flask reports summary --country ML --from ... --to ... --json OUT.json`, as scripts call it."""

import json
from collections import Counter
from datetime import datetime

from sqlalchemy import select

from registry.extensions import db
from registry.imports.models import ImportRow
from registry.reference.models import Make, WeaponType
from registry.weapons.models import Weapon
from tests.imports.sheets import workbook, write
from tests.reports.helpers import record

HEADER = ["N°", "Marque", "Modèle", "N° de série", "Type d'arme", "Date de saisie", "Région", "Statut"]
ROWS = [
    [1, "Kalachnikov", "AK 47", "KA-1001", "Fusil d'assaut", datetime(2024, 1, 5), "Ségou", "Saisie"],
    [2, "Kalashnikov", "AKM", "KA-1002", "Fusil d'assaut", "12/01/2024", "Région de Gao", "saisie"],
    [3, "Beretta", "92", "B-2002", "Pistolet", "12/02/2024", "Mopti", "trouvée"],
    [4, "Beretta", "92", "B-2003", "Pistolet", "15/03/2024", "Tombouctou", "Remise volontaire"],
    [5, "Baikal", "IZH-43", "BK-3003", "Fusil de chasse", "02/04/2024", "Kayes", "Saisie"],
    [6, "Kalachnikov", "AK 47", "KA-1006", "Fusil d'assaut", "20/11/2024", "Gao", "Perdue"],
]
KEYS = {"total", "by_status", "by_type", "by_make", "by_country_of_manufacture", "by_region", "by_month",
        "tracing", "sdg_16_4_2"}


def run_summary(app, tmp_path, *args):
    out = tmp_path / "summary.json"
    result = app.test_cli_runner().invoke(args=["reports", "summary", *args, "--json", str(out)])
    return result, (json.loads(out.read_text()) if out.exists() else None)


def test_summary_of_a_state_matches_the_rows_of_its_import_by_type_make_and_status(app, world, reference, tmp_path):
    sheet = write(tmp_path, "saisies-2024.xlsx", workbook([HEADER, *ROWS]))
    imported = app.test_cli_runner().invoke(args=["imports", "run", str(sheet), "--agency", "ML-CNLPAL", "--commit"])
    assert "6 records written" in imported.output, imported.output

    result, summary = run_summary(app, tmp_path, "--country", "ML", "--from", "2024-01-01", "--to", "2024-12-31")
    assert result.exit_code == 0, result.output
    assert set(summary) == KEYS
    # The import's rows, read back from what it stored: their identified make and type, their status.
    rows = db.session.execute(
        select(Make.name, WeaponType.name_en, Weapon.status).select_from(ImportRow)
        .join(Weapon, Weapon.import_row_id == ImportRow.id)
        .outerjoin(Make, Make.id == Weapon.make_id).outerjoin(WeaponType, WeaponType.id == Weapon.type_id)).all()
    assert len(rows) == summary["total"] == 6
    assert summary["by_make"] == dict(Counter(make for make, _type, _status in rows))
    assert summary["by_type"] == dict(Counter(type_ for _make, type_, _status in rows))
    assert summary["by_status"] == dict(Counter(status.value for _make, _type, status in rows))
    # ...and the sheet, as a person reads it.
    assert summary["by_make"] == {"Kalashnikov": 3, "Beretta": 2, "Baikal": 1}
    assert summary["by_type"] == {"Assault rifle": 3, "Pistol": 2, "Shotgun": 1}
    assert summary["by_status"] == {"seized": 3, "found": 1, "surrendered": 1, "lost": 1}
    assert summary["by_region"] == {"Gao": 2, "Ségou": 1, "Mopti": 1, "Tombouctou": 1, "Kayes": 1}
    assert summary["by_month"]["2024-01"] == 2 and summary["by_month"]["2024-11"] == 1
    assert len(summary["by_month"]) == 12
    assert summary["sdg_16_4_2"] == {"numerator": 0, "denominator": 5, "value": 0.0}
    assert summary["tracing"]["sent"]["count"] == 0


def test_summary_counts_only_the_state_asked(app, world, reference, tmp_path):
    record(world["NE"].user("officer"), raw_make="Beretta", raw_serial="NE-1", event_date="2024-05-05")
    _result, summary = run_summary(app, tmp_path, "--country", "ML", "--from", "2024-01-01", "--to", "2024-12-31")
    assert summary["total"] == 0
    _result, niger = run_summary(app, tmp_path, "--country", "NE", "--from", "2024-01-01", "--to", "2024-12-31")
    assert niger["total"] == 1 and niger["by_make"] == {"Beretta": 1}


def test_summary_refuses_a_period_ending_before_it_starts_and_writes_nothing(app, world, tmp_path):
    result, summary = run_summary(app, tmp_path, "--country", "ML", "--from", "2024-12-31", "--to", "2024-01-01")
    assert result.exit_code != 0 and summary is None
    assert "period" in result.output or "période" in result.output
    unknown, nothing = run_summary(app, tmp_path, "--country", "XX")
    assert unknown.exit_code != 0 and nothing is None
