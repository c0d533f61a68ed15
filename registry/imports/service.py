"""Imports: upload, analyse, review, approve, commit. The web pages, the API, the command
line and the jobs all call these functions; they take plain values and the acting user,
and do not commit, except where a long task commits its own batches through `on_batch`.
"""

import contextlib
import dataclasses
import gc
import json
import queue
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Enum,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from registry.audit.service import record
from registry.auth.models import Agency, User
from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed
from registry.extensions import bulk_insert, db, utcnow
from registry.imports.headers import FIELDS, HeaderMatch, apply_mapping, find_header
from registry.imports.models import TRANSITIONS, Import, ImportMapping, ImportRow, ImportStatus
from registry.imports.reader import ImportRefused, Spreadsheet, open_spreadsheet
from registry.imports.rows import (
    COUNTRY_COLUMNS,
    DUPLICATE,
    INVALID,
    MAX_CELL_CHARACTERS,
    NEEDS_REVIEW,
    READY,
    SKIPPED,
    STATUSES,
    TEXT_COLUMNS,
    CountryNames,
    RowAnalyser,
    RowResult,
    count_statuses,
    message,
)
from registry.weapons.models import Sharing, WeaponStatus

STORE_BATCH = 5000
COMMIT_BATCH = 5000
# An import storing at least this many rows has PostgreSQL's statistics of the import rows
# read again at once, so that the review's and the commit's queries are planned for them.
ANALYZE_AFTER_ROWS = 10_000


class ImportCancelled(Exception):
    """The import was cancelled while a job worked on it."""


@dataclass
class Analysis:
    spreadsheet: Spreadsheet
    sheet_name: str
    header: HeaderMatch
    mapping: dict[int, str]
    results: list[RowResult]
    unmapped: list[dict] = dataclasses.field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return count_statuses(self.results)

    def report(self, english: bool = True) -> dict:
        """The command-line report: one object per data row, counts, header and mapping;
        the rows' messages in English, or in French."""
        titles = self.header.titles
        return {
            "file": self.spreadsheet.file_name, "sha256": self.spreadsheet.sha256,
            "sheet": self.sheet_name, "header_row": self.header.row,
            "mapping": {(titles[index] if index < len(titles) and titles[index] else f"#{index + 1}"): name
                        for index, name in self.mapping.items()},
            "counts": self.counts,
            "rows": RowReports(self.results, english),
            # Columns with data that no field takes: not imported, and said so.
            "unmapped_columns": [{"column": column["title"] or f"#{column['index'] + 1}",
                                  "samples": column["samples"], "filled": column["filled"]}
                                 for column in self.unmapped],
        }


