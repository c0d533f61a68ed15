"""What an officer does in the browser: upload a messy French sheet, fix the rows needing
review, commit, download the result; commit again: nothing is written twice."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from registry import jobs
from registry.extensions import db
from registry.imports.models import Import, ImportRow, ImportStatus
from registry.weapons.models import Weapon
from tests.imports.sheets import messy_french_sheet, workbook


def upload(actions, content: bytes, name="saisies.xlsx"):
    return actions.post("/imports/upload", {"file": (io.BytesIO(content), name)}, token_from="/imports/",
                        content_type="multipart/form-data")


def finish_jobs() -> Import:
    db.session.expire_all()
    for import_ in db.session.scalars(select(Import)):
        if import_.job_id:
            assert jobs.wait(import_.job_id)
    db.session.expire_all()
    return db.session.scalars(select(Import).order_by(Import.id.desc())).first()


def test_upload_review_commit_and_download_the_result(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    response = upload(actions, messy_french_sheet())
    assert response.status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Zorglub" in page and "Kalashnikov" in page

    # The unknown make is fixed by hand; then the row is accepted.
    unsure = db.session.scalars(select(ImportRow).where(ImportRow.import_id == import_.id,
                                                        ImportRow.status == "needs_review")).one()
    path = f"/imports/{import_.id}/rows/{unsure.id}"
    actions.post(path, {"action": "fix", "field": "make", "value": "Beretta"}, token_from=f"/imports/{import_.id}")
    actions.post(path, {"action": "fix", "field": "model", "value": "92"}, token_from=f"/imports/{import_.id}")
    db.session.expire_all()
    unsure = db.session.get(ImportRow, unsure.id)
    assert unsure.identification["make"] == "Beretta" and unsure.status == "ready" and unsure.accepted

    before = db.session.scalar(select(func.count()).select_from(Weapon))
    response = actions.post(f"/imports/{import_.id}/commit", token_from=f"/imports/{import_.id}")
    assert response.status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.COMMITTED, import_.error
    assert db.session.scalar(select(func.count()).select_from(Weapon)) == before + 3

    # Commit again: refused, nothing written twice.
    response = actions.post(f"/imports/{import_.id}/commit", token_from=f"/imports/{import_.id}",
                            follow_redirects=True)
    finish_jobs()
    assert db.session.scalar(select(func.count()).select_from(Weapon)) == before + 3

    response = client.get(f"/imports/{import_.id}/result.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Ligne", "N°", "Marque", "Modèle")
    by_number = {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:]}
    assert by_number[5]["Fiche créée"].startswith("ML-")
    assert by_number[8]["Marque identifiée"] == "Beretta"
    # After the commit: each row's final values, its record and "recorded".
    assert (by_number[8]["Marque"], by_number[8]["Modèle"]) == ("Beretta", "92")
    assert by_number[8]["Statut de l'import"] == "Enregistrée" and by_number[8]["Fiche créée"].startswith("ML-")
    assert by_number[5]["Statut de l'import"] == "Enregistrée" and by_number[5]["Marque"] == "Kalachnikov"
    assert by_number[11]["Statut de l'import"] == "Ignorée"
    # What was identified is named in the reader's language, like the review page.
    assert by_number[5]["Type identifié"] == "Fusil d'assaut" and by_number[6]["Type identifié"] == "Pistolet"
    assert by_number[5]["Confiance"].startswith("Marque ") and "Type d'arme " in by_number[5]["Confiance"]
    assert by_number[5]["Confiance"].endswith(" %")


def test_a_formula_in_the_sheet_comes_back_as_text_in_the_result(app, world, reference, client, login_as):
    from tests.imports.sheets import SHEET_HEAD, SHEET_TAIL, raw_xlsx, text_cell

    actions = login_as(world["ML"].user("officer"))
    # A text cell typed with a leading "=" (a formula would arrive as its value only).
    content = raw_xlsx(SHEET_HEAD + '<row r="1">' + text_cell("A1", "Marque") + text_cell("B1", "Modèle")
                       + text_cell("C1", "N° de série") + '</row><row r="2">'
                       + text_cell("A2", '=HYPERLINK("http://x","Beretta")') + text_cell("B2", "92")
                       + text_cell("C2", "S1") + "</row>" + SHEET_TAIL)
    upload(actions, content)
    import_ = finish_jobs()
    data = client.get(f"/imports/{import_.id}/result.xlsx").data
    cell = load_workbook(io.BytesIO(data)).active["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_uploading_the_same_file_again_warns_before_a_second_import(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    content = messy_french_sheet()  # the same bytes twice (openpyxl stamps the time it saves)
    upload(actions, content)
    finish_jobs()
    response = upload(actions, content, "copie.xlsx")
    assert "/setup" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ce même fichier a déjà été déposé" in page
    latest = finish_jobs()
    assert latest.status is ImportStatus.UPLOADED  # nothing analysed before the officer goes on


def test_a_refused_file_says_why_and_keeps_nothing(app, world, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    response = upload(actions, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.xlsx")
    assert response.status_code == 400
    assert "tableur" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Import).where(Import.country_code == "ML")) == 0


def test_the_blank_template_has_french_headers_and_drop_down_lists(app, world, reference, client, login_as):
    login_as(world["ML"].user("officer"))
    response = client.get("/imports/template.xlsx?language=fr")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]][:4] == ["N°", "Marque", "Modèle", "N° de série"]
    validations = sheet.data_validations.dataValidation
    assert any("Listes!" in validation.formula1 for validation in validations)
    assert "Saisie" in [row[0] for row in book["Listes"].iter_rows(values_only=True)]
    english = load_workbook(io.BytesIO(client.get("/imports/template.xlsx?language=en").data)).worksheets[0]
    assert [cell.value for cell in english[1]][:2] == ["No.", "Make"]


def test_the_api_uploads_and_reports(app, world, reference, client):
    from registry.auth.service import create_api_token

    _token, secret = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(messy_french_sheet()), "saisies.xlsx")})
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["id"]
    finish_jobs()
    data = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()
    assert data["status"] == "review" and data["header_row"] == 4 and data["row_total"] == 7
    rows = client.get(f"/api/v1/imports/{import_id}/rows?limit=5", headers=headers).get_json()
    assert [row["row"] for row in rows["items"]] == list(range(5, 10))
    assert rows["items"][0]["make"] == "Kalashnikov"
    rest = client.get(f"/api/v1/imports/{import_id}/rows?limit=5&cursor={rows['next_cursor']}",
                      headers=headers).get_json()
    assert [row["row"] for row in rest["items"]] == [10, 11] and rest["next_cursor"] is None
    other = client.get(f"/api/v1/imports/{world.ne_import_id}", headers=headers)
    assert other.status_code == 404


def test_the_review_shows_whole_numbers_as_typed_not_as_decimals(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    upload(actions, messy_french_sheet())
    import_ = finish_jobs()
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "</small> 1</div>" in page
    assert "</small> 1.0</div>" not in page


def test_the_review_names_weapon_types_in_the_readers_language(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    upload(actions, workbook([["Marque", "Modèle", "N° de série", "Type d'arme"],
                              ["Beretta", "92", "TY-1", "pistolet"]]))
    import_ = finish_jobs()
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Type : Pistolet" in page or "Type: Pistolet" in page
    assert "Pistol<" not in page


def review_in_french_then_english(world, client, login_as, rows: list[list]):
    """An officer's review page of a sheet of `rows`, read in French, then in English."""
    from registry.auth.service import set_language

    officer = world["ML"].user("officer")
    actions = login_as(officer)
    upload(actions, workbook([["Marque", "Modèle", "N° de série"], *rows]), name=f"{rows[0][2]}.xlsx")
    import_ = finish_jobs()
    french = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    set_language(officer, "en")
    db.session.commit()
    return french, client.get(f"/imports/{import_.id}").get_data(as_text=True)


