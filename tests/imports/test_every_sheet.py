"""A workbook with several sheets in the browser: an empty first sheet is never read as an
import of no row, and "all sheets" makes one import a sheet holding rows."""

import io

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.imports.models import Import, ImportStatus
from registry.weapons.models import Sharing, Weapon
from tests.imports.sheets import workbook
from tests.imports.test_pages import finish_jobs

HEADER = ["Marque", "Modèle", "N° de série"]


def book() -> bytes:
    return workbook([], sheet_title="Couverture", more_sheets={
        "Saisies 2024": [HEADER, ["Beretta", "92", "EV-1"], ["Glock", "17", "EV-2"]],
        "Notes": [["Rien ici"]],
        "Saisies 2025": [["Etat des armes"], HEADER, ["Glock", "17", "EV-3"]]})


def upload(actions, sharing="national"):
    response = actions.post("/imports/upload", {"file": (io.BytesIO(book()), "saisies.xlsx"), "sharing": sharing},
                            token_from="/imports/", content_type="multipart/form-data")
    assert response.status_code == 302 and "/setup" in response.headers["Location"]
    return db.session.scalars(select(Import).order_by(Import.id.desc())).first()


def test_an_empty_first_sheet_shows_the_first_sheet_holding_rows(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    import_ = upload(actions)
    page = client.get(f"/imports/{import_.id}/setup").get_data(as_text=True)
    assert "La feuille « Couverture » est vide : la feuille « Saisies 2024 » est affichée." in page
    assert 'name="sheet" value="Saisies 2024"' in page and "EV-1" in page
    assert "Toutes les feuilles qui contiennent des lignes" in page

    # Asked for by name, the empty sheet is an error that names the others, never 0 rows.
    actions.post(f"/imports/{import_.id}/setup", {"sheet": "Couverture", "columns": "1"},
                 token_from=f"/imports/{import_.id}/setup")
    import_ = finish_jobs()
    assert import_.status is ImportStatus.FAILED
    assert "Couverture" in import_.error and "Saisies 2024" in import_.error and not import_.counts


def test_all_sheets_makes_one_import_a_sheet_holding_rows(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    import_ = upload(actions, sharing="partners")
    page = client.get(f"/imports/{import_.id}/setup?sheet=all").get_data(as_text=True)
    assert "<li>Saisies 2024</li>" in page and "<li>Saisies 2025</li>" in page
    assert "<li>Notes</li>" not in page and "<li>Couverture</li>" not in page
    response = actions.post(f"/imports/{import_.id}/setup", {"sheet": "all"},
                            token_from=f"/imports/{import_.id}/setup?sheet=all", follow_redirects=True)
    assert "2 imports sont analysés, un par feuille : Saisies 2024, Saisies 2025." in response.get_data(as_text=True)
    finish_jobs()
    imports = db.session.scalars(select(Import).where(Import.country_code == "ML").order_by(Import.id)).all()
    assert [(item.sheet_name, item.status, item.counts["ready"], item.sharing) for item in imports] == [
        ("Saisies 2024", ImportStatus.REVIEW, 2, Sharing.PARTNERS),
        ("Saisies 2025", ImportStatus.REVIEW, 1, Sharing.PARTNERS)]
    assert imports[1].header_row == 2
    # Two sheets of one workbook are not the same file imported twice.
    page = client.get(f"/imports/{imports[1].id}").get_data(as_text=True)
    assert "déjà été déposé" not in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.sheets")).one()
    assert event.details == {"sheets": ["Saisies 2024", "Saisies 2025"], "imports": [item.id for item in imports]}

    for item in imports:
        actions.post(f"/imports/{item.id}/commit", token_from=f"/imports/{item.id}")
    finish_jobs()
    assert sorted(db.session.scalars(select(Weapon.raw_serial).where(Weapon.import_row_id.is_not(None)))) == [
        "EV-1", "EV-2", "EV-3"]


def test_all_sheets_of_a_workbook_without_rows_is_refused(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    response = actions.post("/imports/upload", {"file": (io.BytesIO(workbook([], sheet_title="A", more_sheets={
        "B": [["Rien"]]})), "vide.xlsx")}, token_from="/imports/", content_type="multipart/form-data")
    import_ = db.session.scalars(select(Import).order_by(Import.id.desc())).first()
    response = actions.post(f"/imports/{import_.id}/setup", {"sheet": "all"},
                            token_from=f"/imports/{import_.id}/setup?sheet=all", follow_redirects=True)
    assert "Aucune feuille du classeur ne contient de lignes sous un en-tête (feuilles : A, B)." in \
        response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Import).where(Import.country_code == "ML")) == 1
