from datetime import UTC, datetime, time

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func

from registry.audit.models import AuditEvent
from registry.audit.service import record
from registry.auth.decorators import permission_required
from registry.auth.models import Agency, User
from registry.auth.roles import Permission
from registry.auth.scoping import visible
from registry.extensions import db

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


def _parse_day(value: str | None, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@blueprint.route("/")
@permission_required(Permission.READ_AGENCY_AUDIT)
def events():
    filters = {key: request.args.get(key, "").strip() for key in
               ("action", "user", "object_type", "object_id", "since", "until", "agency")}
    statement = visible(current_user, AuditEvent)
    if filters["action"]:
        statement = statement.where(AuditEvent.action.startswith(filters["action"]))
    if filters["object_type"]:
        statement = statement.where(AuditEvent.object_type == filters["object_type"])
    if filters["object_id"]:
        statement = statement.where(AuditEvent.object_id == filters["object_id"])
    if filters["user"]:
        statement = statement.join(User, AuditEvent.user_id == User.id).where(
            func.lower(User.email).contains(filters["user"].lower()))
    if filters["agency"]:
        statement = statement.join(Agency, AuditEvent.agency_id == Agency.id).where(
            Agency.code == filters["agency"].upper())
    since, until = _parse_day(filters["since"]), _parse_day(filters["until"], end=True)
    if since:
        statement = statement.where(AuditEvent.occurred_at >= since)
    if until:
        statement = statement.where(AuditEvent.occurred_at <= until)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.session.scalars(
        statement.order_by(AuditEvent.sequence.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    record("audit.search", details={key: value for key, value in filters.items() if value} | {"page": page})
    return render_template("audit/events.html", events=rows[:PAGE_SIZE], filters=filters, page=page,
                           has_next=len(rows) > PAGE_SIZE)
