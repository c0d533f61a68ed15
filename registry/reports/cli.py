"""`flask reports summary` (and the yearly reports): the figures of the pages, from the
command line, for every state (the command line runs with the server's rights)."""

import json

import click
from flask.cli import with_appcontext

from registry.auth.scoping import COMMAND_LINE
from registry.errors import DomainError
from registry.extensions import db
from registry.reports import demo, service  # noqa: F401  (demo: the step of `flask registry demo`)

reports_cli = click.Group("reports", help="Statistics and the reports a state owes.")


def _filters(country: str, date_from, date_to) -> service.Filters:
    try:
        return service.Filters.parse({"state": country, "date_from": date_from or "",
                                      "date_to": date_to or ""})
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None


@reports_cli.command("summary")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the state, e.g. ML.")
@click.option("--from", "date_from", help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD.")
@click.option("--json", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the figures (JSON).")
@with_appcontext
def summary(country, date_from, date_to, out):
    """Write a state's figures of a period as JSON: totals by status, type, make, country
    of manufacture, region and month, tracing figures and SDG 16.4.2."""
    filters = _filters(country, date_from, date_to)
    try:
        figures = service.summary(COMMAND_LINE, filters)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()  # the audit event of the report
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, ensure_ascii=False, indent=2)
    click.echo(f"{figures['total']} records of {country.upper()} written to {out}.")


@reports_cli.command("iafq")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the state, e.g. ML.")
@click.option("--year", required=True, help="The year reported, e.g. 2024.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write the workbook (xlsx) here.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, writable=True), help="Write the PDF here.")
@click.option("--language", type=click.Choice(["fr", "en", "ar"]), default="fr")
@with_appcontext
def iafq(country, year, out, pdf_path, language):
    """Write a state's yearly report (UNODC IAFQ tables, SDG 16.4.2, ITI tracing figures)."""
    from registry.reports import iafq as yearly

    if not out and not pdf_path:
        raise click.ClickException("Give --out FILE.xlsx, --pdf FILE.pdf or both.")
    try:
        outputs = [(path, yearly.file_bytes(kind, COMMAND_LINE, country, year, language))
                   for kind, path in (("xlsx", out), ("pdf", pdf_path)) if path]
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    for path, content in outputs:
        with open(path, "wb") as handle:
            handle.write(content)
        click.echo(f"Report of {country.upper()} for {year} written to {path}.")


commands = [reports_cli]
