"""The map: a state's records by ISO 3166-2 region and by point, drawn on the server."""

import re
from html import unescape

from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.extensions import db
from tests.reports.helpers import mali_year, record

YEAR = "date_from=2024-01-01&date_to=2024-12-31"


def region_path(page: str, code: str) -> str:
    """The SVG element drawn for a region, found through the link it leads to."""
    found = re.search(r'<a href="[^"]*region=' + code + r'[^"]*"><(?:path|rect) ([^>]*)><title>([^<]*)</title>',
                      page)
    assert found, f"no shape for {code}"
    return found.group(1) + " " + found.group(2)


def test_the_map_of_mali_shades_its_regions_by_count_and_lists_them_in_french(world, reference, client,
                                                                                login_as):
    mali_year(world)
    record(world["ML"].user("officer"), raw_make="Beretta", raw_serial="B-PT", event_date="2024-08-08",
           event_region="Gao", latitude=16.27, longitude=-0.04)
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    response = client.get(f"/reports/map?{YEAR}")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="map"' in page
    # Three ways of typing Timbuktu are one region; Gao has two records, one with a point.
    assert "Tombouctou: 2 fiches" in region_path(page, "ML-6")
    assert ": 2 fiches" in region_path(page, "ML-7")
    assert 'fill="#f4f6f8"' in region_path(page, "ML-1")  # Kayes: no record, blank
    assert re.search(r'<circle cx="[\d.]+" cy="[\d.]+" r="[\d.]+"[^>]*><title>1 fiche à ce point</title>', page)
    # Ménaka has no boundary of its own on the base map: a square, said so in the table.
    assert "Ménaka" in page and "(carré)" in page
    assert "Nowhereland" in page  # matches no region: listed apart
    assert "Tillabéri" not in page  # Niger's record is not Mali's
    assert "<script" not in page.split("</main>")[0]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.map")).one()
    assert event.details["total"] == 6


def test_the_table_beside_the_map_counts_what_the_statistics_count(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    page = unescape(client.get(f"/reports/map?{YEAR}").get_data(as_text=True))
    rows = dict(re.findall(r'<td>(ML-[0-9A-Z]+)</td><td class="number">(\d+)</td>', page))
    assert rows["ML-6"] == "2" and rows["ML-7"] == "1" and rows["ML-1"] == "0"
    statistics = unescape(client.get(f"/reports/?{YEAR}&region=ML-6").get_data(as_text=True))
    assert re.search(r'<strong class="figure">2</strong>', statistics)


def test_a_region_filter_and_bad_input_on_the_map(world, reference, client, login_as):
    mali_year(world)
    login_as(world["ML"].user("viewer"))
    page = unescape(client.get(f"/reports/map?{YEAR}&region=Timbuktu").get_data(as_text=True))
    assert re.search(r'<strong class="figure">2</strong>', page)
    nowhere = unescape(client.get(f"/reports/map?{YEAR}&region=Atlantis").get_data(as_text=True))
    assert "Aucune fiche de cet État ne nomme la région « Atlantis »." in nowhere
    niger = client.get("/reports/map?state=NE")
    assert niger.status_code == 400 and "votre propre État" in niger.get_data(as_text=True)
    backwards = client.get("/reports/map?date_from=2024-12-31&date_to=2024-01-01")
    assert backwards.status_code == 400


def test_the_platform_administrator_sees_every_state_on_one_map_in_english(world, reference, client, login_as,
                                                                           actions):
    mali_year(world)
    login_as(world["ML"].user("platform_admin"))
    actions.post("/language", {"language": "en"}, token_from="/account")
    page = unescape(client.get(f"/reports/map?{YEAR}&state=all").get_data(as_text=True))
    assert "Tombouctou: 2 records" in region_path(page, "ML-6")
    assert "Tillabéri: 1 record" in region_path(page, "NE-6")
    assert "Records by region" in page


def test_a_province_or_an_old_region_typed_counts_for_its_iso_region(world, reference, client, login_as):
    officer = world["BF"].user("officer")
    for region in ("Kadiogo", "Province du Kadiogo", "Centre", "Houet"):
        record(officer, raw_make="Beretta", raw_serial=f"BF-{region}", event_date="2024-03-03",
               event_region=region)
    db.session.commit()
    login_as(world["BF"].user("viewer"))
    page = unescape(client.get(f"/reports/map?{YEAR}").get_data(as_text=True))
    rows = dict(re.findall(r'<td>(BF-[0-9A-Z]+)</td><td class="number">(\d+)</td>', page))
    assert rows["BF-03"] == "3" and rows["BF-09"] == "1"  # Centre; Hauts-Bassins
    assert "Régions saisies qui ne correspondent" not in page
