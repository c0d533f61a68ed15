"""A small world for every test: Mali, Niger and Burkina Faso, a national commission
each, a user of every role; and helpers so a test reads like a user's steps.

The suite runs on SQLite (a fresh file per run) and, when TEST_DATABASE_URL is set, on
that PostgreSQL server in a fresh database created for the run and dropped after it.
"""

import os
import re
from dataclasses import dataclass

import pytest

from registry import create_app
from registry.auth.models import Agency, AgencyKind, Country, User
from registry.auth.roles import Role
from registry.extensions import db
from tests.scratch import scratch_postgres

PASSWORD = "Correct-Horse-42"
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry-test.sqlite'}"
        return
    with scratch_postgres(server_url, prefix="registry_test") as url:
        yield url


def make_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "ARGON2_PARAMETERS": FAST_ARGON2,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "registry.test",
    }


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory):
    """The schema built by the real migrations, and the countries loaded, once a run."""
    from flask_migrate import upgrade

    from registry.auth.countries import load_countries

    app = create_app(make_config(database_url, tmp_path_factory.mktemp("setup")))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_countries()
        db.session.commit()
        db.engine.dispose()
    return database_url


KEPT_TABLES = {"country", "alembic_version"}


@pytest.fixture
def app(migrated_database, tmp_path):
    app = create_app(make_config(migrated_database, tmp_path))
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in KEPT_TABLES:
                    connection.execute(table.delete())
        db.engine.dispose()


@dataclass
class CountryWorld:
    agency: Agency
    users: dict  # role value -> User

    def user(self, role: str) -> User:
        return self.users[role]


class World:
    """Three states, each with a national commission and a user of every role."""

    def __init__(self):
        self.countries: dict[str, CountryWorld] = {}

    def __getitem__(self, country_code: str) -> CountryWorld:
        return self.countries[country_code]


# Recovery codes of the second factors the tests set up, by TOTP secret: the helper uses
# them when the codes of the current time window are used up.
RECOVERY_CODES: dict[str, list[str]] = {}


def unused_totp_code(user: User) -> str | None:
    """A real code of the user's authenticator, of a time step not used yet (a code is
    accepted once), or None when the three steps of the window are used."""
    import time

    import pyotp

    totp = pyotp.TOTP(user.totp_secret)
    current = int(time.time() // totp.interval)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is None or step > user.totp_last_step:
            return totp.generate_otp(step)
    return None


def enrol_second_factor(user: User) -> None:
    """Set up the user's second factor as the enrolment page does, with a real code."""
    import time

    import pyotp

    from registry.auth import two_factor

    secret = two_factor.new_secret()
    totp = pyotp.TOTP(secret)
    # The code of the previous step, so that the current and next ones remain for logins.
    code = totp.generate_otp(int(time.time() // totp.interval) - 1)
    RECOVERY_CODES[secret] = two_factor.enable(user, secret, code)


def build_world() -> World:
    from registry.auth import two_factor
    from registry.auth.service import create_agency, create_user

    world = World()
    for country_code, code in (("ML", "ML-CNLPAL"), ("NE", "NE-CNCCAI"), ("BF", "BF-CNCA")):
        agency = create_agency(None, code=code, name=f"Commission {country_code}",
                               country=db.session.get(Country, country_code),
                               kind=AgencyKind.NATIONAL_COMMISSION, is_tracing_focal_point=True)
        users = {}
        for role in Role:
            users[role.value] = create_user(
                None, email=f"{role.value}@{country_code.lower()}.test", name=f"{role.value} {country_code}",
                agency=agency, role=role, password=PASSWORD)
            if two_factor.is_required(users[role.value]):
                enrol_second_factor(users[role.value])
        world.countries[country_code] = CountryWorld(agency, users)
    from registry.auth.service import create_api_token

    token, world.foreign_token = create_api_token(world.countries["NE"].user("officer"), "niger script")
    world.foreign_token_id = token.id
    from registry.notifications.service import notify

    notification = notify(agency_id=world.countries["NE"].agency.id, kind="test",
                          message="A notification for Niger")
    db.session.flush()
    world.foreign_notification_id = notification.id
    from tests.weapons.world import add_weapons

    add_weapons(world)
    from tests.imports.world import add_imports

    add_imports(world)
    db.session.commit()
    return world


@pytest.fixture
def world(app):
    return build_world()


class Actions:
    """What a user does in a browser, in a test's words."""

    def __init__(self, client):
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, user_or_email, password: str = PASSWORD):
        """Log in with the password, then with the second factor when the page asks for
        it: a real code of the user's authenticator (set up on the way if the role
        requires it and it has none yet)."""
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        token = self.csrf_token("/login")
        response = self.client.post("/login", data={"email": email, "password": password,
                                                    "csrf_token": token})
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.endswith("/login/enrol"):
            # Set up on the way, then log in as the user will from now on, with a code.
            self.enrol_at_login()
            self.logout()
            return self.login(email, password)
        if response.status_code == 302 and location.endswith("/login/code"):
            return self.second_factor(email)
        return response

    def enrol_at_login(self):
        import time

        import pyotp

        page = self.client.get("/login/enrol").get_data(as_text=True)
        secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
        totp = pyotp.TOTP(secret)
        code = totp.generate_otp(int(time.time() // totp.interval) - 1)
        response = self.post("/login/enrol", {"code": code}, token_from="/login/enrol")
        RECOVERY_CODES[secret] = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>",
                                            response.get_data(as_text=True))
        return response

    def second_factor(self, email: str):
        from sqlalchemy import select

        db.session.expire_all()
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        code = unused_totp_code(user) or RECOVERY_CODES[user.totp_secret].pop()
        return self.post("/login/code", {"code": code}, token_from="/login/code")

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token("/account")})

    def post(self, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from or path))
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def actions(client):
    return Actions(client)


@pytest.fixture
def login_as(client, actions):
    """login_as(user): the test client is now that user's browser."""

    def login(user: User):
        response = actions.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return actions

    return login


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_jobs_queue(app):
    """The RQ queue on the test Redis (CI runs one on 127.0.0.1:6379), emptied before and
    after; the test is skipped, saying so, only when no Redis answers."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from registry import jobs

    try:
        Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except RedisConnectionError:
        pytest.skip(f"Redis unreachable at {TEST_REDIS_URL}")
    queue = jobs.queue(TEST_REDIS_URL)
    queue.empty()
    yield queue
    queue.empty()
