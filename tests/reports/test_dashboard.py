"""The home page of a user: its state's figures, each linking to the list it counts."""

import re
from html import unescape

from registry.extensions import db, utcnow
from tests.reports.helpers import record


def links(page: str) -> dict[str, str]:
    """Each link's number -> its address (the figures of the dashboard)."""
    return {unescape(href): text for href, text in re.findall(r'<a href="([^"]+)">(\d+)</a>', page)}


def test_the_home_page_counts_this_month_records_by_status_and_links_each_to_its_list(world, reference, client,
                                                                                        login_as):
    today = utcnow().date().isoformat()
    officer = world["ML"].user("officer")
    for serial in ("KA-1", "KA-2"):
        record(officer, raw_make="Kalashnikov", raw_serial=serial, event_date=today)
    record(officer, status="found", raw_make="Beretta", raw_serial="B-1", event_date=today)
    record(world["NE"].user("officer"), raw_make="Beretta", raw_serial="NE-1", event_date=today)
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    page = client.get("/").get_data(as_text=True)
    figures = links(page)
    month_start = utcnow().date().replace(day=1).isoformat()
    seized = f"/weapons/?country=ML&status=seized&date_from={month_start}&date_to={today}"
    assert figures[seized] == "2"
    assert figures[f"/weapons/?country=ML&status=found&date_from={month_start}&date_to={today}"] == "1"
    assert figures[f"/weapons/?country=ML&date_from={month_start}&date_to={today}"] == "3"
    # The list behind the link shows the records counted, and Niger's is not one of them.
    listed = client.get(seized).get_data(as_text=True)
    assert len(set(re.findall(r"ML-\d{4}-\d{6}", listed))) == 2
    assert "NE-1" not in page and "Saisie" in page  # French first


def test_the_home_page_shows_hits_traces_waiting_and_the_latest_records(world, reference, client, login_as):
    from tests.tracing.helpers import sent_trace

    weapon = record(world["ML"].user("officer"), raw_make="Beretta", raw_serial="B-77")
    db.session.commit()
    sent_trace(world["ML"].user("tracing_officer"), weapon, country="NE")
    login_as(world["ML"].user("tracing_officer"))
    page = client.get("/").get_data(as_text=True)
    figures = links(page)
    assert figures["/tracing/outbox?status=sent"] == "1"
    assert figures["/tracing/inbox?status=sent"] == "0"
    assert figures["/tracing/outbox?overdue=1"] == "0"
    assert "/weapons/hits?status=new" in figures
    assert weapon.reference in page
    assert figures["/imports/"] == "0"


def test_the_platform_administrator_home_page_counts_its_own_state_only(world, reference, client, login_as):
    today = utcnow().date().isoformat()
    record(world["NE"].user("officer"), raw_make="Beretta", raw_serial="NE-1", event_date=today)
    db.session.commit()
    login_as(world["ML"].user("platform_admin"))
    figures = links(client.get("/").get_data(as_text=True))
    month_start = utcnow().date().replace(day=1).isoformat()
    assert figures[f"/weapons/?country=ML&date_from={month_start}&date_to={today}"] == "0"


def test_the_open_hits_of_each_side_link_to_the_hits_of_that_side(world, reference, client, login_as):
    # Mali's seizure meets Burkina's stolen rifle (Mali's to confirm); Niger's seizure meets
    # Mali's stolen pistol (Mali's to answer).
    burkina_stolen = record(world["BF"].user("officer"), status="stolen", sharing="all", raw_make="Kalashnikov",
                            raw_serial="KX-10-2345")
    db.session.commit()
    record(world["ML"].user("officer"), raw_make="Kalashnikov", raw_serial="KX102345")
    mali_stolen = record(world["ML"].user("officer"), status="stolen", sharing="all", raw_make="Beretta",
                         raw_serial="BR-55-9911")
    db.session.commit()
    record(world["NE"].user("officer"), raw_make="Beretta", raw_serial="BR559911")
    db.session.commit()
    login_as(world["ML"].user("viewer"))
    figures = links(client.get("/").get_data(as_text=True))
    assert figures["/weapons/hits?status=new"] == "2"
    assert figures["/weapons/hits?status=new&side=searcher"] == "1"
    assert figures["/weapons/hits?status=new&side=owner"] == "1"
    to_confirm = client.get("/weapons/hits?status=new&side=searcher").get_data(as_text=True)
    assert burkina_stolen.reference in to_confirm and mali_stolen.reference not in to_confirm
    to_answer = client.get("/weapons/hits?status=new&side=owner").get_data(as_text=True)
    assert mali_stolen.reference in to_answer and burkina_stolen.reference not in to_answer
    assert "Nos fiches recherchées (à traiter)" in to_answer
