"""Settings: defaults that work on a laptop, overridden by instance/config.py and by
environment variables (one name each, listed in the README)."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("REGISTRY_INSTANCE_PATH", PROJECT_ROOT / "instance"))

# Environment variable -> setting name. Each setting has exactly one variable.
ENVIRONMENT_VARIABLES = {
    "REGISTRY_ENV": "REGISTRY_ENV",
    "REGISTRY_SECRET_KEY": "SECRET_KEY",
    "REGISTRY_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REGISTRY_REDIS_URL": "REDIS_URL",
    "REGISTRY_UPLOAD_FOLDER": "UPLOAD_FOLDER",
    "REGISTRY_MAIL_SERVER": "MAIL_SERVER",
    "REGISTRY_MAIL_PORT": "MAIL_PORT",
    "REGISTRY_MAIL_SENDER": "MAIL_SENDER",
    "REGISTRY_MAIL_USE_TLS": "MAIL_USE_TLS",
    "REGISTRY_MAIL_USERNAME": "MAIL_USERNAME",
    "REGISTRY_MAIL_PASSWORD": "MAIL_PASSWORD",
    "REGISTRY_MAX_UPLOAD_MB": "MAX_UPLOAD_MB",
    "REGISTRY_IMPORT_MAX_ROWS": "IMPORT_MAX_ROWS",
    "REGISTRY_IMPORT_COMMIT_CONNECTIONS": "IMPORT_COMMIT_CONNECTIONS",
    "REGISTRY_SESSION_HOURS": "SESSION_HOURS",
    "REGISTRY_BASE_URL": "BASE_URL",
    "REGISTRY_API_RATE_LIMIT": "API_RATE_LIMIT",
    "REGISTRY_LOG_FORMAT": "LOG_FORMAT",
    "REGISTRY_LOG_REQUESTS": "LOG_REQUESTS",
    "REGISTRY_METRICS_TOKEN": "METRICS_TOKEN",
}

INTEGER_SETTINGS = {"MAIL_PORT", "MAX_UPLOAD_MB", "IMPORT_MAX_ROWS", "IMPORT_COMMIT_CONNECTIONS", "SESSION_HOURS"}
BOOLEAN_SETTINGS = {"MAIL_USE_TLS", "LOG_REQUESTS"}
TRUE_WORDS = {"1", "true", "yes", "on"}


class ConfigurationError(RuntimeError):
    """The registry cannot start with the settings it was given."""


def default_settings() -> dict:
    return {
        "REGISTRY_ENV": "development",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE_PATH / 'registry.sqlite'}",
        "REDIS_URL": None,
        "UPLOAD_FOLDER": str(INSTANCE_PATH / "uploads"),
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_SENDER": "registry@localhost",
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAX_UPLOAD_MB": 20,
        "IMPORT_MAX_ROWS": 200_000,
        "IMPORT_COMMIT_CONNECTIONS": None,  # None: 2 on PostgreSQL, 1 on SQLite
        "SESSION_HOURS": 8,
        "BASE_URL": "http://127.0.0.1:5000",
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ("fr", "en", "ar"),
        "LOGIN_RATE_LIMIT": "10 per minute",
        # Each API token's own limit (limits' notation; empty: none).
        "API_RATE_LIMIT": "600 per minute",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_MINUTES": 15,
        "PASSWORD_MIN_LENGTH": 12,
        "WTF_CSRF_TIME_LIMIT": None,
        # CSRF is checked in registry/web.py, after the login check (see require_login).
        "WTF_CSRF_CHECK_DEFAULT": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # None: JSON lines and one line per request in production, readable text otherwise.
        "LOG_FORMAT": None,
        "LOG_REQUESTS": None,
        # When set, /metrics answers only `Authorization: Bearer <this>` (the scraper's).
        "METRICS_TOKEN": None,
    }


def load_settings(overrides: dict | None = None) -> dict:
    """Merge defaults, instance/config.py, the environment and explicit overrides."""
    settings = default_settings()
    instance_file = INSTANCE_PATH / "config.py"
    if instance_file.exists():
        namespace: dict = {}
        exec(compile(instance_file.read_text(), str(instance_file), "exec"), namespace)  # noqa: S102
        settings.update({k: v for k, v in namespace.items() if k.isupper()})
    for variable, name in ENVIRONMENT_VARIABLES.items():
        if variable in os.environ and os.environ[variable] != "":
            value = os.environ[variable]
            if name in INTEGER_SETTINGS:
                value = int(value)
            elif name in BOOLEAN_SETTINGS:
                value = value.strip().lower() in TRUE_WORDS
            settings[name] = value
    settings.update(overrides or {})
    settings["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024
    production = settings["REGISTRY_ENV"] == "production"
    if not settings.get("SECRET_KEY"):
        if production:
            raise ConfigurationError(
                "REGISTRY_SECRET_KEY is not set: the registry refuses to start in production "
                "without a secret key (generate one with: python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )
        settings["SECRET_KEY"] = _development_secret_key()
    settings["SESSION_COOKIE_SECURE"] = settings.get("SESSION_COOKIE_SECURE", production)
    if settings.get("LOG_FORMAT") not in ("json", "text"):
        settings["LOG_FORMAT"] = "json" if production else "text"
    if settings.get("LOG_REQUESTS") is None:
        settings["LOG_REQUESTS"] = production
    settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    return settings


def _development_secret_key() -> str:
    """A random key kept in instance/ so sessions survive a restart on a laptop."""
    import secrets

    key_file = INSTANCE_PATH / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
