"""The firearms tracing registry: create_app() builds the Flask application."""

from datetime import timedelta

from flask import Flask

from registry.config import INSTANCE_PATH, PROJECT_ROOT, load_settings

TRANSLATION_DIRECTORIES = "translations"


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, command line."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_PATH),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_settings(config))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(app.config["SESSION_HOURS"]))
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(path) for path in sorted(PROJECT_ROOT.glob("registry/**/translations"))
    )
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)

    from registry import web
    from registry.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "registry" / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)

    _import_models()
    web.init_app(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _import_models() -> None:
    # Every model is imported so that Alembic and the scoping rules see them all.
    import registry.audit.models  # noqa: F401
    import registry.auth.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from registry.audit.views import blueprint as audit_blueprint
    from registry.auth.views import blueprint as auth_blueprint
    from registry.main.views import blueprint as main_blueprint

    for blueprint in (main_blueprint, auth_blueprint, audit_blueprint):
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from registry.audit.cli import audit_cli
    from registry.auth.cli import registry_cli, users_cli
    from registry.i18n import translations_cli

    for group in (registry_cli, users_cli, audit_cli, translations_cli):
        app.cli.add_command(group)
