"""A column with data that no field takes is never dropped without a word: the analysis
names it with a few of its values, and the user reads it into a field or ignores it."""

import io
import json

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.imports import service
from registry.imports.models import Import, ImportRow, ImportStatus
from registry.weapons.models import Weapon
from tests.imports.sheets import workbook, write
from tests.imports.test_pages import finish_jobs

HEADER = ["Marque", "Modèle", "N° de série", "Ref. PV", "Couleur", "Vide"]
ROWS = [
    ["Beretta", "92", "B-1", "PV-2024-001", "noire", None],
    ["Glock", "17", "G-2", "PV-2024-002", None, None],
    ["Glock", "17", "G-3", "PV-2024-002", "grise", None],
]


def sheet() -> bytes:
    return workbook([HEADER, *ROWS])


def test_the_report_names_the_columns_no_field_takes_with_their_values(app, world, reference, tmp_path):
    path = write(tmp_path, "saisies.xlsx", sheet())
    out = tmp_path / "report.json"
    result = app.test_cli_runner().invoke(
        args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL", "--report", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    # An empty column says nothing; the others are named, with their first distinct values.
    assert report["unmapped_columns"] == [
        {"column": "Ref. PV", "samples": ["PV-2024-001", "PV-2024-002"], "filled": 3},
        {"column": "Couleur", "samples": ["noire", "grise"], "filled": 2}]
    assert report["counts"]["ready"] == 3
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("saisies.xlsx: header on row 1, 3 rows (") and "Report written to" in lines[0]
    assert lines[1] == ('saisies.xlsx: columns with data that no field takes, not imported: '
                        '"Ref. PV" (PV-2024-001, PV-2024-002); "Couleur" (noire, grise).')


def test_a_sheet_whose_columns_are_all_taken_says_nothing_more(app, world, reference, tmp_path):
    path = write(tmp_path, "saisies.xlsx", workbook([HEADER[:3], *(row[:3] for row in ROWS)]))
    out = tmp_path / "report.json"
    result = app.test_cli_runner().invoke(
        args=["imports", "analyse", str(path), "--agency", "ML-CNLPAL", "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["unmapped_columns"] == []
    assert len(result.output.strip().splitlines()) == 1


def upload(actions, content: bytes):
    return actions.post("/imports/upload", {"file": (io.BytesIO(content), "saisies.xlsx")}, token_from="/imports/",
                        content_type="multipart/form-data")


def test_the_review_page_lists_a_left_out_column_and_reads_it_into_a_field(app, world, reference, client, login_as):
    officer = world["ML"].user("officer")
    actions = login_as(officer)
    upload(actions, sheet())
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Ref. PV" in page and "PV-2024-001 · PV-2024-002" in page and "Couleur" in page
    ref_pv = HEADER.index("Ref. PV")

    # A field already read from another column is refused, the import unchanged.
    response = actions.post(f"/imports/{import_.id}/columns/{ref_pv}", {"field": "make"},
                            token_from=f"/imports/{import_.id}", follow_redirects=True)
    assert "Marque" in response.get_data(as_text=True)
    db.session.expire_all()
    import_ = db.session.get(Import, import_.id)
    assert import_.status is ImportStatus.REVIEW and ref_pv not in import_.mapping

    response = actions.post(f"/imports/{import_.id}/columns/{ref_pv}", {"field": "case_reference"},
                            token_from=f"/imports/{import_.id}")
    assert response.status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    assert import_.mapping[ref_pv] == "case_reference"
    assert [column["title"] for column in import_.unmapped_columns] == ["Couleur"]
    rows = db.session.scalars(select(ImportRow).where(ImportRow.import_id == import_.id)
                              .order_by(ImportRow.row_number)).all()
    assert [row.values.get("case_reference") for row in rows] == ["PV-2024-001", "PV-2024-002", "PV-2024-002"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.column")).all()
    assert [event.details for event in events] == [{"column": "Ref. PV", "field": "case_reference"}]

    actions.post(f"/imports/{import_.id}/commit", token_from=f"/imports/{import_.id}")
    import_ = finish_jobs()
    assert import_.status is ImportStatus.COMMITTED, import_.error
    assert sorted(db.session.scalars(select(Weapon.case_reference).where(Weapon.import_row_id.is_not(None)))) == [
        "PV-2024-001", "PV-2024-002", "PV-2024-002"]


def test_a_column_ignored_is_kept_ignored_with_the_import(app, world, reference, tmp_path, client, login_as):
    officer = world["ML"].user("officer")
    actions = login_as(officer)
    upload(actions, sheet())
    import_ = finish_jobs()
    couleur = HEADER.index("Couleur")
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Ces colonnes contiennent des données qui ne sont pas importées" in page
    response = actions.post(f"/imports/{import_.id}/columns/{couleur}", {"field": service.IGNORE_COLUMN},
                            token_from=f"/imports/{import_.id}", follow_redirects=True)
    assert "La colonne est ignorée" in response.get_data(as_text=True)
    db.session.expire_all()
    import_ = db.session.get(Import, import_.id)
    assert [(column["title"], column["ignored"]) for column in import_.unmapped_columns] == [
        ("Ref. PV", False), ("Couleur", True)]
    assert import_.status is ImportStatus.REVIEW

    # Analysed again (Ref. PV read now): the column ignored stays ignored.
    service.choose_column(officer, import_, HEADER.index("Ref. PV"), "case_reference")
    service.analyse_import(officer, import_)
    db.session.commit()
    assert [(column["title"], column["ignored"]) for column in import_.unmapped_columns] == [("Couleur", True)]
    assert not import_.undecided_columns
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Ignorée" in page and "ne sont pas importées" not in page

    # The API says the same.
    data = client.get(f"/api/v1/imports/{import_.id}").get_json()
    assert data["unmapped_columns"] == [{"column": "Couleur", "samples": ["noire", "grise"], "filled": 2,
                                         "ignored": True}]


def test_an_officer_of_another_state_cannot_choose_for_the_column(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    response = actions.post(f"/imports/{world.ne_import_id}/columns/1", {"field": service.IGNORE_COLUMN},
                            token_from="/imports/")
    assert response.status_code == 404
