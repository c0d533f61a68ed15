import hmac

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from registry.auth import service
from registry.extensions import db

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
def index():
    from registry.reports.dashboard import dashboard
    from registry.tracing.workflow import Status
    from registry.weapons.models import WeaponStatus

    return render_template("main/index.html", dashboard=dashboard(current_user),
                           weapon_statuses={status.value: status for status in WeaponStatus},
                           trace_statuses={status.value: status for status in Status})


@blueprint.route("/healthz")
def healthz():
    """Alive: the process answers (a load balancer's liveness probe). Touches nothing."""
    return jsonify(status="ok")


@blueprint.route("/readyz")
def readyz():
    """Ready to serve: the database answers and is at the migrations' head, Redis answers
    (when set). 503 naming what is not ready, so a new process gets no traffic before."""
    checks = {"database": _database_ready(), "migrations": _migrations_ready(), "redis": _redis_ready()}
    ready = all(value in ("ok", "not used") for value in checks.values())
    return jsonify(status="ok" if ready else "not ready", **checks), 200 if ready else 503


def _database_ready() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the answer is the check itself
        db.session.rollback()
        return "unreachable"
    return "ok"


def _migrations_ready() -> str:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        heads = set(ScriptDirectory(current_app.extensions["migrate"].directory).get_heads())
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:
        db.session.rollback()
        return "unknown"
    return "ok" if current == heads else "behind"


def _redis_ready() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not used"
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception:
        return "unreachable"
    return "ok"


@blueprint.route("/metrics")
def metrics():
    """Prometheus metrics of the whole server (every gunicorn process), and the job queue."""
    from registry.observability import metrics_text

    wanted = current_app.config.get("METRICS_TOKEN")
    if wanted and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {wanted}"):
        return jsonify(status="forbidden"), 403
    return Response(metrics_text(current_app), mimetype="text/plain; version=0.0.4")


@blueprint.route("/language", methods=["POST"])
def set_language():
    language = request.form.get("language", "")
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    if language not in current_app.config["LANGUAGES"]:
        flash(_("“%(code)s” is not a language of the registry: choose one of %(languages)s.",
                code=language[:20], languages=", ".join(current_app.config["LANGUAGES"])), "error")
        return redirect(target, 303)
    session["language"] = language
    if current_user.is_authenticated:
        service.set_language(current_user, language)
    return redirect(target)
