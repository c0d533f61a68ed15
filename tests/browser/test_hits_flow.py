"""A weapon stolen in Mali and seized in Niger: the record makes a hit that both sides see."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.flows import new_serial, record_weapon


@pytest.mark.parametrize("language,viewport", [("fr", DESKTOP), ("en", DESKTOP), ("fr", PHONE), ("ar", PHONE)],
                         ids=["fr", "en", "fr-phone", "ar-phone"])
def test_a_weapon_seized_in_niger_hits_the_one_mali_reported_stolen(open_browser, language, viewport):
    serial = new_serial("AK")
    mali = open_browser(language, viewport)
    mali.log_in("officer", "ML")
    stolen = record_weapon(mali, status="Stolen", sharing="All states of the registry", serial=serial)

    niger = open_browser(language, viewport)
    niger.log_in("officer", "NE")
    record_weapon(niger, status="Seized", serial=serial.lower())

    mali.go("/weapons/hits")
    row = mali.page.get_by_role("row").filter(has_text=stolen)
    expect(row).to_contain_text("NE-CNCCAI")
    row.get_by_role("link").first.click()
    expect(mali.page.get_by_role("heading", level=1)).to_contain_text(stolen)
    mali.press("Confirm: same weapon")
    expect(mali.page.locator(".flash-success")).to_have_text(mali.t("Hit confirmed: say below what became of the weapon."))
    # Confirmed, the owner updates its wanted record from the hit's page.
    mali.page.get_by_label(mali.t("The weapon is now")).select_option("seized")
    mali.press("Update the record")
    expect(mali.page.locator(".flash-success")).to_contain_text(stolen)
