"""Notification e-mails delivered to a real SMTP server (aiosmtpd on 127.0.0.1): after the
commit only, from a background job, in each reader's language, one connection for all of
a commit's e-mails, with STARTTLS and login when the server asks for them."""

import asyncio
import email
import socket
import ssl
import subprocess
import threading
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from registry import jobs
from registry.auth.service import set_language
from registry.extensions import db
from registry.weapons.models import Hit
from registry.weapons.service import create_weapon
from tests.conftest import TEST_REDIS_URL


class Mailbox:
    """What the SMTP server received: each message with the connection it came on."""

    def __init__(self):
        self.messages: list[tuple[int, email.message.EmailMessage]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((id(session), email.message_from_bytes(envelope.content, policy=default)))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for _session, message in self.messages if message["To"] == address]

    @property
    def connections(self) -> int:
        return len({session for session, _message in self.messages})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(app, mailbox: Mailbox, **options) -> Controller:
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return controller


@pytest.fixture
def mailbox(app):
    mailbox = Mailbox()
    controller = _start(app, mailbox)
    yield mailbox
    controller.stop()


def test_a_hit_emails_both_agencies_once_committed_each_reader_in_their_language(world, app, mailbox):
    burkina, mali = world["BF"], world["ML"]
    set_language(mali.user("viewer"), "en")
    set_language(mali.user("supervisor"), "ar")
    create_weapon(burkina.user("officer"), status="stolen", sharing="all", raw_serial="ML-55-7788",
                  raw_make="Glock")
    db.session.commit()
    seized = create_weapon(mali.user("officer"), status="seized", raw_serial="ML 55 7788", raw_make="glock")
    assert mailbox.messages == []  # nothing leaves before the commit
    db.session.commit()
    assert jobs.wait_all()
    hit = db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()

    for user in [*burkina.users.values(), *mali.users.values()]:
        [message] = mailbox.to(user.email)
        assert message["From"] == app.config["MAIL_SENDER"]
        assert message.get_content().rstrip().endswith(f"/weapons/hits/{hit.id}")
    french = mailbox.to(mali.user("officer").email)[0]
    english = mailbox.to(mali.user("viewer").email)[0]
    assert french["Subject"].startswith("Registre de traçage des armes à feu : ")
    assert english["Subject"].startswith("Firearms tracing registry: ")
    arabic = mailbox.to(mali.user("supervisor").email)[0]
    assert arabic["Subject"].startswith("سجل تتبع الأسلحة النارية: ") and "تطابق" in arabic.get_content()
    assert seized.reference in french.get_content() and seized.reference in english.get_content()
    assert mailbox.connections == 1


def test_a_rolled_back_hit_sends_no_email(world, mailbox):
    create_weapon(world["BF"].user("officer"), status="stolen", sharing="all", raw_serial="RB-102030",
                  raw_make="Beretta")
    db.session.commit()
    create_weapon(world["ML"].user("officer"), status="seized", raw_serial="RB 102030", raw_make="Beretta")
    db.session.rollback()
    db.session.commit()
    assert jobs.wait_all()
    assert mailbox.messages == []


# The test server takes a login without TLS (the registry's side is the same either way).
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_registry_logs_in_when_the_server_asks(world, app):
    mailbox = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        accepted = (auth_data.login, auth_data.password) == (b"registry", b"s3cret-relay")
        if accepted:
            mailbox.logins.append(auth_data.login.decode())
        return AuthResult(success=accepted)

    controller = _start(app, mailbox, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    try:
        app.config.update(MAIL_USERNAME="registry", MAIL_PASSWORD="s3cret-relay")
        from registry.notifications.service import notify

        notify(user_id=world["ML"].user("officer").id, kind="test", message="Relayed")
        db.session.commit()
        assert jobs.wait_all()
        assert mailbox.logins == ["registry"]
        assert [message["Subject"] for message in mailbox.to(world["ML"].user("officer").email)] == [
            "Registre de traçage des armes à feu : Relayed"]

        # A wrong password: the notification stays in the registry, nothing is delivered.
        app.config.update(MAIL_PASSWORD="wrong")
        notify(user_id=world["ML"].user("officer").id, kind="test", message="Refused")
        db.session.commit()
        assert jobs.wait_all()
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_starttls_is_used_and_the_certificate_checked(world, app, tmp_path, monkeypatch):
    key, certificate = tmp_path / "key.pem", tmp_path / "certificate.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    mailbox = Mailbox()
    controller = _start(app, mailbox, tls_context=context, require_starttls=True)
    try:
        from registry.notifications.service import notify

        app.config.update(MAIL_USE_TLS=True)
        # A certificate no authority vouches for is refused: nothing is sent in clear instead.
        notify(user_id=world["ML"].user("officer").id, kind="test", message="Untrusted")
        db.session.commit()
        assert jobs.wait_all()
        assert mailbox.messages == []

        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # as an operator trusts their relay
        notify(user_id=world["ML"].user("officer").id, kind="test", message="Encrypted")
        db.session.commit()
        assert jobs.wait_all()
        [message] = mailbox.to(world["ML"].user("officer").email)
        assert message["Subject"].endswith("Encrypted")
    finally:
        controller.stop()


def test_settings_for_the_mail_relay_come_from_the_environment(monkeypatch):
    from registry.config import load_settings

    monkeypatch.setenv("REGISTRY_MAIL_USE_TLS", "yes")
    monkeypatch.setenv("REGISTRY_MAIL_USERNAME", "registry")
    monkeypatch.setenv("REGISTRY_MAIL_PASSWORD", "s3cret-relay")
    settings = load_settings()
    assert settings["MAIL_USE_TLS"] is True
    assert (settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"]) == ("registry", "s3cret-relay")
    monkeypatch.setenv("REGISTRY_MAIL_USE_TLS", "0")
    assert load_settings()["MAIL_USE_TLS"] is False


def test_a_commit_does_not_wait_for_the_mail_server(world, app):
    # The server holds every message until told to go on: a commit that sent the e-mails
    # itself would not return before it did.
    release = threading.Event()

    class SlowMailbox(Mailbox):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 30)
            return await super().handle_DATA(server, session, envelope)

    mailbox = SlowMailbox()
    controller = _start(app, mailbox)
    try:
        from registry.notifications.service import notify

        notify(user_id=world["ML"].user("officer").id, kind="test", message="Later")
        db.session.commit()
        assert mailbox.messages == []
        release.set()
        assert jobs.wait_all()
        assert [message["Subject"] for message in mailbox.to(world["ML"].user("officer").email)] == [
            "Registre de traçage des armes à feu : Later"]
    finally:
        release.set()
        controller.stop()


def test_with_redis_the_emails_leave_from_the_worker(world, app, mailbox, redis_jobs_queue):
    from rq import SimpleWorker

    from registry.notifications.service import notify

    app.config["REDIS_URL"] = TEST_REDIS_URL
    try:
        notify(agency_id=world["NE"].agency.id, kind="test", message="Queued")
        db.session.commit()
        assert redis_jobs_queue.count == 1 and mailbox.messages == []
        SimpleWorker([redis_jobs_queue], connection=redis_jobs_queue.connection).work(burst=True)
    finally:
        app.config["REDIS_URL"] = None
    assert sorted(message["To"] for _session, message in mailbox.messages) == sorted(
        user.email for user in world["NE"].users.values())
