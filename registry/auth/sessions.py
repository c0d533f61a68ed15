"""Server-side records of logged-in browsers: opened at login, checked on each request,
ended by logout, a new password, a role change, a deactivation or the user's own choice.

The cookie carries a random token; only its SHA-256 is stored. A session unused for
SESSION_HOURS ends (the idle timeout)."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from registry.audit.service import record
from registry.auth.models import User, UserSession
from registry.extensions import db, utcnow

# How often the last-seen time is written: not on every request.
TOUCH_SECONDS = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(hours=int(current_app.config["SESSION_HOURS"]))


def open_session(user: User, remote_address: str | None, user_agent: str | None) -> str:
    """Record a new session of `user` and return the token to put in its cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now,
                               last_seen_at=now, remote_address=(remote_address or "")[:64] or None,
                               user_agent=(user_agent or "")[:255] or None))
    db.session.flush()
    return token


def find_session(token: str | None, user_id: int) -> UserSession | None:
    """The open session this cookie token names for `user_id`, or None (unknown, ended,
    another user's, or idle too long: then it is ended now)."""
    if not token:
        return None
    found = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if found is None or found.user_id != user_id or found.ended_at is not None:
        return None
    now = utcnow()
    if now - found.last_seen_at > idle_limit():
        found.ended_at, found.ended_reason = now, "idle"
        return None
    if (now - found.last_seen_at).total_seconds() > TOUCH_SECONDS:
        found.last_seen_at = now
    return found


def end_session(user_session: UserSession, reason: str, actor: User | None = None) -> None:
    """End one session (its cookie is refused from the next request on), audited."""
    if user_session.ended_at is None:
        user_session.ended_at, user_session.ended_reason = utcnow(), reason
        record("auth.session_end", "user", user_session.user_id,
               {"session": user_session.id, "reason": reason}, user=actor)


def end_all_sessions(user: User, reason: str, keep: UserSession | None = None,
                     actor: User | None = None) -> int:
    """End every open session of `user` (but `keep`), in one statement; returns how many."""
    statement = update(UserSession).where(UserSession.user_id == user.id,
                                          UserSession.ended_at.is_(None))
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    ended = db.session.execute(statement.values(ended_at=utcnow(), ended_reason=reason)
                               .execution_options(synchronize_session=False)).rowcount
    if ended:
        record("auth.sessions_end", "user", user.id, {"count": ended, "reason": reason}, user=actor)
    return ended


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions still open, most recently seen first."""
    since = utcnow() - idle_limit()
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None),
                                  UserSession.last_seen_at > since)
        .order_by(UserSession.last_seen_at.desc())))


def device(user_agent: str | None) -> str:
    """A short name of the browser and system from its User-Agent, e.g. "Firefox, Windows"."""
    text = user_agent or ""
    browser = next((name for marker, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"),
        ("python", "Python")) if marker in text), None)
    system = next((name for marker, name in (
        ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("Linux", "Linux")) if marker in text), None)
    return ", ".join(part for part in (browser, system) if part) or (text[:40] or "?")
