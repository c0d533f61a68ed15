import click
from flask.cli import with_appcontext

from registry.audit.service import verify_chain

audit_cli = click.Group("audit", help="The audit log.")


@audit_cli.command("verify")
@with_appcontext
def verify():
    """Walk the audit chain and name the first broken link."""
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} events checked.")
        return
    where = f"event #{report.broken_sequence}"
    if report.broken_id is not None:
        where += f" (row id {report.broken_id})"
    click.echo(f"Audit chain BROKEN at {where}: {report.reason}. "
               f"{report.checked} events before it are intact.", err=True)
    raise SystemExit(1)


commands = [audit_cli]