def test_labels_take_the_colon_of_the_readers_language(app, world, reference, client, login_as):
    french, english = review_in_french_then_english(world, client, login_as, [["Beretta", "92", "LB-1"]])
    # French typography: a space before the colon, as in the catalogue's sentences.
    assert "<strong>Statut :</strong>" in french and "Marque : <strong>Beretta</strong>" in french
    assert "Statut:" not in french
    assert "<strong>Status:</strong>" in english and "Make: <strong>Beretta</strong>" in english


def test_a_date_a_status_and_a_country_are_fixed_in_the_review(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    upload(actions, workbook([
        ["Marque", "Modèle", "N° de série", "Date de saisie", "Statut", "Pays de fabrication"],
        ["Beretta", "92", "D-1", "hier", "bof", "Atlantide"],
        ["Beretta", "92", "D-2", "12/03/2099", "Saisie", "Italie"],
    ]))
    import_ = finish_jobs()
    rows = {row.values["raw_serial"]: row for row in db.session.scalars(
        select(ImportRow).where(ImportRow.import_id == import_.id))}
    unsure, future = rows["D-1"], rows["D-2"]
    assert unsure.status == "needs_review" and future.status == "invalid" and not future.accepted
    view = f"/imports/{import_.id}"

    # A value still not understood is refused, in French, and changes nothing.
    response = actions.post(f"{view}/rows/{unsure.id}", {"action": "fix", "field": "event_date", "value": "demain"},
                            token_from=view, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "La date « demain » n" in page and "pas été comprise : écrivez-la comme 12/03/2024" in page
    for field, value in (("event_date", "12/03/2024"), ("status", "volée"), ("manufacture_country", "Italie")):
        actions.post(f"{view}/rows/{unsure.id}", {"action": "fix", "field": field, "value": value}, token_from=view)
    actions.post(f"{view}/rows/{future.id}", {"action": "fix", "field": "event_date", "value": "2024-03-12"},
                 token_from=view)
    db.session.expire_all()
    unsure, future = db.session.get(ImportRow, unsure.id), db.session.get(ImportRow, future.id)
    assert unsure.values["event_date"] == "2024-03-12" and unsure.values["status"] == "stolen"
    assert unsure.values["manufacture_country_code"] == "IT"
    assert unsure.messages == [] and unsure.status == "ready" and unsure.accepted
    assert future.values["event_date"] == "2024-03-12" and future.status == "ready" and future.accepted

    actions.post(f"{view}/commit", token_from=view)
    import_ = finish_jobs()
    assert import_.status is ImportStatus.COMMITTED, import_.error
    stolen = db.session.scalars(select(Weapon).where(Weapon.raw_serial == "D-1")).one()
    assert stolen.status.value == "stolen" and str(stolen.event_date) == "2024-03-12"
    assert stolen.manufacture_country_code == "IT"


def test_the_commit_button_counts_its_rows_in_the_readers_language(app, world, reference, client, login_as):
    from registry.auth.service import set_language

    officer = world["ML"].user("officer")
    actions = login_as(officer)
    upload(actions, workbook([["Marque", "Modèle", "N° de série"], ["Beretta", "92", "CB-1"]]))
    import_ = finish_jobs()
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "écrire 1 ligne acceptée comme fiche" in page
    set_language(officer, "en")
    db.session.commit()
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "write 1 accepted row as a record" in page
    upload(actions, workbook([["Marque", "Modèle", "N° de série"], ["Beretta", "92", "CB-2"], ["Glock", "17", "CB-3"]]),
           name="deux.xlsx")
    import_ = finish_jobs()
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "write 2 accepted rows as records" in page


def test_each_row_of_the_review_has_one_form_whose_first_button_fixes(app, world, reference, client, login_as):
    # On slow connections the review page's weight is its rows: one form (and one CSRF
    # token) a row, not one per action. Enter in the value box presses the first button.
    import re

    actions = login_as(world["ML"].user("officer"))
    upload(actions, workbook([["Marque", "Modèle", "N° de série"]]
                             + [["Zorglub", f"XR-{number}", f"ZR-{number}"] for number in range(30)]))
    import_ = finish_jobs()
    page = client.get(f"/imports/{import_.id}?status=needs_review").get_data(as_text=True)
    row_form = rf'<form method="post" action="/imports/{import_.id}/rows/\d+"[^>]*>(.*?)</form>'
    forms = re.findall(row_form, page, re.S)
    assert len(forms) == page.count('<tr id="row-') == 30
    assert all(re.search(r'<button name="action" value="(\w+)"', form).group(1) == "fix" for form in forms)
    assert all('value="accept"' in form for form in forms) and any('value="pick"' in form for form in forms)
    assert page.count('name="csrf_token"') <= 30 + 6
