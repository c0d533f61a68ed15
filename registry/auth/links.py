"""Password reset and invitations by e-mail, with single-use links that expire: one
hour for a reset, seven days for an invitation. Asking for a reset answers the same
whether or not the e-mail has an account; every step is audited."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from registry.audit.service import record
from registry.auth.models import AccountLink, Agency, User
from registry.auth.roles import Role
from registry.errors import DomainError
from registry.extensions import db, utcnow

RESET = "reset"
INVITATION = "invitation"
LIFETIMES = {RESET: timedelta(hours=1), INVITATION: timedelta(days=7)}
PATHS = {RESET: "/password/reset/", INVITATION: "/invitation/"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(user: User, purpose: str) -> str:
    # A new link replaces the user's earlier unused ones of the same purpose.
    db.session.execute(update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.purpose == purpose, AccountLink.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                               created_at=now, expires_at=now + LIFETIMES[purpose]))
    return token


def _send(user: User, subject, body, token: str, purpose: str) -> None:
    """Queue the e-mail; it leaves after the commit, from the background job."""
    from registry.notifications.service import PENDING_MAIL

    link = current_app.config["BASE_URL"].rstrip("/") + PATHS[purpose] + token
    with force_locale(user.language):
        subject_text = gettext("%(label)s:", label=gettext("Firearms tracing registry")) + " " + gettext(subject)
        body_text = gettext(body, name=user.name, link=link)
    db.session.info.setdefault(PENDING_MAIL, []).append((user.email, subject_text, body_text))


_RESET_SUBJECT = _l("choose a new password")
_RESET_BODY = _l("Hello %(name)s,\n\nSomeone (you, we hope) asked to choose a new password for "
                 "your account. Open this link within one hour:\n\n%(link)s\n\nIf you did not "
                 "ask for it, do nothing: your password stays as it is.")
_INVITATION_SUBJECT = _l("your account")
_INVITATION_BODY = _l("Hello %(name)s,\n\nAn account of the firearms tracing registry was made "
                      "for you. Choose your password within seven days with this link:\n\n"
                      "%(link)s")


def request_password_reset(email: str, remote_address: str | None = None) -> None:
    """Send a reset link if an active account has this e-mail. The caller answers the
    same in every case, so nobody learns whether the e-mail has an account."""
    email = (email or "").strip().lower()[:254]
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active:
        record("auth.password_reset_requested", details={"email": email, "sent": False},
               remote_address=remote_address)
        return
    token = _new_link(user, RESET)
    _send(user, _RESET_SUBJECT, _RESET_BODY, token, RESET)
    record("auth.password_reset_requested", "user", user.id, {"email": email, "sent": True},
           user=user, remote_address=remote_address)


def invite_user(actor: User | None, *, email: str, name: str, agency: Agency, role: Role,
                language: str = "fr") -> User:
    """Create an account without a password and e-mail its owner a link to choose one."""
    from registry.auth.service import create_user

    user = create_user(actor, email=email, name=name, agency=agency, role=role, password=None,
                       language=language)
    token = _new_link(user, INVITATION)
    _send(user, _INVITATION_SUBJECT, _INVITATION_BODY, token, INVITATION)
    record("user.invite", "user", user.id, {"email": user.email}, user=actor,
           agency_id=actor.agency_id if actor else agency.id)
    return user


def valid_link(token: str, purpose: str) -> AccountLink:
    """The unused, unexpired link of this token, or DomainError."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _digest(token or ""),
                                                       AccountLink.purpose == purpose))
    if link is None or link.used_at is not None or link.expires_at <= utcnow() or not link.user.is_active:
        raise DomainError(_l("This link has expired or was already used. Ask for a new one."))
    return link


def set_password_by_link(token: str, purpose: str, new_password: str,
                         remote_address: str | None = None) -> User:
    """Choose a password through a link: the link is spent, the user's other links and
    sessions end, and a lockout is lifted."""
    from registry.auth.service import hash_password, password_problems
    from registry.auth.sessions import end_all_sessions

    link = valid_link(token, purpose)
    problems = password_problems(new_password)
    if problems:
        raise DomainError(problems[0], field="new_password")
    user = link.user
    now = utcnow()
    link.used_at = now
    db.session.execute(update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    user.failed_logins, user.locked_until = 0, None
    end_all_sessions(user, "password_" + purpose, actor=user)
    record("auth.password_reset" if purpose == RESET else "auth.invitation_accepted", "user", user.id,
           user=user, remote_address=remote_address)
    return user
