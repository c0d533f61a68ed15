"""What a tracing officer reads after starting a trace from the form."""

import re

from tests.tracing.conftest import ITI_CONTENT
from tests.tracing.helpers import sent_trace


def _start(browser, user, weapon, then):
    officer = browser(user)
    form = {"weapon": str(weapon.id), "requested_country_code": "NE", "requested_agency_id": "",
            "urgency": "normal", "then": then} | ITI_CONTENT
    response = officer.post("/tracing/new", form, token_from=f"/tracing/new?weapon={weapon.id}")
    assert response.status_code == 302
    return officer.client.get(response.location).get_data(as_text=True)


def test_a_request_sent_from_the_form_says_sent_and_keeps_withdrawal_folded(world, browser, rifle):
    page = _start(browser, world["ML"].user("tracing_officer"), rifle, "send")
    assert re.search(r"Demande de traçage TR-ML-\d{4}-\d{4} envoyée\.", page)
    assert "Statut :" in page and "Envoyée le :" in page  # French puts a space before a colon
    withdraw = re.search(r'<details class="action"( open)?>\s*<summary>Retirer', page)
    assert withdraw and not withdraw.group(1)


def test_a_draft_from_the_form_says_draft(world, browser, rifle):
    page = _start(browser, world["ML"].user("tracing_officer"), rifle, "draft")
    assert re.search(r"Demande de traçage TR-ML-\d{4}-\d{4} enregistrée comme brouillon\.", page)


def test_a_trace_shows_its_due_date_with_the_time_zone_it_is_read_in(app, world, ivory_coast, client, login_as, rifle):
    trace = sent_trace(world["ML"].user("tracing_officer"), rifle)
    login_as(world["ML"].user("tracing_officer"))
    page = client.get(f"/tracing/{trace.id}").get_data(as_text=True)
    assert "(Africa/Bamako)" in page
