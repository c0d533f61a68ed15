"""A trace is started from where the officer stands: the weapon record and the hit page."""

import re

from registry.extensions import db
from registry.weapons.models import Hit, Weapon


def _trace_link(page: str) -> str | None:
    match = re.search(r'href="(/tracing/new\?[^"]+)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def test_tracing_officer_starts_a_trace_from_a_shared_weapon_record(world, client, login_as):
    login_as(world["ML"].user("tracing_officer"))
    weapon = db.session.get(Weapon, world.ne_shared_weapon_id)
    page = client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    link = _trace_link(page)
    assert link == f"/tracing/new?weapon={weapon.id}"
    assert "Lancer un traçage" in page
    form = client.get(link).get_data(as_text=True)
    assert weapon.reference in form


def test_viewer_sees_no_trace_link_on_a_weapon_record(world, client, login_as):
    login_as(world["ML"].user("viewer"))
    page = client.get(f"/weapons/{world.ne_shared_weapon_id}").get_data(as_text=True)
    assert "SHARED-NE-1" in page
    assert _trace_link(page) is None and "Lancer un traçage" not in page


def test_tracing_officer_starts_a_trace_from_a_hit_addressed_to_the_other_state(world, client, login_as):
    login_as(world["BF"].user("tracing_officer"))
    hit = db.session.get(Hit, world.ne_hit_id)
    page = client.get(f"/weapons/hits/{hit.id}").get_data(as_text=True)
    link = _trace_link(page)
    assert link == f"/tracing/new?hit={hit.id}"
    form = client.get(link).get_data(as_text=True)
    assert hit.source_weapon.reference in form
    assert re.search(r'<option selected value="NE">|<option value="NE" selected>', form)


def test_viewer_sees_no_trace_link_on_a_hit(world, client, login_as):
    login_as(world["BF"].user("viewer"))
    page = client.get(f"/weapons/hits/{world.ne_hit_id}").get_data(as_text=True)
    assert "SHARED-NE-1" in page
    assert _trace_link(page) is None and "Lancer un traçage" not in page
