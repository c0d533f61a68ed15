"""Steps that several browser tests take, in a user's words."""

import itertools
import re
import time

from playwright.sync_api import expect

_numbers = itertools.count(1)


def new_serial(prefix: str) -> str:
    """A serial no other test of the run writes."""
    return f"{prefix}{int(time.time()) % 100000:05d}{next(_numbers):03d}"


def record_weapon(browser, *, status: str, serial: str, make: str = "Kalashnikov",
                  model: str = "AKM", calibre: str = "7.62x39mm", sharing: str | None = None,
                  **fields) -> str:
    """Record a weapon through the form; returns its public reference."""
    page = browser.go("/weapons/new")
    browser.choose("Status", status)
    if sharing:
        browser.choose("Sharing", sharing)
    browser.fill("Serial number", serial)
    browser.fill("Make", make)
    browser.fill("Model", model)
    browser.fill("Calibre", calibre)
    for label, value in fields.items():
        browser.fill(label, value)
    browser.press("Save")
    # The record's page (its flash may be lost to a late live-identification answer,
    # which carries the session cookie of before the save).
    expect(page).to_have_url(re.compile(r"/weapons/\d+$"))
    return page.locator("h1").inner_text().split("·")[0].strip()


def trace_move(browser, action: str, note: str | None = None, **fields):
    """Open the move `action` ("Acknowledge receipt"...) on a trace page and do it."""
    page = browser.page
    label = browser.t(action)
    move = page.locator("details.action").filter(
        has=page.locator("summary").get_by_text(label, exact=True))
    if move.get_attribute("open") is None:
        move.locator("summary").click()
    for field_label, value in fields.items():
        control = move.get_by_label(browser.t(field_label), exact=True)
        if control.evaluate("element => element.tagName") == "SELECT":
            control.select_option(label=browser.t(value))
        else:
            control.fill(value)
    if note is not None:
        move.get_by_label(browser.t("Note"), exact=False).fill(note)
    move.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".flash, #error-summary").first).to_be_visible()
