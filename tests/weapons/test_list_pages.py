"""The list every user opens first: how many records matched, and pages that follow each
other by cursor (newest first), under the user's scope."""

import re

from registry.extensions import db
from registry.weapons import search as search_module
from registry.weapons.search import Criteria, search
from registry.weapons.service import create_weapon


def _record(user, count: int, **values) -> list:
    weapons = [create_weapon(user, status="seized", raw_serial=f"LP-{index:04d}", **values)
               for index in range(count)]
    db.session.commit()
    return weapons


def _count(page: str) -> int:
    found = re.search(r'class="count" role="status">(\d+) fiches? correspond', page)
    return int(found.group(1)) if found else 0


def test_list_says_how_many_records_the_user_may_see(world, client, login_as):
    login_as(world["ML"].user("viewer"))
    before = _count(client.get("/weapons/").get_data(as_text=True))
    before_burkina = _count(client.get("/weapons/", query_string={"country": "BF"}).get_data(as_text=True))
    mali = _record(world["ML"].user("officer"), 3)
    shared = _record(world["BF"].user("officer"), 2, sharing="all")
    _record(world["BF"].user("officer"), 4)  # national: Mali never sees nor counts them
    page = client.get("/weapons/").get_data(as_text=True)
    assert _count(page) == before + 5
    assert all(weapon.reference in page for weapon in mali + shared)
    page = client.get("/weapons/", query_string={"country": "BF"}).get_data(as_text=True)
    assert _count(page) == before_burkina + 2


def test_a_count_past_its_limit_says_more_than(world, client, login_as, monkeypatch):
    _record(world["ML"].user("officer"), 4)
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 3)
    login_as(world["ML"].user("viewer"))
    page = client.get("/weapons/").get_data(as_text=True)
    assert "Plus de 3 fiches correspondent" in page


def test_pages_newest_first_follow_each_other_by_cursor_and_come_back(world):
    officer = world["ML"].user("officer")
    weapons = _record(officer, 7, case_reference="PAGES")
    criteria = Criteria(case_reference="PAGES")
    newest_first = [weapon.reference for weapon in reversed(weapons)]
    seen, result, pages = [], search(officer, criteria, page_size=3), []
    while True:
        pages.append(result)
        seen += [weapon.reference for weapon in result.weapons]
        if not result.next_cursor:
            break
        result = search(officer, criteria, page=result.page + 1, page_size=3, after=result.next_cursor)
    assert seen == newest_first
    assert [page.page for page in pages] == [1, 2, 3] and not pages[-1].has_next
    back = search(officer, criteria, page=2, page_size=3, before=pages[-1].previous_cursor)
    assert [weapon.reference for weapon in back.weapons] == newest_first[3:6]
    first = search(officer, criteria, page=1, page_size=3, before=back.previous_cursor)
    assert [weapon.reference for weapon in first.weapons] == newest_first[:3]
    assert first.previous_cursor is None and first.count == 7


def test_pages_by_reference_ascending_follow_each_other_too(world):
    officer = world["ML"].user("officer")
    weapons = _record(officer, 5, case_reference="PAGES")
    criteria = Criteria(sort="reference", direction="asc", case_reference="PAGES")
    first = search(officer, criteria, page_size=2)
    second = search(officer, criteria, page=2, page_size=2, after=first.next_cursor)
    third = search(officer, criteria, page=3, page_size=2, after=second.next_cursor)
    shown = [weapon.reference for result in (first, second, third) for weapon in result.weapons]
    assert shown == sorted(weapon.reference for weapon in weapons) and third.next_cursor is None


def test_next_page_link_carries_a_cursor_and_a_bad_cursor_shows_the_first_page(world, client, login_as):
    weapons = _record(world["ML"].user("officer"), 52, case_reference="PAGES")
    login_as(world["ML"].user("viewer"))
    page = client.get("/weapons/", query_string={"case_reference": "PAGES"}).get_data(as_text=True)
    link = re.search(r'href="([^"]*after=[^"]*)" rel="next"', page).group(1).replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    assert weapons[1].reference in second and weapons[0].reference in second
    assert weapons[2].reference not in second and "Page 2" in second
    response = client.get("/weapons/", query_string={"case_reference": "PAGES", "after": "not-a-cursor~x"})
    assert response.status_code == 200 and weapons[51].reference in response.get_data(as_text=True)
