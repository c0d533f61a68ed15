"""People and agencies: passwords, logins, accounts. Views, CLI and API call these."""

import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from registry.audit.service import record
from registry.auth.models import (
    Agency,
    AgencyKind,
    AgencyPartner,
    ApiToken,
    Country,
    User,
    UserSession,
)
from registry.auth.roles import Permission, Role
from registry.auth.sessions import end_all_sessions
from registry.errors import DomainError, NotAllowed
from registry.extensions import db, utcnow

_hashers: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    """argon2 with the library's defaults, or lighter settings given in ARGON2_PARAMETERS
    (the tests use them). The dummy hash is verified when an e-mail is unknown, so that
    both answers take the same time."""
    parameters = current_app.config.get("ARGON2_PARAMETERS") or {}
    key = tuple(sorted(parameters.items()))
    if key not in _hashers:
        hasher = PasswordHasher(**parameters)
        _hashers[key] = (hasher, hasher.hash("not-a-real-password-for-timing"))
    return _hashers[key]

_COMMON_PASSWORDS: frozenset[str] | None = None
_LOOK_ALIKES = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e",
                              "$": "s", "5": "s", "7": "t"})


# The 10,000 most common passwords of a public corpus, then the words of the region.
COMMON_PASSWORD_FILES = ("common-passwords.txt", "common-passwords-fr.txt")


