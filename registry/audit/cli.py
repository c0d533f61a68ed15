from pathlib import Path

import click
from flask.cli import with_appcontext

from registry.audit import backup
from registry.audit.service import verify_chain
from registry.auth.cli import registry_cli

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


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory: Path):
    """Write a backup (database, uploads, manifest of checksums) into a new DIRECTORY."""
    try:
        manifest = backup.backup(directory)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(manifest["counts"].values())
    click.echo(f"Backup written to {directory}: {manifest['database']} database, {rows} rows, "
               f"{len(manifest['files'])} files, audit event #{manifest['audit']['last_sequence']}.")


@click.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(directory: Path):
    """Restore the backup in DIRECTORY into an empty database, then check it."""
    try:
        report = backup.restore(directory)
    except backup.BackupError as error:
        raise click.ClickException(f"{error} Nothing was changed.") from None
    if not report.ok:
        for problem in report.problems:
            click.echo(f"CHECK FAILED: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Restored and checked: {sum(report.counts.values())} rows in "
               f"{len(report.counts)} tables as in the backup, {report.files} files with their "
               f"checksums, audit chain intact ({report.events_checked} events).")


registry_cli.add_command(backup_command)
registry_cli.add_command(restore_command)

commands = [audit_cli]
