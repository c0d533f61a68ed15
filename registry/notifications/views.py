from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.auth.scoping import get_visible_or_404, visible
from registry.extensions import db
from registry.notifications import service
from registry.notifications.models import Notification
from registry.web import COUNTERS, NAVIGATION

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")
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


