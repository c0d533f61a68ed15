"""notify(): tell a user or an agency, in the registry and by e-mail when a server is set.

E-mails leave only after the transaction that created the notification commits, so a
rolled-back action never sends one, and they leave from a background job: a page never
waits for the mail server, nor fails when it is down.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app
from flask_babel import LazyString, force_locale, gettext
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from registry.auth.models import User
from registry.extensions import db, utcnow
from registry.jobs import enqueue
from registry.notifications.models import Notification

log = logging.getLogger(__name__)
PENDING_MAIL = "registry_pending_mail"


def _message_id(message) -> str:
    # A lazy string from _l() keeps its English id: translated when shown, per reader.
    if isinstance(message, LazyString) and message._args:
        return str(message._args[0])
    return str(message)


def notify(agency_id: int | None = None, user_id: int | None = None, *, kind: str, message,
           params: dict | None = None, link: str | None = None) -> Notification:
    """Tell a user (user_id) or every user of an agency (agency_id).

    `message` is a translatable string (`_l("Hit on record %(reference)s")`) whose
    `params` fill it when shown; `link` is a path inside the registry.
    """
    if (agency_id is None) == (user_id is None):
        raise ValueError("notify() needs exactly one of agency_id and user_id")
    notification = Notification(user_id=user_id, agency_id=agency_id, kind=kind,
                                message=_message_id(message), params=dict(params or {}), link=link,
                                created_at=utcnow())
    db.session.add(notification)
    if current_app.config.get("MAIL_SERVER"):
        _queue_mail(notification)
    return notification


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            or_(Notification.user_id == user.id, Notification.agency_id == user.agency_id),
            Notification.read_at.is_(None),
        )
    ) or 0


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or the ones named)."""
    statement = update(Notification).where(
        or_(Notification.user_id == user.id, Notification.agency_id == user.agency_id),
        Notification.read_at.is_(None),
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    result = db.session.execute(statement.values(read_at=utcnow(), read_by_id=user.id)
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0


# --- e-mail ---------------------------------------------------------------------------


def _recipients(notification: Notification) -> list[User]:
    if notification.user_id is not None:
        user = db.session.get(User, notification.user_id)
        return [user] if user is not None and user.active else []
    return list(db.session.scalars(
        select(User).where(User.agency_id == notification.agency_id, User.active.is_(True))))


def _queue_mail(notification: Notification) -> None:
    base_url = current_app.config["BASE_URL"].rstrip("/")
    for user in _recipients(notification):
        with force_locale(user.language):
            text = notification.text
            subject = gettext("%(label)s:", label=gettext("Firearms tracing registry")) + " " + text[:120]
        body = text + ("\n\n" + base_url + notification.link if notification.link else "")
        db.session.info.setdefault(PENDING_MAIL, []).append((user.email, subject, body))


def send_mails(app, mails: list[tuple[str, str, str]]) -> int:
    """Send (recipient, subject, body) e-mails through one connection to the mail server
    (STARTTLS and login when set); returns how many the server took. A recipient the
    server refuses is logged and the others still go."""
    config = app.config
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            # Certificates checked against the system's authorities (or SSL_CERT_FILE).
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        for recipient, subject, body in mails:
            message = EmailMessage()
            message["From"] = config["MAIL_SENDER"]
            message["To"] = recipient
            message["Subject"] = subject
            message.set_content(body)
            try:
                smtp.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
                log.exception("The mail server refused a notification e-mail to %s", recipient)
                continue
            sent += 1
    return sent


@event.listens_for(Session, "before_commit")
def _send_pending_mail(session: Session) -> None:
    mails = session.info.pop(PENDING_MAIL, None)
    if mails:
        enqueue("notifications.send", session=session, mails=mails)


@event.listens_for(Session, "after_rollback")
def _drop_pending_mail(session: Session) -> None:
    session.info.pop(PENDING_MAIL, None)
