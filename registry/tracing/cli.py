"""`flask tracing remind`: tell both agencies of each overdue trace request, once."""

import click
from flask.cli import with_appcontext

from registry.extensions import db

tracing_cli = click.Group("tracing", help="Trace requests between states.")


def remind_overdue_traces() -> int:
    """The reminder run, for the command line and the job worker: commits its work."""
    from registry.tracing.service import remind_overdue

    try:
        count = remind_overdue()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


@tracing_cli.command("remind")
@with_appcontext
def remind_command():
    """Notify overdue trace requests (each missed deadline once, however often it runs)."""
    from registry.jobs import wait_all

    count = remind_overdue_traces()
    wait_all()  # the reminders' e-mails leave from a job: the command waits for them
    click.echo(f"{count} overdue trace request(s) reminded.")


commands = [tracing_cli]
