"""What every request goes through: language, login, deny-by-default, one commit at
the end, security headers and the error pages."""

from flask import Flask, g, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from registry.extensions import csrf, db, login_manager

# Endpoints reachable without logging in. Everything else needs a user.
# /metrics is for the scraper: keep it off the public proxy, or set REGISTRY_METRICS_TOKEN.
PUBLIC_ENDPOINTS = frozenset({"static", "auth.login", "auth.second_factor", "auth.enrol",
                              "auth.password_forgot", "auth.password_reset", "auth.invitation",
                              "main.healthz", "main.readyz", "main.metrics", "main.set_language"})

ERROR_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what you typed and try again.")),
    401: (_l("Login required"), _l("Please log in to continue.")),
    403: (_l("Not allowed"), _l("Your role does not allow this action.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("Too large"), _l("The file or form sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a minute and try again.")),
    500: (_l("Internal error"), _l("Something went wrong on our side. Nothing was saved; the error was logged.")),
}


def select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("language")
    if current_user and getattr(current_user, "is_authenticated", False):
        chosen = current_user.language
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Times are shown in the time zone of the user's state (Africa/Bamako...), else UTC."""
    if current_user and getattr(current_user, "is_authenticated", False):
        zone = getattr(current_user.agency.country, "time_zone", None)
        if zone:
            return zone
    return "UTC"


def wants_json() -> bool:
    return request.path.startswith("/api/")


class PageSessionInterface(SecureCookieSessionInterface):
    """The session cookie is sent again (its lifetime renewed) on pages only. A script's
    request (the record form's live identification asks as the user types) sends it back
    only when it changed: a late answer would otherwise put back the cookie it read
    before a save, and erase the save's message."""

    def should_set_cookie(self, app: Flask, session) -> bool:
        if session.modified:
            return True
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = PageSessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.needs_refresh_message = _l("Your session has expired: please log in again.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        from registry.auth.models import User

        identifier, _sep, version = user_id.partition(":")
        if not identifier.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(identifier))
        if user is None or user.session_version != int(version) or not user.is_active:
            return None
        from registry.auth.sessions import find_session

        # The signed cookie alone is not enough: its session must still be open in the
        # database, so a cookie copied before logout is refused after it.
        user_session = find_session(session.get("sid"), user.id)
        if user_session is None:
            return None
        g.user_session = user_session
        return user

    @login_manager.request_loader
    def load_user_from_token(request_):
        # The JSON API also takes `Authorization: Bearer <token>`; pages never do.
        header = request_.headers.get("Authorization", "")
        if not request_.path.startswith("/api/") or not header.startswith("Bearer "):
            return None
        from registry.auth.service import find_api_token

        token, refusal = find_api_token(header.removeprefix("Bearer ").strip())
        if token is None:
            g.api_token_refusal = refusal
            return None
        g.api_token_auth = True
        g.api_token = token
        return token.user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        if wants_json():
            from registry.api.framework import problem

            refusal = g.get("api_token_refusal")
            if refusal:
                _audit_token_refusal(refusal)
            return problem(401, TOKEN_REFUSALS.get(refusal, _l("Please log in to continue.")),
                           kind=f"token-{refusal}" if refusal else "login-required")
        if session.get("_had_login"):
            flash(_("Your session has expired: please log in again."), "warning")
            session.pop("_had_login", None)
        else:
            flash(_("Please log in to continue."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))

    @app.before_request
    def fresh_request_state():
        # A request never inherits another one's user, CSRF token or counts: in tests,
        # requests run inside the test's application context and would share `g`.
        for key in list(g):
            g.pop(key)
        from registry.observability import start_request

        start_request()

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            if request.endpoint is not None and request.endpoint != "static":
                csrf.protect()
            return None
        if request.blueprint == "api" and request.endpoint in app.config.get("API_PUBLIC", ()):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        # CSRF is checked here rather than by default so that a bearer-token API call,
        # which no browser sends on its own, is exempt, while the API used from a page
        # with the session cookie is not (send the token in the X-CSRFToken header).
        if not g.get("api_token_auth"):
            csrf.protect()
        return None

    @app.after_request
    def finish(response):
        # One commit per request, after the work succeeded; nothing half-written otherwise.
        if response.status_code >= 500:
            db.session.rollback()
        else:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and getattr(current_user, "is_authenticated", False):
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()

    @app.template_filter("with_zone")
    def with_zone(moment) -> str:
        """A moment and the time zone it is shown in, where two states read it apart (a
        trace's due dates): "04/12/2026 15:00 (Africa/Bamako)"."""
        from flask_babel import format_datetime, get_timezone

        if moment is None:
            return "—"
        zone = get_timezone()
        return f"{format_datetime(moment)} ({getattr(zone, 'key', None) or getattr(zone, 'zone', zone)})"

    @app.template_filter("filesize")
    def filesize(size) -> str:
        """A file's size with the reader's decimal sign and unit: "37,3 Ko", "37.3 KB"."""
        from flask_babel import format_decimal

        size = int(size or 0)
        if size < 1024:
            return _("%(number)s bytes", number=format_decimal(size))
        if size < 1024 * 1024:
            return _("%(number)s KB", number=format_decimal(round(size / 1024, 1)))
        return _("%(number)s MB", number=format_decimal(round(size / 1024 / 1024, 1)))

    @app.template_filter("label")
    def label(text) -> str:
        """A label before its value, "Status:" in English, "Statut :" in French (a space
        before the colon, as French typography wants)."""
        return _("%(label)s:", label=text)

    @app.template_filter("monthformat")
    def monthformat(day) -> str:
        """A month as the reader names it: "mars 2024", "March 2024"."""
        from flask_babel import format_date

        return format_date(day, "LLLL y") if day else ""

    @app.template_filter("number")
    def number(value) -> str:
        """A count as the reader writes it: "12 345" in French, "12,345" in English."""
        from flask_babel import format_number

        return format_number(value)

    @app.context_processor
    def navigation_context():
        from flask_babel import get_locale

        from registry.i18n import reads_right_to_left

        locale = get_locale()
        # Arabic reads right to left: `dir` on <html> mirrors the page (the stylesheet
        # speaks of start and end, never of left and right).
        right_to_left = reads_right_to_left()
        return {"languages": app.config["LANGUAGES"], "main_navigation": main_navigation,
                "get_locale": get_locale,
                "page_language": locale.language if locale is not None else "fr",
                "page_direction": "rtl" if right_to_left else "ltr"}

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The form had expired or did not come from this site. Nothing was saved: please try again.")
        return _error_response(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            _audit_rate_limit()
        return _error_response(error.code or 500, error=error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _error_response(500)

    app.register_error_handler(InternalServerError, lambda error: _error_response(500))


def _navigation_counts() -> dict:
    """Counts shown in the navigation (unread notifications, traces waiting...).
    Features add their counters to `COUNTERS`."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    if "nav_counts" not in g:
        g.nav_counts = {name: counter(current_user) for name, counter in COUNTERS.items()}
    return g.nav_counts


COUNTERS: dict = {}

# The main navigation: (endpoint, label, permission needed or None, counter name or None).
# Features append their entries when their blueprint is registered.
NAVIGATION: list[tuple[str, object, object, str | None]] = [
    ("main.index", _l("Home"), None, None),
]
ADMIN_NAVIGATION: list[tuple[str, object, object, str | None]] = []


def main_navigation() -> list[dict]:
    from flask import url_for

    from registry.auth.roles import Permission

    entries = NAVIGATION + ADMIN_NAVIGATION + [
        ("auth.users", _l("Users"), Permission.MANAGE_AGENCY_USERS, None),
        ("auth.agencies", _l("Agencies"), Permission.MANAGE_AGENCIES, None),
        ("audit.events", _l("Audit log"), Permission.READ_AGENCY_AUDIT, None),
    ]
    counts = _navigation_counts()
    items = []
    for endpoint, label, permission, counter in entries:
        if permission is not None and not current_user.can(permission):
            continue
        items.append({
            "endpoint": endpoint, "url": url_for(endpoint), "label": label,
            "count": counts.get(counter) if counter else None,
            "active": request.endpoint == endpoint,
        })
    return items


TOKEN_REFUSALS = {
    "unknown": _l("This API token is not known: check it, or create one on your account page."),
    "revoked": _l("This API token was revoked: create a new one on your account page."),
    "expired": _l("This API token has expired: create a new one on your account page."),
    "inactive": _l("The account of this API token is deactivated."),
}


def _audit_token_refusal(refusal: str) -> None:
    from registry.audit.service import record

    try:
        record("api.refused", details={"reason": f"token_{refusal}", "path": request.path,
                                       "method": request.method})
        db.session.commit()
    except Exception:  # the refusal matters more than its log line
        db.session.rollback()


def _audit_rate_limit() -> None:
    from registry.audit.service import record

    try:
        record("http.rate_limited", details={"path": request.path, "method": request.method})
        db.session.commit()
    except Exception:  # the refusal matters more than its log line
        db.session.rollback()


def _error_response(code: int, message: str | None = None, error: HTTPException | None = None):
    title, default_message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[400])
    message = message or str(default_message)
    if wants_json():
        from registry.api.framework import problem, problem_for

        return problem_for(error, message) if error is not None else problem(code, message)
    return render_template("errors/error.html", code=code, title=title, message=message), code
