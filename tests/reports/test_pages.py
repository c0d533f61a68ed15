"""The statistics page and its exports, as a user of Mali reads them."""

import csv
import io
import re
from html import unescape

from openpyxl import load_workbook
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from tests.reports.helpers import mali_year

YEAR = "date_from=2024-01-01&date_to=2024-12-31"


def test_the_statistics_page_shows_tables_and_charts_of_mali_in_french(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    response = client.get(f"/reports/?{YEAR}")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert re.search(r'<strong class="figure">5</strong>', page)
    assert "Saisie" in page and "Fusil d'assaut" in page and "Tombouctou" in page
    assert "Nowhereland" in page  # a region no subdivision matches is listed
    charts = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', page)
    assert len(charts) >= 6
    assert "<script" not in page.split("</main>")[0]  # the charts need no script
    assert "NE-B-1" not in page


def test_the_page_reads_in_english_too(world, reference, client, login_as, actions):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    actions.post("/language", {"language": "en"}, token_from="/account")
    page = client.get(f"/reports/?{YEAR}").get_data(as_text=True)
    assert "Seized" in page and "Assault rifle" in page and "SDG indicator 16.4.2" in page


def test_bad_input_gets_a_message_and_never_another_state_figures(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    backwards = client.get("/reports/?date_from=2024-12-31&date_to=2024-01-01")
    assert backwards.status_code == 400
    assert "La période se termine avant de commencer." in backwards.get_data(as_text=True)
    niger = client.get("/reports/?state=NE")
    assert niger.status_code == 400
    assert "votre propre État" in niger.get_data(as_text=True)
    nowhere = client.get(f"/reports/?{YEAR}&region=Atlantis").get_data(as_text=True)
    assert "Aucune fiche de cet État ne nomme la région « Atlantis »." in nowhere
    empty = client.get("/reports/?date_from=2019-01-01&date_to=2019-12-31").get_data(as_text=True)
    assert "Aucune fiche ne correspond" in empty


def test_each_table_exports_to_csv_and_xlsx_and_the_export_is_audited(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    response = client.get(f"/reports/export/make.csv?{YEAR}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Marque", "Fiches"]
    assert ["Kalashnikov", "3", "60.0"] in rows
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/export/status.xlsx?{YEAR}").get_data()))
    values = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert ["Saisie", 3, 60.0] in values
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.export").order_by(AuditEvent.id)).all()
    assert [(event.details["table"], event.details["format"]) for event in events] == [
        ("make", "csv"), ("status", "xlsx")]


def test_the_platform_administrator_sees_the_states_side_by_side(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("platform_admin"))
    page = client.get(f"/reports/?{YEAR}&state=all").get_data(as_text=True)
    assert "États côte à côte" in page
    assert "Niger" in page and "Mali" in page


def test_the_page_reads_in_arabic_with_types_and_countries_named_in_arabic(world, reference, client, login_as,
                                                                          actions):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    actions.post("/language", {"language": "ar"}, token_from="/account")
    page = unescape(client.get(f"/reports/?{YEAR}").get_data(as_text=True))
    assert '<html lang="ar" dir="rtl">' in page
    assert "الإحصاءات · مالي" in page and "مضبوط" in page and "بندقية هجومية" in page
    assert "الاتّحاد الرّوسي" in page  # country of manufacture
    assert "Fusil d'assaut" not in page and "Assault rifle" not in page and "Saisie" not in page
