"""A result list as an .xlsx workbook or a CSV file, safe to open in a spreadsheet.

Each row holds what the reader may see of the record (registry.weapons.sharing): every
field for its own state's records, the shared part for another state's, the withheld
cells left empty. Values as typed stand beside the reference table's identification;
dates are real date cells; the header row is frozen and filtered.
"""

import csv
import io
from datetime import date, datetime

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from registry.auth.models import User
from registry.i18n import reads_right_to_left
from registry.reference.service import weapon_type_names
from registry.weapons import sharing
from registry.weapons.models import Weapon

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is written as text (a leading quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _label(value):
    return str(value.label) if value is not None else None


def _local(moment: datetime | None):
    """A moment as the reader's clock shows it (spreadsheets know no time zone)."""
    return to_user_timezone(moment).replace(tzinfo=None) if moment else None


def columns(type_names: dict[int, str]):
    """(title, getter) of every column; a getter reads the reader's view of a record."""
    return [
        (_("Reference"), lambda w: w.reference), (_("Country"), lambda w: w.country_code),
        (_("Agency"), lambda w: w.agency.code if w.agency else None),
        (_("Status"), lambda w: _label(w.status)), (_("Sharing"), lambda w: _label(w.sharing)),
        (_("Make as typed"), lambda w: w.raw_make),
        (_("Make identified"), lambda w: w.make.name if w.make else None),
        (_("Model as typed"), lambda w: w.raw_model),
        (_("Model identified"), lambda w: w.model.name if w.model else None),
        (_("Calibre as typed"), lambda w: w.raw_calibre),
        (_("Calibre identified"), lambda w: w.calibre.name if w.calibre else None),
        (_("Type as typed"), lambda w: w.raw_type),
        (_("Type identified"), lambda w: type_names.get(w.type_id)),
        (_("Serial number"), lambda w: w.raw_serial), (_("Serial compared as"), lambda w: w.serial_key),
        (_("Serial state"), lambda w: _label(w.serial_state)),
        (_("Importer marking"), lambda w: w.marking_importer), (_("Proof marks"), lambda w: w.marking_proof),
        (_("Year marking"), lambda w: w.marking_year), (_("Other markings"), lambda w: w.marking_other),
        (_("Country of manufacture"), lambda w: w.manufacture_country_code),
        (_("Country of last legal import"), lambda w: w.last_import_country_code),
        (_("Event date"), lambda w: w.event_date), (_("Month of the event"), lambda w: w.event_month),
        (_("Country of the event"), lambda w: w.event_country_code),
        (_("Town"), lambda w: w.event_town), (_("Region"), lambda w: w.event_region),
        (_("Latitude"), lambda w: w.latitude), (_("Longitude"), lambda w: w.longitude),
        (_("Case reference"), lambda w: w.case_reference), (_("Legal ground"), lambda w: w.legal_ground),
        (_("Criminal context"), lambda w: w.criminal_context),
        (_("Circumstances"), lambda w: w.circumstances), (_("Notes"), lambda w: w.notes),
        (_("Tracing contact"), lambda w: w.tracing_contact),
        (_("Recorded on"), lambda w: _local(w.created_at)), (_("Changed on"), lambda w: _local(w.updated_at)),
    ]


def export_table(user: User, weapons: list[Weapon]) -> tuple[list[str], list[list]]:
    """The header and the rows of an export of `weapons` for `user`."""
    spec = columns(weapon_type_names())
    rows = []
    for weapon in weapons:
        shown = sharing.for_reader(user, weapon)
        rows.append([getter(shown) for _title, getter in spec])
    return [title for title, _getter in spec], rows


def weapons_workbook(user: User, weapons: list[Weapon]) -> bytes:
    header, rows = export_table(user, weapons)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Weapons")
    sheet.sheet_view.rightToLeft = reads_right_to_left()
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    month_column = header.index(_("Month of the event"))
    for index, column_cells in enumerate(sheet.iter_cols(min_row=2)):
        if any(isinstance(cell.value, datetime) for cell in column_cells):
            shown = "dd/mm/yyyy hh:mm"
        elif any(isinstance(cell.value, date) for cell in column_cells):
            shown = "mm/yyyy" if index == month_column else "dd/mm/yyyy"
        else:
            continue
        for cell in column_cells:
            cell.number_format = shown
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(str(value))


def weapons_csv(user: User, weapons: list[Weapon]) -> bytes:
    """The same table as CSV, in UTF-8 with a byte order mark so that spreadsheets read the
    accents; separated by semicolons where the reader's decimal sign is a comma (French)."""
    header, rows = export_table(user, weapons)
    locale = get_locale()
    delimiter = ";" if locale is not None and get_decimal_symbol(locale) == "," else ","
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
