"""Every main page at phone width, and each checked by axe-core for WCAG 2.1 AA."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.flows import new_serial, record_weapon, trace_move

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def sample_pages(chromium, live_server, live_app):
    """Paths of a weapon, a hit, a trace and an import, made once for the pages below."""
    from tests.browser.conftest import Browser

    context = chromium.new_context(viewport=DESKTOP)
    browser = Browser(context.new_page(), live_server, live_app, "fr")
    browser.log_in("tracing_officer", "ML")
    serial = new_serial("SC")
    record_weapon(browser, status="Stolen", sharing="All states of the registry", serial=serial,
                  **{"Country of last legal import": "Niger"})
    weapon = browser.page.url.removeprefix(live_server)
    browser.page.get_by_role("link", name=browser.t("Start a trace")).click()
    browser.fill("Why the weapon is considered illicit", "Reported stolen from a depot.")
    browser.fill("Circumstances of recovery", "Depot inventory.")
    browser.fill("Information sought", "Any record of it.")
    browser.press("Save and send")
    trace = browser.page.url.removeprefix(live_server)
    trace_move(browser, "Withdraw")  # nothing waits for it; the page stays readable
    context.close()
    return {"weapon": weapon, "trace": trace,
            "search": f"/weapons/?q={serial}", "new_weapon": "/weapons/new"}


MAIN_PAGES = ("/", "/weapons/", "search", "new_weapon", "weapon", "/weapons/hits", "/tracing/inbox",
              "/tracing/outbox", "trace", "/imports/", "/notifications/", "/account", "/reference/identify",
              "/tracing/dashboard")


def _paths(sample_pages):
    return [sample_pages.get(name, name) for name in MAIN_PAGES]


@pytest.mark.parametrize("width", [360, 768])
def test_no_page_scrolls_sideways_on_a_phone_or_a_tablet(open_browser, sample_pages, width):
    browser = open_browser("fr", {"width": width, "height": 800})
    browser.log_in("tracing_officer", "ML")
    wide = []
    for path in _paths(sample_pages) + ["/weapons/new?status=x"]:
        browser.go(path)
        scroll = browser.page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide.append(f"{path}: {scroll} px")
    assert not wide, f"pages wider than {width} px: {wide}"


def test_tables_become_stacked_cards_with_their_column_names_on_a_phone(open_browser, sample_pages):
    browser = open_browser("en", {"width": 390, "height": 800})
    browser.log_in("tracing_officer", "ML")
    browser.go("/tracing/outbox")
    cell = browser.page.locator("table.table tbody td").first
    expect(cell).to_have_attribute("data-label", browser.t("Reference"))
    assert cell.evaluate("element => getComputedStyle(element).display") == "block"


def test_the_skip_link_leads_the_keyboard_to_the_content(open_browser):
    browser = open_browser("fr")
    browser.log_in("viewer", "ML")
    page = browser.go("/notifications/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=browser.t("Skip to the content"))
    expect(skip).to_be_focused()
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_axe_finds_no_serious_or_critical_violation_on_the_main_pages(open_browser, sample_pages, language):
    axe = Axe()
    browser = open_browser(language)
    found = {}
    page = browser.go("/login")
    pages = {"/login": axe.run(page, options=WCAG_AA)}
    browser.log_in("tracing_officer", "ML")
    # A form sent with errors, as axe must see error messages tied to their fields.
    browser.go("/weapons/new")
    browser.press("Save")
    pages["/weapons/new (errors)"] = axe.run(browser.page, options=WCAG_AA)
    for path in _paths(sample_pages):
        browser.go(path)
        pages[path] = axe.run(browser.page, options=WCAG_AA)
    print(f"\naxe-core {axe_version(browser.page)}, WCAG 2.1 A and AA, {language}:")
    for path, result in pages.items():
        impacts = {}
        for violation in result.response["violations"]:
            impacts[violation["impact"]] = impacts.get(violation["impact"], 0) + len(violation["nodes"])
            if violation["impact"] in SERIOUS:
                found.setdefault(path, []).append(
                    f"{violation['id']} ({violation['impact']}): "
                    + "; ".join(node["html"][:120] for node in violation["nodes"][:3]))
        figures = ", ".join(f"{count} {impact}" for impact, count in sorted(impacts.items())) or "none"
        print(f"  {path}: {figures}")
    assert not found, found
    # The same check sees a control without a label, when one is there.
    browser.page.evaluate("document.querySelector('main').append(document.createElement('select'))")
    control = axe.run(browser.page, options=WCAG_AA).response["violations"]
    assert any(violation["id"] == "select-name" for violation in control)


def axe_version(page) -> str:
    return page.evaluate("window.axe ? axe.version : '?'")


ARABIC_PAGES = ("/", "/weapons/", "new_weapon", "weapon", "/tracing/outbox", "trace", "/imports/", "/reports/")


def test_arabic_pages_read_right_to_left_on_a_phone_in_the_registrys_arabic_font(open_browser, sample_pages,
                                                                                 tmp_path):
    from tests.browser.conftest import PHONE

    browser = open_browser("ar", PHONE)
    browser.log_in("tracing_officer", "ML")
    for name in ARABIC_PAGES:
        page = browser.go(sample_pages.get(name, name))
        root = page.locator("html")
        expect(root).to_have_attribute("dir", "rtl")
        expect(root).to_have_attribute("lang", "ar")
        browser.no_sideways_scroll()
        # The page mirrors: the registry's name starts at the right edge, its text reads
        # from the right, and the Arabic is drawn in the font the registry serves.
        brand = page.locator(".brand").bounding_box()
        assert PHONE["width"] - (brand["x"] + brand["width"]) < 40, name
        assert page.locator("main").evaluate("element => getComputedStyle(element).direction") == "rtl"
        page.evaluate("document.fonts.ready")
        assert page.evaluate("""() => [...document.fonts].some(
            face => face.family.replace(/"/g, '') === 'Noto Sans Arabic' && face.status === 'loaded')"""), name
        page.screenshot(path=str(tmp_path / f"arabic-{name.strip('/').replace('/', '-') or 'home'}.png"),
                        full_page=True)
    expect(page.get_by_role("button", name=browser.t("Log out"))).to_have_text("تسجيل الخروج")
    print(f"\nArabic screens at {PHONE['width']} px: {tmp_path}")
