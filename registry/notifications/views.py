"""The notifications page, and /api/v1/notifications."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields

from registry.api.framework import ApiBlueprint, CursorQuery, page_of, page_schema
from registry.auth.scoping import get_visible_or_404, visible
from registry.extensions import db
from registry.notifications import service
from registry.notifications.models import Notification
from registry.web import COUNTERS, NAVIGATION

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")
api_blueprint = ApiBlueprint("notifications_api", __name__, url_prefix="/api/v1/notifications",
                             description="Notifications to the caller and its agency.")
PAGE_SIZE = 50

COUNTERS["notifications"] = service.unread_count
NAVIGATION.append(("notifications.index", _l("Notifications"), None, "notifications"))


@blueprint.route("/")
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    statement = visible(current_user, Notification)
    if request.args.get("unread"):
        statement = statement.where(Notification.read_at.is_(None))
    rows = db.session.scalars(
        statement.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("notifications/index.html", notifications=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE)


@blueprint.route("/read", methods=["POST"])
def mark_all_read():
    count = service.mark_read(current_user)
    flash(_("%(count)d notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@blueprint.route("/<int:notification_id>/open", methods=["POST"])
def open_notification(notification_id: int):
    """Mark one notification read and follow its link."""
    notification = get_visible_or_404(current_user, Notification, notification_id)
    service.mark_read(current_user, [notification.id])
    link = notification.link or ""
    if not link.startswith("/") or link.startswith("//"):
        link = url_for("notifications.index")
    return redirect(link)




# --- API ------------------------------------------------------------------------------


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "In the caller's language"})
    link = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True, required=True)
    to_agency = fields.Boolean(required=True, metadata={
        "description": "Addressed to the agency (true) or to the caller only"})


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


class NotificationListQuery(CursorQuery):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only the unread ones"})


class MarkedSchema(Schema):
    marked = fields.Integer(required=True, metadata={"description": "How many were marked read"})


def notification_json(notification: Notification) -> dict:
    return {"id": notification.id, "kind": notification.kind, "text": notification.text,
            "link": notification.link, "created_at": notification.created_at,
            "read_at": notification.read_at, "to_agency": notification.user_id is None}


@api_blueprint.route("", methods=["GET"])
@api_blueprint.arguments(NotificationListQuery, location="query")
@api_blueprint.response(200, NotificationPageSchema)
def api_list(args: dict):
    """The caller's notifications, newest first, page by page."""
    statement = visible(current_user, Notification)
    if args["unread"]:
        statement = statement.where(Notification.read_at.is_(None))
    rows, next_cursor = page_of(f"notifications:{int(args['unread'])}", statement, Notification.id, args)
    return {"items": [notification_json(row) for row in rows], "next_cursor": next_cursor}


@api_blueprint.route("/read", methods=["POST"])
@api_blueprint.response(200, MarkedSchema)
def api_mark_all_read():
    """Mark all the caller's notifications read."""
    return {"marked": service.mark_read(current_user)}


@api_blueprint.route("/<int:notification_id>/read", methods=["POST"])
@api_blueprint.response(200, NotificationSchema)
def api_mark_read(notification_id: int):
    """Mark one notification read."""
    notification = get_visible_or_404(current_user, Notification, notification_id)
    service.mark_read(current_user, [notification.id])
    db.session.refresh(notification)
    return notification_json(notification)
