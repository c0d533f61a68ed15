"""`flask reference load FILE.xlsx`, and the starter table loaded by `flask registry init`."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from registry.auth.cli import INIT_STEPS
from registry.extensions import db
from registry.reference.loader import LoadError
from registry.reference.models import Make
from registry.reference.service import export_reference_table, load_reference_file

STARTER_TABLE = Path(__file__).parent / "data" / "starter.xlsx"

reference_cli = click.Group("reference", help="The reference table of makes, models and calibres.")


def _print_report(report) -> None:
    click.echo(report.summary())
    for line in report.lines:
        click.echo(f"  {line}")


@reference_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what the load would do, and change nothing.")
@with_appcontext
def load(path: Path, dry_run: bool):
    """Add, update and unite makes, models, calibres and aliases from a spreadsheet (safe to run again)."""
    # The command line speaks English, like the rest of `flask`.
    with force_locale("en"):
        try:
            report = load_reference_file(None, path, path.name, dry_run=dry_run)
        except LoadError as error:
            db.session.rollback()
            raise click.ClickException(f"{path.name}: {error}") from None
        if dry_run:
            db.session.rollback()
            click.echo("Dry run: nothing was changed. The load would do this:")
        else:
            db.session.commit()
        _print_report(report)
    if not report.changes and not report.lines:
        click.echo("Nothing to change: the reference table already holds this file.")


@reference_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export(path: Path):
    """Write the reference table to a spreadsheet that `flask reference load` reads back."""
    if path.suffix.lower() != ".xlsx":
        raise click.ClickException(f"{path.name}: the export is a workbook, name it .xlsx.")
    counts = export_reference_table(None, path)
    db.session.commit()
    click.echo(f"Exported {counts['makes']} makes, {counts['models']} models, {counts['calibres']} calibres and "
               f"{counts['types']} types to {path}.")


def load_starter_table() -> str | None:
    """Step of `flask registry init`: the starter table, when the reference table is empty."""
    if db.session.scalar(select(Make.id).limit(1)) is not None:
        return None
    report = load_reference_file(None, STARTER_TABLE, "starter.xlsx")
    return f"Reference starter table loaded. {report.summary()}"


INIT_STEPS.append(load_starter_table)

commands = [reference_cli]
