"""A notification to one user or to a whole agency."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, or_
from sqlalchemy.orm import Mapped, mapped_column

from registry.auth.models import User
from registry.auth.scoping import scope_rule
from registry.extensions import UTCDateTime, db, utcnow

# Parameters stored as values (a weapon status...) and shown as a label in the reader's
# language, at display time: kind -> {parameter -> function(value) -> label}. The feature
# that sends a kind of notification registers its labels with `label_params`.
PARAM_LABELS: dict[str, dict[str, Callable[[str], object]]] = {}


def label_params(kind: str, **labels: Callable[[str], object]) -> None:
    PARAM_LABELS.setdefault(kind, {}).update(labels)


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_agency_read", "agency_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # To one user, or to every user of an agency (one shared row: read once for all).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    kind: Mapped[str] = mapped_column(String(64))
    # The English message id, translated when shown, and its parameters.
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def text(self) -> str:
        """The message in the current language, its values (statuses...) as labels."""
        from flask_babel import gettext

        params = dict(self.params or {})
        for name, label in PARAM_LABELS.get(self.kind, {}).items():
            if params.get(name) is not None:
                try:
                    params[name] = str(label(params[name]))
                except (KeyError, ValueError):
                    pass  # a value unknown today is shown as stored
        try:
            return gettext(self.message, **params)
        except (KeyError, ValueError, TypeError):
            return gettext(self.message)


@scope_rule(Notification)
def _notification_scope(user: User, statement, action: str):
    mine = or_(Notification.user_id == user.id, Notification.agency_id == user.agency_id)
    # Seeing and marking read (the only change) are open to whoever receives it.
    return statement.where(mine)
