"""An import chooses the sharing of the records it writes and their status where the sheet
names none (national and seized unless told), on the upload form, the command line and
the API; the analysis and the commit use them."""

import io

from sqlalchemy import select

from registry.extensions import db
from registry.imports.models import Import, ImportRow, ImportStatus
from registry.weapons.models import Sharing, Weapon, WeaponStatus
from tests.imports.sheets import workbook, write
from tests.imports.test_pages import finish_jobs

HEADER = ["Marque", "Modèle", "N° de série", "Statut"]
ROWS = [
    ["Beretta", "92", "SH-1", None],  # no status: the import's default
    ["Glock", "17", "SH-2", "volée"],  # the sheet's own status
    ["Glock", "17", "SH-3", "à vérifier"],  # not understood: the default, for review
]


def records() -> dict[str, Weapon]:
    db.session.expire_all()
    return {weapon.raw_serial: weapon for weapon in db.session.scalars(
        select(Weapon).where(Weapon.import_row_id.is_not(None)))}


def test_the_upload_form_chooses_sharing_and_default_status(app, world, reference, client, login_as):
    actions = login_as(world["ML"].user("officer"))
    page = client.get("/imports/").get_data(as_text=True)
    assert "Partage des fiches" in page and 'name="default_status"' in page
    response = actions.post("/imports/upload", {"file": (io.BytesIO(workbook([HEADER, *ROWS])), "saisies.xlsx"),
                                                "sharing": "all", "default_status": "found"},
                            token_from="/imports/", content_type="multipart/form-data")
    assert response.status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    assert (import_.sharing, import_.default_status) == (Sharing.ALL, WeaponStatus.FOUND)
    rows = {row.values["raw_serial"]: row for row in db.session.scalars(
        select(ImportRow).where(ImportRow.import_id == import_.id))}
    assert [rows[serial].values["status"] for serial in ("SH-1", "SH-2", "SH-3")] == ["found", "stolen", "found"]
    assert rows["SH-3"].status == "needs_review"
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert "Tous les États du registre" in page
    assert "le statut par défaut de l&#39;import a été retenu" in page

    actions.post(f"/imports/{import_.id}/rows/{rows['SH-3'].id}", {"action": "accept"},
                 token_from=f"/imports/{import_.id}")
    actions.post(f"/imports/{import_.id}/commit", token_from=f"/imports/{import_.id}")
    import_ = finish_jobs()
    assert import_.status is ImportStatus.COMMITTED, import_.error
    written = records()
    assert {serial: (weapon.sharing, weapon.status) for serial, weapon in written.items()} == {
        "SH-1": (Sharing.ALL, WeaponStatus.FOUND), "SH-2": (Sharing.ALL, WeaponStatus.STOLEN),
        "SH-3": (Sharing.ALL, WeaponStatus.FOUND)}


def test_an_import_left_as_it_comes_writes_national_seized_records(app, world, reference, tmp_path):
    path = write(tmp_path, "saisies.xlsx", workbook([HEADER, *ROWS[:2]]))
    result = app.test_cli_runner().invoke(args=["imports", "run", str(path), "--agency", "ML-CNLPAL", "--commit"])
    assert result.exit_code == 0, result.output
    assert {serial: (weapon.sharing, weapon.status) for serial, weapon in records().items()} == {
        "SH-1": (Sharing.NATIONAL, WeaponStatus.SEIZED), "SH-2": (Sharing.NATIONAL, WeaponStatus.STOLEN)}


def test_the_command_line_chooses_sharing_and_default_status(app, world, reference, tmp_path):
    path = write(tmp_path, "saisies.xlsx", workbook([HEADER, *ROWS[:2]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["imports", "run", str(path), "--agency", "ML-CNLPAL", "--commit",
                                 "--sharing", "partners", "--status", "surrendered"])
    assert result.exit_code == 0, result.output
    assert {serial: (weapon.sharing, weapon.status) for serial, weapon in records().items()} == {
        "SH-1": (Sharing.PARTNERS, WeaponStatus.SURRENDERED), "SH-2": (Sharing.PARTNERS, WeaponStatus.STOLEN)}
    result = runner.invoke(args=["imports", "run", str(path), "--agency", "ML-CNLPAL", "--sharing", "world"])
    assert result.exit_code != 0 and "world" in result.output


def test_the_api_chooses_sharing_and_default_status_and_refuses_others(app, world, reference, client):
    from registry.auth.service import create_api_token

    _token, secret = create_api_token(world["ML"].user("officer"), "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(workbook([HEADER, *ROWS[:1]])), "saisies.xlsx"),
                                 "sharing": "partners", "default_status": "lost"})
    assert response.status_code == 202, response.get_json()
    data = response.get_json()
    assert (data["sharing"], data["default_status"]) == ("partners", "lost")
    finish_jobs()
    row = db.session.scalars(select(ImportRow).where(ImportRow.import_id == data["id"])).one()
    assert row.values["status"] == "lost"

    before = db.session.scalar(select(db.func.count()).select_from(Import))
    response = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(workbook([HEADER, *ROWS[:1]])), "saisies.xlsx"),
                                 "sharing": "everyone"})
    assert response.status_code == 400, response.get_json()
    assert "everyone" in response.get_json()["detail"] and "partners" in response.get_json()["detail"]
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Import)) == before
