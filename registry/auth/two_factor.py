"""Second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app,
and ten single-use recovery codes.

Required for supervisors, agency administrators and platform administrators, offered to
everyone. A code is accepted once: the time step it belongs to is kept, and a code of
that step or an earlier one is refused as replayed. Wrong codes count as failed logins
(the same lockout), and every refusal is audited. The QR code is drawn here (segno, an
inline SVG): the secret never leaves the registry."""

import hashlib
import secrets
import time

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, select

from registry.audit.service import record
from registry.auth.models import RecoveryCode, User
from registry.auth.roles import Role
from registry.errors import DomainError
from registry.extensions import db, utcnow

ROLES_REQUIRING_SECOND_FACTOR = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN})
RECOVERY_CODE_COUNT = 10
ISSUER = "Registre armes"
# Codes of the step before and after the current one are accepted (clocks drift).
VALID_WINDOW = 1


class SecondFactorRefused(DomainError):
    pass


def is_required(user: User) -> bool:
    return user.role in ROLES_REQUIRING_SECOND_FACTOR


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as an inline SVG (no image service, no script)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"))


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hexadecimal characters, 40 bits
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(raw)))
    return codes


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is, within the accepted window, or None."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable(user: User, secret: str, code: str) -> list[str]:
    """Confirm enrolment with a first code from the app; returns the ten recovery codes
    (shown once). The user's other sessions end: its login has changed."""
    step = _matching_step(secret, code)
    if step is None:
        record("auth.second_factor_enrol_failed", "user", user.id, user=user)
        raise SecondFactorRefused(_l("This code is not right. Check the time of your phone and "
                                     "type the six digits the app shows now."), field="code")
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record("auth.second_factor_enabled", "user", user.id, user=user)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes by ten new ones (the old ones stop working)."""
    if not user.has_second_factor:
        raise DomainError(_l("Set up the second factor first."))
    codes = _new_recovery_codes(user)
    record("auth.recovery_codes_renewed", "user", user.id, user=user)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def check_code(user: User, code: str, remote_address: str | None = None) -> str:
    """Accept a TOTP code or an unused recovery code for `user`, or raise
    SecondFactorRefused. Returns "totp" or "recovery". A wrong or replayed code is
    audited and counts toward the lockout, as a wrong password does."""
    from registry.auth.service import register_failure

    refused = SecondFactorRefused(_l("This code is not right, or was already used."), field="code")
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        record("auth.login_refused_locked", "user", user.id, user=user, remote_address=remote_address)
        raise refused
    if not user.has_second_factor:
        raise refused
    cleaned = (code or "").strip()
    step = _matching_step(user.totp_secret, cleaned)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            record("auth.second_factor_replayed", "user", user.id, user=user,
                   remote_address=remote_address)
            register_failure(user, now, remote_address)
            raise refused
        user.totp_last_step = step
        return "totp"
    if len(cleaned.replace("-", "")) == 10:
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash == _recovery_digest(cleaned)))
        if recovery is not None:
            recovery.used_at = now
            record("auth.recovery_code_used", "user", user.id,
                   {"remaining": remaining_recovery_codes(user)}, user=user,
                   remote_address=remote_address)
            return "recovery"
    record("auth.second_factor_failed", "user", user.id, user=user, remote_address=remote_address)
    register_failure(user, now, remote_address)
    raise refused


def disable(user: User, code: str) -> None:
    """The user turns its second factor off, with a current code; refused for the roles
    that require it."""
    if is_required(user):
        raise DomainError(_l("Your role requires a second factor: it cannot be turned off."))
    check_code(user, code)
    _clear(user)
    record("auth.second_factor_disabled", "user", user.id, user=user)


def reset(actor: User, user: User) -> None:
    """An administrator removes a user's second factor (a lost phone): the user sets up a
    new one at its next login, and its sessions end. The role hierarchy applies."""
    from registry.auth.service import check_may_manage
    from registry.auth.sessions import end_all_sessions

    if actor.id == user.id:
        raise DomainError(_l("Ask another administrator to reset your own second factor."))
    check_may_manage(actor, user)
    _clear(user)
    user.session_version += 1
    end_all_sessions(user, "second_factor_reset", actor=actor)
    record("user.second_factor_reset", "user", user.id, {"email": user.email}, user=actor)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def pending_seconds() -> int:
    """How long the step between the password and the code may last."""
    return int(current_app.config.get("SECOND_FACTOR_SECONDS", 300))
