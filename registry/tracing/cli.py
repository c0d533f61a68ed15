"""`flask tracing remind`: tell both agencies of each overdue trace request, once."""

import click
from flask.cli import with_appcontext

tracing_cli = click.Group("tracing", help="Trace requests between states.")


@tracing_cli.command("remind")
@with_appcontext
def remind_command():
    """Notify overdue trace requests (each missed deadline once, however often it runs)."""
    from registry.jobs import wait_all
    from registry.tracing.jobs import remind_overdue_traces

    count = remind_overdue_traces()
    wait_all()  # the reminders' e-mails leave from a job: the command waits for them
    click.echo(f"{count} overdue trace request(s) reminded.")


commands = [tracing_cli]
