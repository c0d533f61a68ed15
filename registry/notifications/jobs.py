"""The notifications' job: the e-mails of one commit, sent outside the request."""

import logging
import smtplib

from flask import current_app

from registry.jobs import job
from registry.notifications.service import send_mails

log = logging.getLogger(__name__)


@job("notifications.send")
def send_job(mails: list) -> int:
    """The e-mails of one commit's notifications, sent in the background."""
    try:
        return send_mails(current_app, [tuple(mail) for mail in mails])
    except (OSError, smtplib.SMTPException):
        # The notifications are in the registry; a mail server down must not undo them.
        log.exception("Could not send %d notification e-mails through %s", len(mails),
                      current_app.config["MAIL_SERVER"])
        return 0
