"""The yearly report of a state (UNODC IAFQ tables, SDG 16.4.2, ITI figures), xlsx and PDF,
in French, English and Arabic: the same figures as the statistics pages."""

import io

from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.reports.iafq import category
from tests.reports.helpers import mali_year


def sheets(content: bytes) -> dict:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book}


def test_types_fall_into_the_questionnaire_categories():
    assert category("Assault rifle") == "rifles_carbines" and category("Revolver") == "revolvers_pistols"
    assert category("Submachine gun") == "sub_machine_guns" and category("Machine gun") == "machine_guns"
    assert category("Rocket launcher") == "light_weapons" and category("Shotgun") == "shotguns"
    assert category("Alarm pistol (blank-firing)") == "other" and category(None) == "other"


def test_iafq_command_writes_the_tables_of_the_year_in_english_and_a_pdf(app, world, reference, tmp_path):
    mali_year(world)
    out, pdf = tmp_path / "iafq.xlsx", tmp_path / "iafq.pdf"
    result = app.test_cli_runner().invoke(args=["reports", "iafq", "--country", "ML", "--year", "2024",
                                                "--out", str(out), "--pdf", str(pdf), "--language", "en"])
    assert result.exit_code == 0, result.output
    tables = sheets(out.read_bytes())
    by_type = {row[0]: row[1:] for row in tables["Type"][2:]}
    # seized, found, surrendered, total
    assert by_type["Rifles and carbines"] == [3, 0, 1, 4]
    assert by_type["Revolvers and pistols"] == [0, 1, 0, 1]
    assert by_type["Light weapons"] == [0, 0, 0, 0]
    by_make = {row[0]: row[-1] for row in tables["Make"][2:]}
    assert by_make == {"Kalashnikov": 3, "Beretta": 1, "Mosin-Nagant": 1}
    regions = {row[0]: row[-1] for row in tables["Region"][2:]}
    assert regions["Tombouctou"] == 2 and regions["Gao"] == 1
    sdg = {row[0]: row[1] for row in tables["SDG 16.4.2"][2:]}
    assert (sdg["Numerator"], sdg["Denominator"]) == (0, 4)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_yearly_report_page_gives_french_xlsx_and_is_audited(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    response = client.get("/reports/yearly.xlsx?year=2024&language=fr")
    assert response.status_code == 200
    tables = sheets(response.get_data())
    assert "Armes saisies" not in tables  # sheets named by their table
    by_type = {row[0]: row[1:] for row in tables["Type"][2:]}
    assert by_type["Fusils et carabines"] == [3, 0, 1, 4]
    assert client.get("/reports/yearly.pdf?year=2024&language=en").get_data().startswith(b"%PDF")
    formats = [event.details["format"] for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.iafq").order_by(AuditEvent.id))]
    assert formats == ["xlsx", "pdf"]


def test_a_year_that_is_not_one_or_another_state_gets_a_message(world, client, login_as):
    login_as(world["ML"].user("viewer"))
    bad = client.get("/reports/yearly.xlsx?year=deux-mille")
    assert bad.status_code == 400 and "Ce n'est pas une année" in bad.get_data(as_text=True).replace("&#39;", "'")
    assert client.get("/reports/yearly.pdf?year=2024&state=NE").status_code == 400


def test_the_yearly_report_in_arabic_names_its_tables_types_and_countries_in_arabic(world, reference, client,
                                                                                   login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    response = client.get("/reports/yearly.xlsx?year=2024&language=ar")
    assert response.status_code == 200
    tables = sheets(response.get_data())
    assert "النوع" in tables and "Type" not in tables
    by_type = {row[0]: row[1:] for row in tables["النوع"][2:]}
    assert by_type["البنادق والقربينات"] == [3, 0, 1, 4]
    by_country = {row[0]: row[-1] for row in tables["دولة الصنع"][2:]}
    assert by_country == {"غير مذكور": 4, "الاتّحاد الرّوسي": 1}
    pdf = client.get("/reports/yearly.pdf?year=2024&language=ar")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    assert client.get("/reports/yearly.pdf?year=2024&language=xx").status_code == 404
