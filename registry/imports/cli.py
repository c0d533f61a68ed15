"""`flask imports ...`: analyse a spreadsheet into a JSON report, or run a whole import."""

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from registry.auth.models import Agency, User
from registry.auth.roles import Permission
from registry.errors import DomainError
from registry.extensions import db
from registry.weapons.models import Sharing, WeaponStatus

imports_cli = click.Group("imports", help="Spreadsheet imports.")


def _agency(code: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise click.ClickException(f"No agency with code {code!r}.")
    return agency


def _acting_user(agency: Agency, email: str | None) -> User:
    """The person the records are written for: --user, else the agency's first active
    user who may import."""
    statement = select(User).where(User.agency_id == agency.id, User.active.is_(True)).order_by(User.id)
    if email:
        statement = statement.where(User.email == email)
    for user in db.session.scalars(statement):
        if user.can(Permission.IMPORT_RECORDS):
            return user
    raise click.ClickException(f"No active user of {agency.code} may import records"
                               + (f" with e-mail {email}." if email else "; give one with --user."))


ALL_SHEETS = "all"
SHARINGS = [item.value for item in Sharing]
WEAPON_STATUSES = [item.value for item in WeaponStatus]
STATUS_HELP = "Status of a record whose row names none, or one not understood."
SHEET_HELP = "Sheet to read (the first one by default), or \"all\" for every sheet that holds rows."


def _sheets_to_read(path: Path, sheet: str | None) -> list[str | None]:
    """The sheets `--sheet` names: one (None: the first), or with "all" each sheet holding
    rows below a header (none: an error)."""
    from registry.imports.service import limits, open_spreadsheet, sheets_with_rows

    if sheet != ALL_SHEETS:
        return [sheet]
    try:
        spreadsheet = open_spreadsheet(path, file_name=path.name, **limits())
    except DomainError as error:
        raise click.ClickException(f"{path.name}: {error.message}") from None
    names = sheets_with_rows(spreadsheet)
    if not names:
        raise click.ClickException(f"{path.name}: no sheet holds rows below a header "
                                   f"(sheets: {', '.join(spreadsheet.sheet_names)}).")
    return names


@imports_cli.command("analyse")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", required=True, help="Code of the agency the rows belong to.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the JSON report (standard output when absent).")
@click.option("--sheet", default=None, help=SHEET_HELP)
@click.option("--language", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the rows' messages in the report.")
@click.option("--status", "default_status", type=click.Choice(WEAPON_STATUSES), default="seized",
              show_default=True, help=STATUS_HELP)
@with_appcontext
def analyse(path: Path, agency_code: str, report_path: Path | None, sheet: str | None, language: str,
            default_status: str):
    """Analyse a spreadsheet and report every row, writing no record. With --sheet all, the
    report holds one report a sheet under "sheets", and the counts of all."""
    from registry.imports.service import analyse_file, saved_mapping

    agency = _agency(agency_code)
    reports = []
    try:
        for name in _sheets_to_read(path, sheet):
            analysis = analyse_file(path, agency.country_code, file_name=path.name, sheet_name=name,
                                    saved_mapping=saved_mapping(agency.id), default_status=default_status)
            with force_locale(language):
                reports.append(analysis.report(english=language == "en"))
            del analysis
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {error.message}") from None
    db.session.rollback()  # an analysis writes nothing
    if sheet == ALL_SHEETS:
        report = {"file": reports[0]["file"], "sha256": reports[0]["sha256"],
                  "counts": {name: sum(item["counts"][name] for item in reports) for name in reports[0]["counts"]},
                  "sheets": [{key: value for key, value in item.items() if key not in ("file", "sha256")}
                             for item in reports]}
    else:
        report = reports[0]
    # Written as it is encoded: the report of a large sheet, made whole in memory as one
    # text, would weigh several times the sheet.
    # The rows' messages are written as they are encoded, in the language asked.
    if report_path is None:
        with force_locale(language):
            json.dump(report, sys.stdout, ensure_ascii=False, indent=1, default=str)
        click.echo()
        return
    with open(report_path, "w", encoding="utf-8") as handle, force_locale(language):
        json.dump(report, handle, ensure_ascii=False, indent=1, default=str)
    lines = []
    for item in reports:
        counts = ", ".join(f"{name}: {number}" for name, number in item["counts"].items())
        shown = f"sheet {item['sheet']}: " if sheet == ALL_SHEETS else ""
        lines.append(f"{path.name}: {shown}header on row {item['header_row']}, {len(item['rows'])} rows ({counts}).")
    click.echo("\n".join(lines) + f" Report written to {report_path}.")
    for item in reports:
        if item["unmapped_columns"]:
            shown = f"sheet {item['sheet']}: " if sheet == ALL_SHEETS else ""
            columns = "; ".join(f"\"{column['column']}\" ({', '.join(column['samples'])})"
                                for column in item["unmapped_columns"])
            click.echo(f"{path.name}: {shown}columns with data that no field takes, not imported: {columns}.")


@imports_cli.command("run")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", required=True, help="Code of the agency the rows belong to.")
@click.option("--commit", "do_commit", is_flag=True, help="Write the ready rows as records.")
@click.option("--user", "email", default=None, help="E-mail of the user the import is made for.")
@click.option("--sheet", default=None, help=SHEET_HELP + " With \"all\", one import a sheet.")
@click.option("--sharing", type=click.Choice(SHARINGS), default="national", show_default=True,
              help="Sharing of the records written.")
@click.option("--status", "default_status", type=click.Choice(WEAPON_STATUSES), default="seized",
              show_default=True, help=STATUS_HELP)
@with_appcontext
def run(path: Path, agency_code: str, do_commit: bool, email: str | None, sheet: str | None, sharing: str,
        default_status: str):
    """Upload, analyse and (with --commit) commit a spreadsheet in one go."""
    from registry.imports.service import (
        analyse_import,
        choose_sheet_and_mapping,
        commit_import,
        earlier_imports_of_same_file,
        start_commit,
        upload_import,
    )
    from registry.jobs import wait_all

    agency = _agency(agency_code)
    actor = _acting_user(agency, email)

    def commit_batch(_import):
        db.session.commit()

    names = _sheets_to_read(path, sheet)
    this_run: list[int] = []
    try:
        for name in names:
            import_ = upload_import(actor, path, path.name, agency=agency, sharing=sharing,
                                    default_status=default_status)
            earlier = [item for item in earlier_imports_of_same_file(import_) if item.id not in this_run]
            this_run.append(import_.id)
            if earlier:
                click.echo(f"Warning: the same file was already imported (import "
                           f"{', '.join(str(i.id) for i in earlier)}).")
            if name:
                choose_sheet_and_mapping(actor, import_, name, None)
            db.session.commit()
            analyse_import(actor, import_)
            db.session.commit()
            counts = ", ".join(f"{status}: {number}" for status, number in (import_.counts or {}).items())
            shown = f" (sheet {import_.sheet_name})" if sheet == ALL_SHEETS else ""
            click.echo(f"Import {import_.id}{shown}: header on row {import_.header_row}; {counts}.")
            if do_commit:
                start_commit(actor, import_, skip_approval=True)
                db.session.commit()
                commit_import(actor, import_, on_batch=commit_batch)
                db.session.commit()
                created = import_.counts.get("created", 0)
                click.echo(f"Import {import_.id}: {created} record{'' if created == 1 else 's'} written.")
        if do_commit:
            wait_all()  # the hits' e-mails leave from a job: the command waits for them
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {error.message}") from None


commands = [imports_cli]