class RowReports(list):
    """The rows of a report, each made as the JSON encoder reaches it: a list to the encoder
    (json.dump iterates a list), so that the file is the same, while a large sheet's report
    is never whole in memory. Made in the locale current when it is encoded."""

    def __init__(self, results: list[RowResult], english: bool):
        super().__init__()
        self.results, self.english = results, english

    def __iter__(self):
        return (result.report(self.english) for result in self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __bool__(self) -> bool:
        return bool(self.results)


def limits() -> dict:
    return {"max_bytes": int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024,
            "max_rows": int(current_app.config["IMPORT_MAX_ROWS"])}


def _existing_keys(country_code: str):
    """(serial_key, make_id) of the country's live records among a file's keys.

    When the country holds no more keyed records than about twice the file's keys, one
    query reads them all and the file's keys are matched here: cheaper than the many
    IN (...) queries of a large file (and nothing at all to do for a new registry)."""
    from registry.weapons.models import Weapon
    from registry.weapons.service import existing_serial_keys

    def lookup(keys: set) -> set:
        live = (Weapon.country_code == country_code, Weapon.deleted_at.is_(None), Weapon.serial_key.is_not(None))
        recorded = db.session.scalar(select(func.count()).select_from(Weapon).where(*live)) or 0
        if recorded == 0:
            return set()
        if recorded > 2 * len(keys) + 1000:
            return existing_serial_keys(country_code, keys)
        return {(key, make_id) for key, make_id in db.session.execute(
            select(Weapon.serial_key, Weapon.make_id).where(*live)) if key in keys}

    return lookup


def analyse_file(path, country_code: str, file_name: str | None = None, sheet_name: str | None = None,
                 mapping: dict[int, str] | None = None, saved_mapping: dict | None = None,
                 default_status: str = "seized") -> Analysis:
    """Read, map, identify and check every row of a file, writing nothing. A row whose
    status is blank or not understood takes `default_status`."""
    spreadsheet = open_spreadsheet(path, file_name=file_name, **limits())
    return analyse_spreadsheet(spreadsheet, country_code, sheet_name, mapping, saved_mapping,
                               default_status=default_status)


def analyse_spreadsheet(spreadsheet: Spreadsheet, country_code: str, sheet_name: str | None = None,
                        mapping: dict[int, str] | None = None, saved_mapping: dict | None = None,
                        header_row: int | None = None, default_status: str = "seized") -> Analysis:
    # Reading and analysing allocate a few objects per cell and free none of them until the
    # end: the cyclic garbage collector would only walk the growing heap again and again
    # (a third of the time of a large sheet). Nothing here makes reference cycles, so the
    # objects made are then frozen (gc.freeze) rather than walked once more by the first
    # collection after: reference counting frees them all the same. What an earlier
    # analysis froze is handed back to the collector first.
    collecting = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        return _analyse_spreadsheet(spreadsheet, country_code, sheet_name, mapping, saved_mapping, header_row,
                                    default_status)
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def _analyse_spreadsheet(spreadsheet: Spreadsheet, country_code: str, sheet_name: str | None,
                         mapping: dict[int, str] | None, saved_mapping: dict | None,
                         header_row: int | None, default_status: str) -> Analysis:
    from registry.reference.engine import get_identifier

    sheet_name = sheet_name or spreadsheet.sheet_names[0]
    sheet = spreadsheet.read_sheet(sheet_name)
    if sheet.truncated:
        raise ImportRefused(_l("The sheet has more than %(limit)d rows: split it into several files.",
                               limit=spreadsheet.max_rows))
    if not sheet.rows:
        raise _empty_sheet(spreadsheet, sheet_name)
    if header_row:
        cells = sheet.rows[header_row - 1] if header_row <= len(sheet.rows) else []
        header = HeaderMatch(header_row, {}, ["" if cell is None else str(cell) for cell in cells])
    else:
        header = find_header(sheet)
    if not any(sheet.rows[header.row:]):
        raise _empty_sheet(spreadsheet, sheet_name)
    if mapping is None:
        mapping = apply_mapping(header.titles, saved_mapping) or header.mapping
    mapping = {int(index): name for index, name in mapping.items() if name in FIELDS}
    if not any(name in ("make", "model", "serial", "type", "calibre") for name in mapping.values()):
        raise ImportRefused(_l("No column is set as make, model, serial, calibre or type."))
    header.mapping = mapping
    analyser = RowAnalyser(country_code, header, mapping, identifier=get_identifier(country_code),
                           countries=CountryNames.from_database(), default_status=default_status)
    results = analyser.analyse(sheet, existing_keys=_existing_keys(country_code))
    _mark_rows_recorded_before(results, country_code)
    return Analysis(spreadsheet, sheet_name, header, mapping, results,
                    unmapped_columns(sheet.rows[header.row:], header.titles, mapping))


UNMAPPED_SAMPLES = 3


def unmapped_columns(data: list[list], titles: list[str], mapping: dict[int, str]) -> list[dict]:
    """The columns of the data rows that hold something but that no field of `mapping`
    takes, in sheet order: each with its index, title, first few distinct values and how
    many cells it fills (not ignored yet)."""
    from registry.imports.rows import _cell_text

    width = max(map(len, data), default=0)
    found = []
    for index in range(width):
        if index in mapping:
            continue
        samples: list[str] = []
        filled = 0
        for row in data:
            if index >= len(row) or row[index] is None:
                continue
            text = _cell_text(row[index])
            if not text:
                continue
            filled += 1
            if len(samples) < UNMAPPED_SAMPLES and text[:60] not in samples:
                samples.append(text[:60])
        if filled:
            title = titles[index] if index < len(titles) and titles[index] else ""
            found.append({"index": index, "title": title, "samples": samples, "filled": filled,
                          "ignored": False})
    return found


def _still_ignored(columns: list[dict], earlier: list[dict] | None) -> list[dict]:
    """`columns` with those the user ignored before (same index and title) ignored still."""
    ignored = {(item["index"], item["title"]) for item in earlier or [] if item.get("ignored")}
    return [{**column, "ignored": (column["index"], column["title"]) in ignored} for column in columns]


def _empty_sheet(spreadsheet: Spreadsheet, sheet_name: str) -> ImportRefused:
    """The error of a sheet with no row to import, naming the workbook's other sheets."""
    others = [name for name in spreadsheet.sheet_names if name != sheet_name]
    if not others:
        return ImportRefused(_l("The sheet “%(name)s” holds no row to import.", name=sheet_name))
    return ImportRefused(_l("The sheet “%(name)s” holds no row to import. Choose one of the workbook's other "
                            "sheets: %(others)s.", name=sheet_name,
                            others=", ".join(others)))


def sheets_with_rows(spreadsheet: Spreadsheet) -> list[str]:
    """The sheets of a workbook that hold rows below a header, in the workbook's order."""
    names = []
    for name in spreadsheet.sheet_names:
        sheet = spreadsheet.read_sheet(name)
        try:
            header = find_header(sheet)
        except ImportRefused:
            continue
        if any(sheet.rows[header.row:]):
            names.append(name)
    return names


def _row_text(cells: list) -> str:
    return json.dumps(_json_cells(cells), ensure_ascii=False, separators=(",", ":"))


def _mark_rows_recorded_before(results: list, country_code: str) -> None:
    """A row with no serial key has nothing to be found by: when an earlier import of the
    country made a live record from a row the same to the letter (a sheet sent again with
    new rows below), that row is a duplicate of the record. Each record answers for one row."""
    from registry.weapons.models import Weapon

    recorded: dict[str, list[str]] = {}
    for cells, reference in db.session.execute(
            select(ImportRow.cells, Weapon.reference).join(Weapon, Weapon.import_row_id == ImportRow.id)
            .where(Weapon.country_code == country_code, Weapon.deleted_at.is_(None), Weapon.serial_key.is_(None))
            .order_by(Weapon.id)):
        recorded.setdefault(_row_text(cells), []).append(reference)
    if not recorded:
        return
    for result in [result for result in results if result.status in (READY, NEEDS_REVIEW) and not result.serial_key]:
        references = recorded.get(_row_text(result.cells))
        if references:
            result.messages.append(message("duplicate_import", reference=references.pop(0)))
            result.status = DUPLICATE


# --- State machine ------------------------------------------------------------------------------


def _move(import_: Import, status: ImportStatus) -> None:
    if status not in TRANSITIONS[import_.status]:
        raise DomainError(_l("This import cannot go from “%(old)s” to “%(new)s”.",
                             old=import_.status.label, new=status.label))
    import_.status = status


def _require(actor: User, permission: Permission, import_: Import | None = None,
             agency: Agency | None = None) -> None:
    agency_id = import_.agency_id if import_ is not None else agency.id
    if not actor.can(permission) or actor.agency_id != agency_id:
        raise NotAllowed(_l("Your role does not allow this action on this import."))


# --- Upload -----------------------------------------------------------------------------------------


def read_sharing_and_status(sharing: str | None, default_status: str | None) -> tuple[Sharing, WeaponStatus]:
    """The sharing and the default status an import was asked for (national and seized when
    not given), or DomainError naming the choices."""
    try:
        chosen_sharing = Sharing(sharing or Sharing.NATIONAL.value)
    except ValueError:
        raise DomainError(_l("The sharing “%(value)s” is not one of: %(choices)s.", value=str(sharing)[:40],
                             choices=", ".join(item.value for item in Sharing))) from None
    try:
        chosen_status = WeaponStatus(default_status or WeaponStatus.SEIZED.value)
    except ValueError:
        raise DomainError(_l("The status “%(value)s” is not one of: %(choices)s.", value=str(default_status)[:40],
                             choices=", ".join(item.value for item in WeaponStatus))) from None
    return chosen_sharing, chosen_status


def upload_import(actor: User, source, file_name: str, agency: Agency | None = None,
                  sharing: str | None = None, default_status: str | None = None) -> Import:
    """Check an uploaded file and keep it as a new import (status uploaded), with the
    sharing its records will have and their status where the sheet names none (national
    and seized unless given).

    `source` is a path or a binary file object. Refused files are not kept."""
    agency = agency or actor.agency
    _require(actor, Permission.IMPORT_RECORDS, agency=agency)
    chosen_sharing, chosen_status = read_sharing_and_status(sharing, default_status)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(file_name).suffix.lower()[:8]
    stored = folder / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(source, str | Path):
        shutil.copyfile(source, stored)
    else:
        with open(stored, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    try:
        spreadsheet = open_spreadsheet(stored, file_name=file_name, **limits())
    except ImportRefused:
        stored.unlink(missing_ok=True)
        raise
    import_ = Import(
        file_name=Path(file_name).name[:255], sha256=spreadsheet.sha256, size=spreadsheet.size,
        kind=spreadsheet.kind, stored_path=str(stored), agency_id=agency.id,
        country_code=agency.country_code, uploaded_by_id=actor.id, sheet_names=spreadsheet.sheet_names,
        sheet_name=spreadsheet.sheet_names[0], status=ImportStatus.UPLOADED, progress_done=0,
        progress_total=0, cancel_requested=False, sharing=chosen_sharing, default_status=chosen_status,
    )
    db.session.add(import_)
    db.session.flush()
    record("import.upload", "import", import_.id,
           {"file": import_.file_name, "sha256": import_.sha256, "size": import_.size,
            "sharing": chosen_sharing.value, "default_status": chosen_status.value}, user=actor)
    return import_


def earlier_imports_of_same_file(import_: Import) -> list[Import]:
    """Other imports of the same agency with the same file content and sheet (not
    cancelled): another sheet of one workbook is other rows."""
    return list(db.session.scalars(select(Import).where(
        Import.agency_id == import_.agency_id, Import.sha256 == import_.sha256, Import.id != import_.id,
        Import.sheet_name == import_.sheet_name, Import.status != ImportStatus.CANCELLED).order_by(Import.id)))


def import_every_sheet(actor: User, import_: Import) -> list[Import]:
    """One import a sheet holding rows below a header, for a workbook whose rows lie on
    several sheets: this import reads the first such sheet, and a new import of the same
    file (same sharing and default status) reads each other one, its columns found from
    its own header. Answers the imports, to be analysed; DomainError, nothing changed,
    when no sheet holds rows."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status not in (ImportStatus.UPLOADED, ImportStatus.REVIEW, ImportStatus.FAILED):
        raise DomainError(_l("This import can no longer be changed."))
    names = sheets_with_rows(open_import_file(import_))
    if not names:
        raise DomainError(_l("No sheet of the workbook holds rows below a header (sheets: %(names)s).",
                             names=", ".join(import_.sheet_names)))
    import_.sheet_name = names[0]
    import_.header_row, import_.column_mapping, import_.titles, import_.unmapped_columns = None, None, None, None
    made = [import_]
    for name in names[1:]:
        other = Import(
            file_name=import_.file_name, sha256=import_.sha256, size=import_.size, kind=import_.kind,
            stored_path=import_.stored_path, agency_id=import_.agency_id, country_code=import_.country_code,
            uploaded_by_id=actor.id, sheet_names=import_.sheet_names, sheet_name=name,
            status=ImportStatus.UPLOADED, progress_done=0, progress_total=0, cancel_requested=False,
            sharing=import_.sharing, default_status=import_.default_status)
        db.session.add(other)
        made.append(other)
    db.session.flush()
    record("import.sheets", "import", import_.id, {"sheets": names, "imports": [item.id for item in made]},
           user=actor)
    return made


def open_import_file(import_: Import) -> Spreadsheet:
    return open_spreadsheet(import_.stored_path, file_name=import_.file_name, **limits())


def saved_mapping(agency_id: int) -> dict | None:
    found = db.session.get(ImportMapping, agency_id)
    return found.mapping if found else None


def remember_mapping(agency_id: int, titles: list[str], mapping: dict[int, str]) -> None:
    by_title = {titles[index]: name for index, name in mapping.items() if index < len(titles) and titles[index]}
    found = db.session.get(ImportMapping, agency_id)
    if found is None:
        try:
            with db.session.begin_nested():
                db.session.add(ImportMapping(agency_id=agency_id, mapping=by_title))
            return
        except IntegrityError:
            # Another analysis of the agency (one per sheet of a workbook) remembered first.
            found = db.session.get(ImportMapping, agency_id, populate_existing=True)
    found.mapping = by_title


def choose_sheet_and_mapping(actor: User, import_: Import, sheet_name: str | None,
                             mapping: dict[int, str] | None, header_row: int | None = None) -> Import:
    """The user's choice of sheet, header row and columns, used by the next analysis."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status not in (ImportStatus.UPLOADED, ImportStatus.REVIEW, ImportStatus.FAILED):
        raise DomainError(_l("This import can no longer be changed."))
    if sheet_name is not None:
        if sheet_name not in import_.sheet_names:
            raise DomainError(_l("The workbook has no sheet named “%(name)s”; its sheets: %(names)s.",
                                 name=sheet_name, names=", ".join(import_.sheet_names)))
        if sheet_name != import_.sheet_name:
            import_.header_row, import_.column_mapping, import_.titles = None, None, None
            import_.unmapped_columns = None
        import_.sheet_name = sheet_name
    if header_row is not None:
        import_.header_row = header_row
    if mapping is not None:
        import_.column_mapping = {str(index): name for index, name in mapping.items() if name in FIELDS}
    return import_


IGNORE_COLUMN = "ignore"


def choose_column(actor: User, import_: Import, index: int, field: str) -> bool:
    """The user's choice for a column with data that no field takes: a field, for the next
    analysis to read the column into (answers True: the sheet must be analysed again), or
    IGNORE_COLUMN, kept with the import (answers False). Audited."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    column = next((item for item in import_.unmapped_columns or [] if item["index"] == index), None)
    if column is None:
        raise DomainError(_l("This column is not among the columns left out of the import."))
    title = column["title"] or f"#{index + 1}"
    if field == IGNORE_COLUMN:
        if import_.status not in (ImportStatus.UPLOADED, ImportStatus.REVIEW, ImportStatus.APPROVED,
                                  ImportStatus.FAILED):
            raise DomainError(_l("This import can no longer be changed."))
        import_.unmapped_columns = [{**item, "ignored": True} if item["index"] == index else item
                                    for item in import_.unmapped_columns]
        record("import.column", "import", import_.id, {"column": title, "ignored": True}, user=actor)
        return False
    if field not in FIELDS:
        raise DomainError(_l("Choose a field for the column, or ignore it."))
    if import_.status not in (ImportStatus.UPLOADED, ImportStatus.REVIEW, ImportStatus.FAILED):
        raise DomainError(_l("This import can no longer be changed."))
    mapping = import_.mapping
    taken = next((other for other, name in mapping.items() if name == field), None)
    if taken is not None:
        titles = import_.titles or []
        raise DomainError(_l("The field “%(field)s” already reads the column “%(column)s”: change the "
                             "columns of the import to read it from another one.", field=FIELDS[field],
                             column=(titles[taken] if taken < len(titles) and titles[taken] else f"#{taken + 1}")))
    mapping[index] = field
    import_.column_mapping = {str(key): name for key, name in sorted(mapping.items())}
    record("import.column", "import", import_.id, {"column": title, "field": field}, user=actor)
    return True


# --- Analysis ---------------------------------------------------------------------------------


def _json_cell(value):
    if value.__class__ is str:
        return value[:MAX_CELL_CHARACTERS]
    if value is None or isinstance(value, int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json_cells(cells: list) -> list:
    """The row's cells as JSON values: the list itself when they already are."""
    for cell in cells:
        kind = cell.__class__
        if not (cell is None or kind is int or kind is float or kind is bool
                or (kind is str and len(cell) <= MAX_CELL_CHARACTERS)):
            return [_json_cell(cell) for cell in cells]
    return cells


def _stored_identification(found: dict | None, status: str) -> dict | None:
    if found is None:
        return None
    if status == READY and found.get("suggestions"):
        return {**found, "suggestions": []}  # what was sure needs no alternatives stored
    return found


def start_analysis(actor: User, import_: Import) -> Import:
    """Mark the import as being analysed (a job does the work)."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    _move(import_, ImportStatus.ANALYSING)
    import_.cancel_requested = False
    import_.error = None
    import_.progress_done, import_.progress_total = 0, 0
    return import_


def analyse_import(actor: User, import_: Import, on_batch: Callable[[Import], None] | None = None) -> Import:
    """Analyse the import's sheet and store every row for review (status review).

    `on_batch(import_)` runs after each batch of stored rows (a job commits there and
    raises ImportCancelled when asked to stop)."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status != ImportStatus.ANALYSING:
        start_analysis(actor, import_)
    spreadsheet = open_import_file(import_)
    analysis = analyse_spreadsheet(
        spreadsheet, import_.country_code, import_.sheet_name,
        mapping=import_.mapping if import_.column_mapping else None,
        saved_mapping=saved_mapping(import_.agency_id), header_row=import_.header_row,
        default_status=import_.default_status.value)
    db.session.execute(delete(ImportRow).where(ImportRow.import_id == import_.id))
    import_.header_row = analysis.header.row
    import_.titles = analysis.header.titles
    import_.column_mapping = {str(index): name for index, name in analysis.mapping.items()}
    import_.unmapped_columns = _still_ignored(analysis.unmapped, import_.unmapped_columns)
    import_.progress_total = len(analysis.results)
    import_.progress_done = 0
    counts = analysis.counts
    table = ImportRow.__table__
    results = analysis.results
    for start in range(0, len(results), STORE_BATCH):
        batch = results[start:start + STORE_BATCH]
        # A stored row is let go at once: the sheet is never held twice (as results and
        # as rows to insert).
        results[start:start + STORE_BATCH] = [None] * len(batch)
        bulk_insert(table, [{
            "import_id": import_.id, "row_number": result.row,
            "cells": _json_cells(result.cells), "values": result.values,
            "identification": _stored_identification(result.identification, result.status),
            "status": result.status, "messages": result.messages, "accepted": result.status == READY,
            "corrected": False,
        } for result in batch])
        import_.progress_done = start + len(batch)
        del batch
        if on_batch is not None:
            on_batch(import_)
    import_.counts = counts
    if len(results) >= ANALYZE_AFTER_ROWS and db.session.get_bind().dialect.name == "postgresql":
        # Autovacuum would do it within a minute or so; a commit run at once (the command
        # line's `imports run --commit`) would meanwhile plan for a table without them.
        db.session.execute(text("ANALYZE import_row"))
    _move(import_, ImportStatus.REVIEW)
    remember_mapping(import_.agency_id, analysis.header.titles, analysis.mapping)
    record("import.analyse", "import", import_.id, {"counts": import_.counts}, user=actor)
    gc.unfreeze()  # the rows are stored and let go: what is left goes back to the collector
    return import_


def refresh_counts(import_: Import) -> dict:
    counts = dict.fromkeys(STATUSES, 0)
    for status, number in db.session.execute(
            select(ImportRow.status, func.count()).where(ImportRow.import_id == import_.id)
            .group_by(ImportRow.status)).all():
        counts[status] = number
    counts["accepted"] = db.session.scalar(select(func.count()).where(
        ImportRow.import_id == import_.id, ImportRow.accepted.is_(True))) or 0
    counts["created"] = records_written(import_.id)
    import_.counts = counts
    return counts


# --- Review -------------------------------------------------------------------------------------


def _reviewable(actor: User, import_: Import) -> None:
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status not in (ImportStatus.REVIEW, ImportStatus.APPROVED):
        raise DomainError(_l("This import is not open for review."))


def set_accepted(actor: User, import_: Import, row_ids: list[int] | None, accepted: bool,
                 status: str | None = None) -> int:
    """Accept or reject rows (by id, or every row of `status`). Invalid, skipped and
    duplicate rows cannot be accepted. Answers how many rows changed."""
    _reviewable(actor, import_)
    statement = update(ImportRow).where(ImportRow.import_id == import_.id, ImportRow.weapon_id.is_(None))
    if row_ids is not None:
        statement = statement.where(ImportRow.id.in_(row_ids))
    if status is not None:
        statement = statement.where(ImportRow.status == status)
    if accepted:
        statement = statement.where(ImportRow.status.in_((READY, NEEDS_REVIEW)))
    changed = db.session.execute(statement.values(accepted=accepted)
                                 .execution_options(synchronize_session=False)).rowcount
    _back_to_review(import_)
    refresh_counts(import_)
    record("import.review", "import", import_.id, {"accepted": accepted, "rows": changed,
                                                    "status": status}, user=actor)
    return changed


def _back_to_review(import_: Import) -> None:
    # A change after approval needs approving again.
    if import_.status == ImportStatus.APPROVED:
        import_.status = ImportStatus.REVIEW
        import_.approved_by_id, import_.approved_at = None, None


REVIEW_FIELDS = {"make": "raw_make", "model": "raw_model", "calibre": "raw_calibre", "type": "raw_type",
                 "serial": "raw_serial"}
# Fields read, not identified: the sheet's field -> (row value, messages a good value ends).
READ_FIELDS = {"event_date": ("event_date", {"date_unreadable", "date_future", "date_old"}),
               "status": ("status", {"status_unknown", "status_assumed"}),
               **{name: (column, {"country_unknown"}) for name, column in COUNTRY_COLUMNS.items()}}
# Fields kept as typed: the sheet's field -> (row value, its length).
PLAIN_FIELDS = {name: TEXT_COLUMNS[name] for name in TEXT_COLUMNS if name not in REVIEW_FIELDS}
# The fields the review's Fix form offers, in its order: every field a row's record takes.
CORRECTABLE_FIELDS = tuple(name for name in FIELDS if name in REVIEW_FIELDS or name in READ_FIELDS
                           or name in PLAIN_FIELDS)
# An identified field -> the fields identified again when it is corrected (a model is
# looked for among the new make's models); the others keep what they were.
DEPENDENT_FIELDS = {"make": ("make", "model"), "model": ("model",), "calibre": ("calibre",), "type": ("type",)}
IDENTIFIED_FIELDS = ("make", "model", "calibre", "type")
# Messages that make a row invalid (it cannot be accepted until they are gone), and those
# that leave it for review.
INVALIDATING = {"date_future", "date_old", "nothing", "no_name", "no_weapon"}
REVIEWING = {"date_unreadable", "status_unknown", "status_assumed", "country_unknown", "identification", "unidentified"}
# Messages on what names and identifies the weapon: said again after each correction.
NAMING = {"nothing", "no_name", "no_weapon", "identification", "unidentified"}


def _settle(row: ImportRow) -> None:
    """A corrected row's messages on its weapon said again, and its status and acceptance
    read from its messages as the analysis reads them. A duplicate stays a duplicate."""
    from registry.imports.rows import doubt_message, unnamed_message

    values = row.values
    spelling = (values.get("raw_make"), values.get("raw_model"), values.get("raw_calibre"), values.get("raw_type"))
    messages = [item for item in row.messages if item.get("key") not in NAMING]
    unnamed = unnamed_message(spelling, values.get("raw_serial"))
    if unnamed is not None:
        messages.append(unnamed)
    else:
        doubt = doubt_message(row.identification or {})
        if doubt is not None:
            messages.append(doubt)
    row.messages = messages
    if row.status in (READY, NEEDS_REVIEW, INVALID):
        keys = {item.get("key") for item in messages}
        row.status = INVALID if keys & INVALIDATING else NEEDS_REVIEW if keys & REVIEWING else READY
        row.accepted = row.status == READY


def _read_field(import_: Import, field: str, text: str | None):
    """The value a typed date, status or country stands for, or DomainError."""
    from registry.imports.rows import CountryNames, parse_status, read_date

    if text is None:
        return None
    if field == "event_date":
        day, _problem, _value = read_date(text, date.today())  # as the analysis reads a date
        if day is None:
            raise DomainError(_l("The date “%(value)s” was not understood: write it as 12/03/2024 "
                                 "(not in the future).", value=text[:40]))
        return day
    if field == "status":
        status = parse_status(text)
        if status is None:
            raise DomainError(_l("The status “%(value)s” was not understood: write seized, found, "
                                 "surrendered, lost, stolen, trafficked, destroyed or returned.", value=text[:60]))
        return status
    code = CountryNames.from_database().code(text)
    if code is None:
        raise DomainError(_l("The country “%(value)s” was not understood: write its name or its ISO "
                             "code.", value=text[:60]))
    return code


def _corrected_value(import_: Import, row: ImportRow, field: str, text: str | None) -> tuple[dict, set]:
    """The row's values with `field` set to what `text` says, and the message keys the
    correction ends; DomainError (nothing changed) when the text cannot be read."""
    values = dict(row.values)
    ended: set = set()
    if field in READ_FIELDS:
        key, ended = READ_FIELDS[field]
        read = _read_field(import_, field, text)
        if read is None:
            values.pop(key, None)
            if field == "status":
                values["status"] = import_.default_status.value
        else:
            values[key] = read
    elif field in PLAIN_FIELDS:
        key, length = PLAIN_FIELDS[field]
        if text is None:
            values.pop(key, None)
        else:
            values[key] = text[:length]
        ended = {"cut", "formula"}
    else:
        values[REVIEW_FIELDS[field]] = text
        if field == "serial":
            from registry.weapons.serials import SerialState, detect_serial_state, serial_key

            state = detect_serial_state(text)
            values["serial_state"] = state.value
            values["serial_key"] = serial_key(text) if state is SerialState.READABLE else None
    return values, ended


def _ends(item: dict, ended: set, import_: Import, row: ImportRow, field: str) -> bool:
    """Whether a message is ended by correcting `field`: a country's, a cut cell's or a
    formula's message names its own value or column, so that correcting one column leaves
    the others' messages."""
    if item.get("key") not in ended:
        return False
    params = item.get("params") or {}
    if "column" in params:
        return params["column"] in _titles_of(import_, field)
    if field in COUNTRY_COLUMNS:
        cells = row.cells or []
        indexes = [index for index, name in import_.mapping.items() if name == field]
        written = {str(cells[index]).strip()[:60] for index in indexes if index < len(cells) and cells[index] is not None}
        return params.get("value") in written
    return True


def _titles_of(import_: Import, field: str) -> set[str]:
    titles = import_.titles or []
    return {(titles[index] if index < len(titles) and titles[index] else f"#{index + 1}")
            for index, name in import_.mapping.items() if name == field}


def _reidentified(import_: Import, values: dict, before: dict, field: str) -> dict:
    """The identification after `field` was corrected: the fields that depend on it read
    again from the row's values; the others kept (confirmed picks too), unless they were
    not identified and now are. A make typed that the reference table does not know is
    refused, the row left as it was."""
    from registry.reference.engine import get_identifier

    found = get_identifier(import_.country_code).identify(
        values.get("raw_make"), values.get("raw_model"), values.get("raw_calibre"), values.get("raw_type")).to_dict()
    if field == "make" and values.get("raw_make") and found.get("make_id") is None:
        names = [item["value"] for item in found.get("suggestions") or [] if item.get("field") == "make"][:3]
        if names:
            raise DomainError(_l("The make “%(value)s” is not in the reference table (did you mean %(names)s?): "
                                 "the row was not changed.", value=values["raw_make"][:60],
                                 names=", ".join(names)))
        raise DomainError(_l("The make “%(value)s” is not in the reference table: the row was not changed. "
                             "Check its spelling, or accept the row as it is.", value=values["raw_make"][:60]))
    if not before:
        return found
    merged = {**before, "confidence": dict(before.get("confidence") or {}), "methods": dict(before.get("methods") or {})}
    retaken = set(DEPENDENT_FIELDS[field])
    if field == "model" and before.get("make_id") is None:
        retaken.add("make")  # a make read from the model typed
    for name in IDENTIFIED_FIELDS:
        if name in retaken or (before.get(f"{name}_id") is None and found.get(f"{name}_id") is not None):
            merged[name], merged[f"{name}_id"] = found.get(name), found.get(f"{name}_id")
            merged["confidence"][name] = (found.get("confidence") or {}).get(name, 0.0)
            merged["methods"][name] = (found.get("methods") or {}).get(name, "none")
    merged["suggestions"] = [item for item in found.get("suggestions") or []
                             if merged.get(f"{item.get('field')}_id") is None or item.get("field") in retaken]
    raw = {"make": values.get("raw_make"), "model": values.get("raw_model"), "calibre": values.get("raw_calibre"),
           "type": values.get("raw_type")}
    merged["needs_review"] = any(raw[name] and (merged.get(f"{name}_id") is None
                                                or merged["confidence"].get(name, 0.0) < 0.9)
                                 for name in IDENTIFIED_FIELDS)
    merged["method"] = found.get("method") if retaken & {"make", "model"} else before.get("method", "none")
    return merged


def correct_row(actor: User, import_: Import, row: ImportRow, field: str, value: str | None = None,
                target_id: int | None = None) -> ImportRow:
    """Fix one field of a row, typed or picked among the suggestions.

    Any field the record takes may be corrected. Correcting the make, model, calibre or
    type identifies again what depends on it (a make's models) and keeps the rest; the
    other fields change nothing of the identification. A picked suggestion (a reference
    id) is confirmed to the reference engine, which learns the raw spelling as an alias
    for the agency's country. Bad input (an unknown make, a date not understood) raises
    DomainError and changes nothing."""
    _reviewable(actor, import_)
    if row.import_id != import_.id or row.weapon_id is not None:
        raise DomainError(_l("This row cannot be changed."))
    if field not in CORRECTABLE_FIELDS or (target_id is not None and field not in IDENTIFIED_FIELDS):
        raise DomainError(_l("Unknown field: %(name)s.", name=field))
    identification = dict(row.identification or {})
    ended: set = set()
    if target_id is not None:
        values = dict(row.values)
        _learn_alias(actor, field, values.get(REVIEW_FIELDS[field]), target_id)
        if not identification:
            identification = _reidentified(import_, values, {}, field)
        _force(identification, field, target_id)
    else:
        text = (value or "").strip()[:MAX_CELL_CHARACTERS] or None
        values, ended = _corrected_value(import_, row, field, text)
        if field in IDENTIFIED_FIELDS:
            identification = _reidentified(import_, values, identification, field)
    row.values = values
    row.identification = identification or row.identification
    row.corrected = True
    row.messages = [item for item in row.messages if not _ends(item, ended, import_, row, field)]
    _settle(row)
    _back_to_review(import_)
    refresh_counts(import_)
    record("import.correct", "import_row", row.id, {"field": field, "value": value, "target_id": target_id},
           user=actor)
    return row


def _force(identification: dict, field: str, target_id: int) -> None:
    """Set a field to what the person picked, by id, with its canonical name."""
    from registry.reference.models import Calibre, Make, Model, WeaponType

    model_class = {"make": Make, "model": Model, "calibre": Calibre, "type": WeaponType}[field]
    target = db.session.get(model_class, target_id)
    if target is None:
        raise DomainError(_l("This choice is not in the reference table."))
    identification[f"{field}_id"] = target_id
    identification[field] = getattr(target, "name", None) or getattr(target, "name_en", None)
    identification.setdefault("confidence", {})[field] = 1.0
    identification.setdefault("methods", {})[field] = "confirmed"
    if field == "model" and getattr(target, "make_id", None):
        make = db.session.get(Make, target.make_id)
        identification["make_id"], identification["make"] = make.id, make.name
        identification["confidence"]["make"] = 1.0
    identification["needs_review"] = False


def _learn_alias(actor: User, field: str, raw_text: str | None, target_id: int) -> None:
    if not raw_text:
        return
    try:
        from registry.reference.service import confirm_alias
    except ImportError:
        return
    confirm_alias(actor, field, raw_text, target_id)


# --- Approval and cancellation ------------------------------------------------------------------


def needs_approval(import_: Import) -> bool:
    return bool(import_.agency.requires_import_approval)


def approve_import(actor: User, import_: Import) -> Import:
    """A supervisor of the agency approves the reviewed import for commit."""
    _require(actor, Permission.APPROVE, import_)
    if import_.status != ImportStatus.REVIEW:
        raise DomainError(_l("Only an import under review can be approved."))
    _move(import_, ImportStatus.APPROVED)
    import_.approved_by_id, import_.approved_at = actor.id, utcnow()
    record("import.approve", "import", import_.id, {}, user=actor)
    return import_


def cancel_import(actor: User, import_: Import) -> Import:
    """Stop a running job at its next batch, or close the import. Committed records stay:
    a commit stopped part-way can be run again to write the rest, or the import closed."""
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status in (ImportStatus.COMMITTED, ImportStatus.CANCELLED):
        raise DomainError(_l("This import is finished: it cannot be cancelled."))
    import_.cancel_requested = True
    if import_.status not in (ImportStatus.ANALYSING, ImportStatus.COMMITTING):
        _move(import_, ImportStatus.CANCELLED)
    record("import.cancel", "import", import_.id, {}, user=actor)
    return import_


# --- Commit -----------------------------------------------------------------------------------


def start_commit(actor: User, import_: Import, skip_approval: bool = False) -> Import:
    """Check the import may be committed now and mark it as committing, with its progress
    counted. `skip_approval` is for the command line, run by the platform's operators."""
    _begin_commit(actor, import_, skip_approval)
    import_.progress_total, import_.progress_done = commit_progress(import_.id)
    return import_


def _begin_commit(actor: User, import_: Import, skip_approval: bool = False) -> None:
    _require(actor, Permission.IMPORT_RECORDS, import_)
    if import_.status == ImportStatus.REVIEW and needs_approval(import_) and not skip_approval:
        raise DomainError(_l("A supervisor must approve this import before it is committed."))
    if import_.status not in (ImportStatus.REVIEW, ImportStatus.APPROVED, ImportStatus.COMMITTING,
                              ImportStatus.FAILED):
        raise DomainError(_l("This import cannot be committed now."))
    if import_.status == ImportStatus.FAILED and import_.header_row is None:
        raise DomainError(_l("This import cannot be committed now."))
    import_.status = ImportStatus.COMMITTING
    import_.committed_by_id = actor.id
    import_.error = None
    import_.cancel_requested = False


def commit_progress(import_id: int) -> tuple[int, int]:
    """How many of the import's rows are accepted, and how many of those have their record."""
    accepted = db.session.scalar(select(func.count()).where(
        ImportRow.import_id == import_id, ImportRow.accepted.is_(True))) or 0
    return accepted, records_written(import_id)


def records_written(import_id: int) -> int:
    """How many of the import's rows have their record (one join on weapon.import_row_id,
    not a lookup per row). Such rows are all accepted (see _commit_plan)."""
    from registry.weapons.models import Weapon

    table, weapon = ImportRow.__table__, Weapon.__table__
    return db.session.scalar(select(func.count()).select_from(
        weapon.join(table, table.c.id == weapon.c.import_row_id)).where(table.c.import_id == import_id)) or 0


# Import row values -> the Weapon columns they fill (the keys RowAnalyser and correct_row write).
VALUE_COLUMNS = tuple(sorted({column for column, _length in TEXT_COLUMNS.values()} | set(COUNTRY_COLUMNS.values())
                             | {"event_date", "status", "serial_state", "serial_key"}))
# Keys of an import row's identification -> Weapon columns.
IDENTIFICATION_COLUMNS = {"make_id": "make_id", "model_id": "model_id", "calibre_id": "calibre_id",
                          "type_id": "type_id", "method": "identification_method",
                          "confidence": "identification_confidence"}


def _commit_plan(import_id: int) -> tuple[list[int], set[int]]:
    """The ids of the import's accepted rows, in order, and of those that have a record
    (every row with a record is accepted: only accepted rows are written, and a written
    row's acceptance cannot change)."""
    from registry.weapons.models import Weapon

    table, weapon = ImportRow.__table__, Weapon.__table__
    accepted = list(db.session.scalars(select(table.c.id).where(
        table.c.import_id == import_id, table.c.accepted.is_(True)).order_by(table.c.id)))
    written = set(db.session.scalars(select(weapon.c.import_row_id).join(
        table, table.c.id == weapon.c.import_row_id).where(table.c.import_id == import_id)))
    return accepted, written


def _batches(accepted: list[int], written: set[int], size: int):
    """The accepted rows that have no record yet, as lists of at most `size` ids that hold
    every accepted row from their first id to their last: a batch is named by its first
    and last id."""
    batch: list[int] = []
    for row_id in accepted:
        if row_id in written:
            if batch:
                yield batch
            batch = []
            continue
        batch.append(row_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def weapon_source(import_id: int, low: int, high: int, sharing: Sharing = Sharing.NATIONAL) -> Select:
    """The Weapon columns of the import's accepted rows with ids from `low` to `high` (a
    batch of _batches), read out of their JSON by the database, numbered by `ordinal` in
    id order, all with `sharing`: the source of create_weapons_from_select."""
    from registry.weapons.models import Weapon

    table, weapon = ImportRow.__table__, Weapon.__table__
    # The rows are numbered apart, on their ids alone: a sort of narrow rows, in memory.
    numbered = select(table.c.id.label("row_id"), func.row_number().over(order_by=table.c.id).label("ordinal")) \
        .where(table.c.import_id == import_id, table.c.accepted.is_(True), table.c.id.between(low, high)) \
        .subquery("numbered")
    # The range again on the rows joined: the planner then reads the batch's rows by the
    # primary key rather than the import's every row.
    rows = numbered.join(table, and_(table.c.id == numbered.c.row_id, table.c.id.between(low, high)))
    if db.session.get_bind().dialect.name == "postgresql":
        # json_to_record parses each document once (->> would parse it once per key).
        def value_type(name):
            kind = weapon.c[name].type
            return String() if isinstance(kind, Enum) else kind

        values = func.json_to_record(table.c["values"]).table_valued(
            *(column(name, value_type(name)) for name in VALUE_COLUMNS)).render_derived("v", with_types=True)
        document = table.c.identification
        found = func.json_to_record(case((func.json_typeof(document) == "object", document),
                                         else_=cast(literal("{}"), JSON))).table_valued(
            *(column(key, JSON() if key == "confidence" else weapon.c[name].type)
              for key, name in IDENTIFICATION_COLUMNS.items())).render_derived("i", with_types=True)
        columns = [values.c[name].label(name) for name in VALUE_COLUMNS]
        columns += [found.c[key].label(name) for key, name in IDENTIFICATION_COLUMNS.items()]
        columns.append(literal(sharing.value, String).label("sharing"))
        return (select(table.c.id.label("import_row_id"), *columns, numbered.c.ordinal)
                .select_from(rows).join(values, true()).join(found, true()))
    columns = [func.json_extract(table.c["values"], f'$."{name}"').label(name) for name in VALUE_COLUMNS]
    columns += [func.json_extract(table.c.identification, f'$."{key}"').label(name)
                for key, name in IDENTIFICATION_COLUMNS.items()]
    columns.append(literal(sharing.value, String).label("sharing"))
    return select(table.c.id.label("import_row_id"), *columns, numbered.c.ordinal).select_from(rows)


def commit_import(actor: User, import_: Import, on_batch: Callable[[Import], None] | None = None,
                  connections: int | None = None) -> Import:
    """Write every accepted row as a weapon record, by batches, with the hit check.

    Each batch is a few set-based statements whatever its size: the records are written
    from the stored rows by one INSERT ... SELECT (create_weapons_from_select), each
    naming its row in weapon.import_row_id. Idempotent: a row whose record exists (that
    column is unique) is not written again, so running it again after an interruption at
    any point finishes the work without losing or doubling a row.

    With one connection (SQLite, whose writers take turns), the batches are written in
    the caller's transaction and `on_batch(import_)` runs after each (a job commits
    there). With more (`connections`, or the IMPORT_COMMIT_CONNECTIONS setting: two on
    PostgreSQL), the caller's transaction is committed, the references are reserved at
    once, and the batches are written side by side, each committed on its own connection;
    `on_batch` runs in the caller's thread as each one ends."""
    from registry.weapons.service import create_weapons_from_select

    if import_.status != ImportStatus.COMMITTING:
        _begin_commit(actor, import_)  # the progress is counted from the plan below
    agency = db.session.get(Agency, import_.agency_id)
    accepted, written = _commit_plan(import_.id)
    import_.progress_total, import_.progress_done = len(accepted), len(written)
    batches = list(_batches(accepted, written, COMMIT_BATCH))
    connections = min(connections or commit_connections(), len(batches))
    if connections > 1:
        _commit_side_by_side(actor, agency, import_, batches, connections, on_batch)
    else:
        for batch in batches:
            low, high = batch[0], batch[-1]
            create_weapons_from_select(actor, agency, weapon_source(import_.id, low, high, import_.sharing),
                                       len(batch),
                                       details={"import": import_.id, "import_rows": [low, high]})
            import_.progress_done += len(batch)
            if on_batch is not None:
                on_batch(import_)
    _move(import_, ImportStatus.COMMITTED)
    import_.committed_at = utcnow()
    import_.progress_done = import_.progress_total
    if import_.counts:  # the rows' statuses are as the review left them: only "created" changed
        # Every batch wrote all its rows or raised (and weapon.import_row_id is unique): the
        # records are those found before and those just written, with no count to run again.
        import_.counts = {**import_.counts, "created": len(written) + sum(map(len, batches))}
    else:
        refresh_counts(import_)
    record("import.commit", "import", import_.id, {"created": import_.counts.get("created"),
                                                   "sharing": import_.sharing.value}, user=actor)
    return import_


def commit_connections() -> int:
    """How many connections write an import's batches at once: the setting, else two on
    PostgreSQL (its backends write side by side) and one on SQLite (one writer at a time)."""
    configured = current_app.config.get("IMPORT_COMMIT_CONNECTIONS")
    if configured:
        return max(1, int(configured))
    return 2 if db.engine.dialect.name == "postgresql" else 1


def _commit_side_by_side(actor: User, agency: Agency, import_: Import, batches: list[list[int]],
                         connections: int, on_batch: Callable[[Import], None] | None) -> None:
    """The batches written by `connections` threads, each with its own session. A batch is
    one transaction: one that fails is rolled back whole, the others stay written, and the
    threads stop after the batch they are on; the error is raised here."""
    from registry.weapons.service import create_weapons_from_select, reserve_numbers_apart

    import_id, actor_id, agency_id, sharing = import_.id, actor.id, agency.id, import_.sharing
    # The threads must see the caller's work, and must not wait on the locks it holds
    # (the audit chain's head, the import's row).
    db.session.commit()
    year, number = reserve_numbers_apart(agency.country_code, sum(map(len, batches)))
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for batch in batches:
        pending.put((batch, number))
        number += len(batch)
    finished: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    app = current_app._get_current_object()

    def write() -> None:
        with app.app_context():
            try:
                writer, owner = db.session.get(User, actor_id), db.session.get(Agency, agency_id)
                while not stop.is_set():
                    try:
                        batch, first = pending.get_nowait()
                    except queue.Empty:
                        break
                    low, high = batch[0], batch[-1]
                    create_weapons_from_select(writer, owner, weapon_source(import_id, low, high, sharing),
                                               len(batch),
                                               details={"import": import_id, "import_rows": [low, high]},
                                               numbers=(year, first))
                    db.session.commit()
                    finished.put(len(batch))
            except BaseException as error:  # handed to the caller's thread, before anything else can fail
                stop.set()
                finished.put(error)
                with contextlib.suppress(Exception):  # a lost connection fails its rollback too
                    db.session.rollback()
            finally:
                db.session.remove()
                finished.put(None)

    threads = [threading.Thread(target=write, name=f"import-{import_id}-commit-{index}", daemon=True)
               for index in range(connections)]
    for thread in threads:
        thread.start()
    failure: BaseException | None = None
    try:
        running = len(threads)
        while running:
            item = finished.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                failure = failure or item
            elif failure is None:
                import_.progress_done += item
                if on_batch is not None:
                    on_batch(import_)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if failure is not None:
        raise failure


def row_counts_by_status(import_: Import) -> dict[str, int]:
    return {status: (import_.counts or {}).get(status, 0) for status in STATUSES}


__all__ = ["DUPLICATE", "INVALID", "NEEDS_REVIEW", "READY", "SKIPPED", "Analysis", "ImportCancelled",
           "analyse_file", "analyse_import", "approve_import", "cancel_import", "commit_import",
           "correct_row", "set_accepted", "upload_import"]
