"""The firearms tracing registry: create_app() builds the Flask application."""

import importlib
from datetime import timedelta

from flask import Flask

from registry.config import INSTANCE_PATH, PROJECT_ROOT, load_settings

# Feature packages, in order. Each may have `models.py` (imported so that Alembic and the
# scoping rules see its tables), `views.py` with `blueprint` (and `api_blueprint`, an
# ApiBlueprint: docs/api.md; a feature with more lists them in `more_api_blueprints`),
# `cli.py` with `commands` (click groups added to `flask`), and
# `jobs.py` (imported so that its `@job`s are known to the web process and every worker).
FEATURES = (
    "auth", "audit", "main", "notifications", "reference", "weapons", "tracing", "imports",
    "reports", "api",
)


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
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)

    import_models()
    web.init_app(app)
    from registry import observability

    observability.init_app(app)
    from registry.api.framework import ApiBlueprint
    from registry.api.framework import init_app as init_api

    api = init_api(app)
    for feature in FEATURES:
        views = _feature_module(feature, "views")
        for name in ("blueprint", "api_blueprint", "more_api_blueprints"):
            found = getattr(views, name, None) if views is not None else None
            for blueprint in found if isinstance(found, list | tuple) else [found] if found else []:
                # An API blueprint also goes into the OpenAPI document.
                (api if isinstance(blueprint, ApiBlueprint) else app).register_blueprint(blueprint)
        cli = _feature_module(feature, "cli")
        for group in getattr(cli, "commands", ()):
            app.cli.add_command(group)

        _feature_module(feature, "jobs")

    from registry.i18n import translations_cli
    from registry.jobs import jobs_cli

    app.cli.add_command(translations_cli)
    app.cli.add_command(jobs_cli)
    return app


def _feature_module(feature: str, name: str):
    if not (PROJECT_ROOT / "registry" / feature / f"{name}.py").exists():
        return None
    return importlib.import_module(f"registry.{feature}.{name}")


def import_models() -> None:
    """Import every feature's models, so that the metadata and scoping rules are complete."""
    for feature in FEATURES:
        _feature_module(feature, "models")