def common_passwords() -> frozenset[str]:
    """The lists shipped in registry/auth/data/ (COMMON_PASSWORD_FILES), read once a process."""
    global _COMMON_PASSWORDS
    if _COMMON_PASSWORDS is None:
        folder = Path(__file__).parent / "data"
        _COMMON_PASSWORDS = frozenset(
            line.strip().lower()
            for name in COMMON_PASSWORD_FILES
            for line in (folder / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#"))
    return _COMMON_PASSWORDS


def is_common_password(password: str) -> bool:
    """One of the common passwords, or a common word with digits and symbols around it
    ("Motdepasse2026!", "P@ssw0rd-1234")."""
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if core in common:
        return True
    # Read the look-alikes only inside the word, after its digits and symbols are trimmed.
    trimmed = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", re.sub(r"[\d!@$]+$", "", lowered))
    return trimmed.translate(_LOOK_ALIKES) in common or lowered.translate(_LOOK_ALIKES) in common


def password_problems(password: str, min_length: int | None = None) -> list:
    """What is wrong with a new password, as messages for the user (empty if nothing)."""
    if min_length is None:
        min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < min_length:
        problems.append(_l("The password must have at least %(count)d characters.", count=min_length))
    if len(password) > 256:
        problems.append(_l("The password must have at most 256 characters."))
    kinds = sum(
        bool(re.search(pattern, password))
        for pattern in (r"[a-zà-ÿ]", r"[A-ZÀ-Þ]", r"\d", r"[^\w\s]|_")
    )
    if kinds < 3:
        problems.append(
            _l("Use at least three of: lower-case letters, capitals, digits, symbols.")
        )
    if is_common_password(password):
        problems.append(_l("This password is too easy to guess: it is one of the most common "
                           "passwords, or made of one with digits or symbols around it. "
                           "Choose another."))
    elif len(set(password)) < 5:
        problems.append(_l("This password is too easy to guess."))
    return problems


def hash_password(password: str) -> str:
    return _hasher_and_dummy()[0].hash(password)


class LoginRefused(DomainError):
    pass


def authenticate(email: str, password: str, remote_address: str | None = None) -> User:
    """The user whose e-mail and password these are, or LoginRefused. Every attempt is
    audited; repeated failures lock the account for a while (logged as a lockout, and
    told to the agency's administrators). Unknown, locked, deactivated and wrong give one
    message after the same work (a password hash verified), so that nobody learns from
    the answer whether an account exists."""
    config = current_app.config
    hasher, dummy_hash = _hasher_and_dummy()
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    refused = LoginRefused(_l("Wrong e-mail or password."))
    try:
        hasher.verify(user.password_hash if user is not None else dummy_hash, password or "")
        password_right = user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        password_right = False
    if user is None:
        record("auth.login_failed", details={"email": email[:254], "reason": "unknown user"},
               remote_address=remote_address)
        db.session.commit()
        raise refused
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        record("auth.login_refused_locked", "user", user.id, user=user, remote_address=remote_address)
        db.session.commit()
        raise refused
    if not password_right:
        user.failed_logins += 1
        details = {"email": email, "reason": "wrong password", "failures": user.failed_logins}
        record("auth.login_failed", "user", user.id, details, user=user, remote_address=remote_address)
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            _lock(user, now, remote_address)
        db.session.commit()
        raise refused
    if not user.is_active:
        record("auth.login_failed", "user", user.id, {"reason": "inactive"}, user=user,
               remote_address=remote_address)
        db.session.commit()
        raise refused
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def complete_login(user: User, remote_address: str | None = None, second_factor: str | None = None) -> None:
    """The password (and the second factor, when the user has one) were right: the login
    is recorded and the failure count starts again."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record("auth.login", "user", user.id, {"second_factor": second_factor} if second_factor else None,
           user=user, remote_address=remote_address)


def register_failure(user: User, now, remote_address: str | None) -> None:
    """Count a failed login step (a wrong second-factor code); lock after too many."""
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        _lock(user, now, remote_address)


def _lock(user: User, now, remote_address: str | None) -> None:
    """Lock the account for a while, audit it and tell the administrators of its agency."""
    from registry.notifications.service import notify

    minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
    user.locked_until = now + timedelta(minutes=minutes)
    user.failed_logins = 0
    record("auth.lockout", "user", user.id, {"minutes": minutes}, user=user,
           remote_address=remote_address)
    administrators = db.session.scalars(select(User).where(
        User.agency_id == user.agency_id, User.role == Role.AGENCY_ADMIN, User.active.is_(True),
        User.id != user.id))
    for administrator in administrators:
        notify(user_id=administrator.id, kind="auth.lockout",
               message=_l("The account %(email)s was locked for %(minutes)d minutes after "
                          "repeated failed logins."),
               params={"email": user.email, "minutes": minutes}, link=f"/admin/users/{user.id}")


def check_may_grant(actor: User, role: Role) -> None:
    """Refuse to give a role above the actor's own, or the platform admin's role, except
    to a platform admin."""
    if actor.can(Permission.MANAGE_ALL_USERS):
        return
    if role == Role.PLATFORM_ADMIN:
        raise NotAllowed(_l("Only a platform administrator may create another one."))
    if role.rank > actor.role.rank:
        raise NotAllowed(_l("You may not give a role above your own."))


def check_may_manage(actor: User, user: User) -> None:
    """Refuse unless the actor may change, deactivate or reset `user`: an administrator of
    its agency whose role is above the user's, or a platform admin."""
    if actor.can(Permission.MANAGE_ALL_USERS):
        return
    if not actor.can(Permission.MANAGE_AGENCY_USERS) or user.agency_id != actor.agency_id:
        raise NotAllowed(_l("You may not change users."))
    if user.role.rank >= actor.role.rank:
        raise NotAllowed(_l("You may not change a user whose role is equal to or above yours."))


def _check_platform_admin_remains(*, without_user: User | None = None,
                                  without_agency: Agency | None = None) -> None:
    """Refuse a change that would leave no active platform admin in an active agency."""
    statement = select(func.count(User.id)).join(User.agency).where(
        User.role == Role.PLATFORM_ADMIN, User.active.is_(True), Agency.active.is_(True))
    if without_user is not None:
        statement = statement.where(User.id != without_user.id)
    if without_agency is not None:
        statement = statement.where(Agency.id != without_agency.id)
    if not db.session.scalar(statement):
        raise DomainError(_l("The registry keeps at least one active platform administrator."))


def create_user(actor: User | None, *, email: str, name: str, agency: Agency, role: Role,
                password: str | None, language: str = "fr") -> User:
    """Create an account. Agency admins create users of their own agency only, with a
    role no higher than their own, and never platform admins; `actor=None` is the
    command line."""
    if actor is not None:
        if not actor.can(Permission.MANAGE_AGENCY_USERS):
            raise NotAllowed(_l("You may not create users."))
        if not actor.can(Permission.MANAGE_ALL_USERS) and agency.id != actor.agency_id:
            raise NotAllowed(_l("You may only create users of your own agency."))
        check_may_grant(actor, role)
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise DomainError(_l("A user with this e-mail already exists."), field="email")
    if password is None:
        # An invited user chooses its password through the e-mailed link; until then no
        # password opens the account (a random one nobody knows).
        password_hash = hash_password(secrets.token_urlsafe(32))
    else:
        problems = password_problems(password)
        if problems:
            raise DomainError(problems[0], field="password")
        password_hash = hash_password(password)
    user = User(email=email, name=name.strip(), agency=agency, role=role,
                language=language if language in current_app.config["LANGUAGES"] else "fr",
                password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id,
           {"email": email, "role": role.value, "agency": agency.code}, user=actor,
           agency_id=actor.agency_id if actor else agency.id)
    return user


def update_user(actor: User, user: User, *, name: str, role: Role, active: bool) -> User:
    """Change another user's name, role or active flag: an administrator whose role is
    above the user's (or a platform admin); the last active platform admin stays."""
    if user.id == actor.id and (not active or role != actor.role):
        raise DomainError(_l("You cannot deactivate yourself or change your own role."))
    if user.id != actor.id:
        check_may_manage(actor, user)
    if role != user.role:
        check_may_grant(actor, role)
    if user.role == Role.PLATFORM_ADMIN and user.active and (role != user.role or not active):
        _check_platform_admin_remains(without_user=user)
    changes = {}
    for field, value in (("name", name.strip()), ("role", role), ("active", active)):
        old = getattr(user, field)
        if old != value:
            changes[field] = [str(getattr(old, "value", old)), str(getattr(value, "value", value))]
            setattr(user, field, value)
    if "active" in changes or "role" in changes:
        user.session_version += 1
        end_all_sessions(user, "deactivated" if "active" in changes else "role_change", actor=actor)
    if changes:
        record("user.update", "user", user.id, changes, user=actor)
    return user


def change_password(user: User, current_password: str, new_password: str,
                    keep: UserSession | None = None) -> None:
    """The user changes its own password; its other sessions (all but `keep`) end."""
    hasher = _hasher_and_dummy()[0]
    try:
        hasher.verify(user.password_hash, current_password or "")
    except (VerificationError, InvalidHashError):
        raise DomainError(_l("Your current password is not right."), field="current_password") from None
    problems = password_problems(new_password)
    if problems:
        raise DomainError(problems[0], field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record("user.password_change", "user", user.id, user=user)
    end_all_sessions(user, "password_change", keep=keep, actor=user)


def set_language(user: User, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Unknown language."))
    if user.language != language:
        user.language = language
        record("user.language", "user", user.id, {"language": language}, user=user)


def set_time_zone(actor: User | None, country: Country, time_zone: str) -> Country:
    """The time zone a state's agencies read times in; an IANA name such as Africa/Bamako.
    A name the tz database does not know is refused."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    name = (time_zone or "").strip()
    try:
        if name not in available_timezones():
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(_l("“%(zone)s” is not a time zone: give its name in the tz database, "
                             "e.g. Africa/Bamako.", zone=name[:60]), field="time_zone") from None
    before = country.time_zone
    country.time_zone = name
    db.session.flush()
    record("country.time_zone", "country", None, {"country": country.code, "from": before, "to": name},
           user=actor)
    return country


def create_agency(actor: User | None, *, code: str, name: str, country: Country,
                  kind: AgencyKind, is_tracing_focal_point: bool = False,
                  partner_codes: list[str] | None = None) -> Agency:
    """Create an agency (platform admins, or the command line with actor=None)."""
    if actor is not None and not actor.can(Permission.MANAGE_AGENCIES):
        raise NotAllowed(_l("You may not manage agencies."))
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{1,31}", code):
        raise DomainError(_l("The code is 2 to 32 letters, digits, dashes or underscores."),
                          field="code")
    if db.session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise DomainError(_l("An agency with this code already exists."), field="code")
    agency = Agency(code=code, name=name.strip(), country=country, kind=kind,
                    is_tracing_focal_point=is_tracing_focal_point)
    agency.partners = [AgencyPartner(country_code=c) for c in sorted(set(partner_codes or []))
                       if c != country.code]
    db.session.add(agency)
    db.session.flush()
    record("agency.create", "agency", agency.id,
           {"code": code, "country": country.code, "kind": kind.value}, user=actor,
           agency_id=actor.agency_id if actor else agency.id)
    return agency


def update_agency(actor: User, agency: Agency, **fields) -> Agency:
    """Change an agency's name, kind, flags or partner states (platform admins)."""
    if not actor.can(Permission.MANAGE_AGENCIES):
        raise NotAllowed(_l("You may not manage agencies."))
    if agency.active and fields.get("active") is False:
        _check_platform_admin_remains(without_agency=agency)
    changes = {}
    partner_codes = fields.pop("partner_codes", None)
    for field, value in fields.items():
        old = getattr(agency, field)
        if old != value:
            changes[field] = [str(getattr(old, "value", old)), str(getattr(value, "value", value))]
            setattr(agency, field, value)
    if partner_codes is not None:
        new_codes = sorted(set(partner_codes) - {agency.country_code})
        if new_codes != agency.partner_country_codes:
            changes["partners"] = [agency.partner_country_codes, new_codes]
            agency.partners = [AgencyPartner(country_code=c) for c in new_codes]
    if changes:
        record("agency.update", "agency", agency.id, changes, user=actor)
    return agency


API_TOKEN_SCOPES = ("read", "write")
API_TOKEN_MAX_DAYS = 366


def create_api_token(user: User, name: str, scopes=("read", "write"),
                     days: int = 90) -> tuple[ApiToken, str]:
    """A new bearer token for the API, with its scopes ("read", "write") and valid for
    `days`; the plain token is returned once and never stored."""
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError(_l("Give the token a name, e.g. the script that will use it."), field="name")
    chosen = [scope for scope in API_TOKEN_SCOPES if scope in set(scopes or ())]
    if not chosen or len(chosen) != len(set(scopes)):
        raise DomainError(_l("Choose the token's scopes: read, or read and write."), field="scopes")
    if "write" in chosen and "read" not in chosen:
        chosen.insert(0, "read")  # what may change may also be read
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise DomainError(_l("A token is valid for 1 to %(days)d days.", days=API_TOKEN_MAX_DAYS),
                          field="days")
    plain = "rg_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=token_digest(plain), scopes=" ".join(chosen),
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record("api_token.create", "api_token", token.id,
           {"name": name, "scopes": chosen, "days": days}, user=user)
    return token, plain


def revoke_api_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.id and not user.can(Permission.MANAGE_AGENCY_USERS):
        raise NotAllowed(_l("You may not revoke this token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("api_token.revoke", "api_token", token.id, {"name": token.name}, user=user)


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def find_api_token(plain: str) -> tuple[ApiToken | None, str | None]:
    """The token a bearer secret stands for and None, or None and why it is refused:
    "unknown", "revoked", "expired" or "inactive" (its user was deactivated)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    if token is None:
        return None, "unknown"
    if token.revoked_at is not None:
        return None, "revoked"
    now = utcnow()
    if token.is_expired(now):
        return None, "expired"
    if not token.user.is_active:
        return None, "inactive"
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        token.last_used_at = now
    return token, None


def user_for_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    token, _refusal = find_api_token(plain)
    return token.user if token else None
