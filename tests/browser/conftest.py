"""Browser tests: a real server of the registry on a free localhost port, driven by
Debian's chromium through Playwright, as a user of each state would use it.

The server runs in a thread of the test process on a database of its own (SQLite, or a
scratch PostgreSQL database when TEST_DATABASE_URL is set), built once a run by the real
migrations: Mali, Niger and Burkina Faso, a national commission each and a user of every
role. Tests share it, so each one writes serials of its own. When a test fails, the page
it was on is kept as a screenshot under tests/browser/screenshots/ (git-ignored).
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from playwright import sync_api
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db
from tests.conftest import FAST_ARGON2, PASSWORD
from tests.scratch import scratch_postgres

CHROMIUM = os.environ.get("REGISTRY_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The language buttons of every page's header, as base.html writes them.
LANGUAGE_BUTTONS = {"fr": "FR", "en": "EN", "ar": "عربي"}
STATES = (("ML", "ML-CNLPAL", "Commission nationale (Mali)"),
          ("NE", "NE-CNCCAI", "Commission nationale (Niger)"),
          ("BF", "BF-CNCA", "Commission nationale (Burkina Faso)"))



def email(role: str, country_code: str) -> str:
    return f"{role.replace('_', '.')}@{country_code.lower()}.browser.test"


# email -> TOTP secret of the users whose role requires a second factor.
SECOND_FACTORS: dict[str, str] = {}
_LAST_STEPS: dict[str, int] = {}


def totp_code(address: str) -> str:
    """A real code of the user's authenticator, of a time step not used yet (a code is
    accepted once): waits for the next step when the window's steps are used."""
    import time

    import pyotp

    totp = pyotp.TOTP(SECOND_FACTORS[address])
    while True:
        current = int(time.time() // totp.interval)
        for step in (current - 1, current, current + 1):
            if step > _LAST_STEPS.get(address, -1):
                _LAST_STEPS[address] = step
                return totp.generate_otp(step)
        time.sleep(1)


def _build_world() -> None:
    from flask_migrate import upgrade

    from registry.auth import two_factor
    from registry.auth.cli import INIT_STEPS
    from registry.auth.countries import load_countries
    from registry.auth.models import AgencyKind, Country
    from registry.auth.roles import Role
    from registry.auth.service import create_agency, create_user

    upgrade(directory=current_app.extensions["migrate"].directory)
    load_countries()
    db.session.commit()
    for step in INIT_STEPS:  # the starter reference table, as `flask registry init` loads it
        step()
        db.session.commit()
    for country_code, code, name in STATES:
        agency = create_agency(None, code=code, name=name, country=db.session.get(Country, country_code),
                               kind=AgencyKind.NATIONAL_COMMISSION, is_tracing_focal_point=True)
        for role in Role:
            user = create_user(None, email=email(role.value, country_code), name=f"{role.value} {country_code}",
                               agency=agency, role=role, password=PASSWORD)
            if two_factor.is_required(user):
                SECOND_FACTORS[user.email] = secret = two_factor.new_secret()
                _LAST_STEPS.pop(user.email, None)
                two_factor.enable(user, secret, totp_code(user.email))
    db.session.commit()


@pytest.fixture(scope="session")
def browser_database(tmp_path_factory):
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser') / 'registry-browser.sqlite'}"
        return
    with scratch_postgres(server_url, prefix="registry_browser") as url:
        yield url


@pytest.fixture(scope="session")
def live_app(browser_database, tmp_path_factory):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": browser_database,
        "SECRET_KEY": "browser-test-secret-key",
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("browser-uploads")),
        "ARGON2_PARAMETERS": FAST_ARGON2,
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": None,  # imports run in a thread of the server, as on a laptop
        "MAIL_SERVER": None,
    })
    with app.app_context():
        _build_world()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """The registry served on a free port of 127.0.0.1; its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is missing at {CHROMIUM}: scripts/setup installs Debian's package")
    if SCREENSHOTS.exists():  # an earlier run's failures would read as this run's
        shutil.rmtree(SCREENSHOTS)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for number, page in enumerate(getattr(item, "browser_pages", ())):
            SCREENSHOTS.mkdir(exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in item.name)
            name = f"{name}-{number}.png"
            try:
                page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
                report.sections.append(("screenshot", str(SCREENSHOTS / name)))
            except Exception as error:  # a closed page cannot be shot; the failure stands
                report.sections.append(("screenshot", f"none: {error}"))
    return report


class Browser:
    """One user's browser: a Playwright page, the registry's words in its language."""

    def __init__(self, page, base_url: str, app, language: str):
        self.page, self.base_url, self.app, self.language = page, base_url, app, language

    def t(self, text: str, **values) -> str:
        """`text` as the registry shows it in this browser's language."""
        with self.app.test_request_context(), force_locale(self.language):
            return gettext(text, **values)

    def tn(self, singular: str, plural: str, number: int, **values) -> str:
        with self.app.test_request_context(), force_locale(self.language):
            return ngettext(singular, plural, number, **values)

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def log_in(self, role: str, country_code: str):
        page = self.go("/login")
        page.get_by_role("button", name=LANGUAGE_BUTTONS[self.language], exact=True).click()
        page.get_by_label(self.t("E-mail")).fill(email(role, country_code))
        page.get_by_label(self.t("Password")).fill(PASSWORD)
        page.get_by_role("button", name=self.t("Log in")).click()
        address = email(role, country_code)
        if address in SECOND_FACTORS:
            # Supervisors and administrators give the code of their authenticator app.
            page.get_by_label(self.t("Code")).fill(totp_code(address))
            page.get_by_role("button", name=self.t("Log in")).click()
        sync_api.expect(page.locator("form[action='/logout']")).to_be_attached()
        # A user's own language wins over the login page's: set it, as a user would.
        page.get_by_role("button", name=LANGUAGE_BUTTONS[self.language], exact=True).click()
        sync_api.expect(page.get_by_role("button", name=self.t("Log out"))).to_be_visible()
        return page

    def fill(self, label: str, value: str):
        self.page.get_by_label(self.t(label), exact=True).fill(value)

    def choose(self, label: str, option: str):
        self.page.get_by_label(self.t(label), exact=True).select_option(label=self.t(option))

    def press(self, name: str):
        self.page.get_by_role("button", name=self.t(name), exact=True).first.click()

    def no_sideways_scroll(self):
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.evaluate("window.innerWidth")
        assert width <= viewport, f"{self.page.url} scrolls sideways: {width} px for {viewport}"


@pytest.fixture
def open_browser(request, chromium, live_server, live_app):
    """open_browser(language, viewport=DESKTOP): a fresh browser (its own cookies)."""
    contexts = []
    request.node.browser_pages = []

    def open_(language: str = "fr", viewport: dict = DESKTOP) -> Browser:
        context = chromium.new_context(viewport=viewport, locale=language)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        request.node.browser_pages.append(page)
        return Browser(page, live_server, live_app, language)

    yield open_
    for context in contexts:
        context.close()


