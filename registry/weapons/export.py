"""A result list as an .xlsx workbook, safe to open in a spreadsheet."""

import io

from flask_babel import gettext as _
from openpyxl import Workbook

from registry.weapons.models import Weapon

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is written as text (a leading quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def columns():
    return [
        (_("Reference"), lambda w: w.reference), (_("Country"), lambda w: w.country_code),
        (_("Agency"), lambda w: w.agency.code), (_("Status"), lambda w: str(w.status.label)),
        (_("Sharing"), lambda w: w.sharing.value), (_("Make"), lambda w: w.raw_make),
        (_("Model"), lambda w: w.raw_model), (_("Calibre"), lambda w: w.raw_calibre),
        (_("Type"), lambda w: w.raw_type), (_("Serial number"), lambda w: w.raw_serial),
        (_("Serial state"), lambda w: str(w.serial_state.label)),
        (_("Importer marking"), lambda w: w.marking_importer),
        (_("Country of manufacture"), lambda w: w.manufacture_country_code),
        (_("Country of last legal import"), lambda w: w.last_import_country_code),
        (_("Event date"), lambda w: w.event_date.isoformat() if w.event_date else None),
        (_("Town"), lambda w: w.event_town), (_("Region"), lambda w: w.event_region),
        (_("Case reference"), lambda w: w.case_reference),
        (_("Circumstances"), lambda w: w.circumstances),
    ]


def weapons_workbook(weapons: list[Weapon]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Weapons"))
    spec = columns()
    sheet.append([title for title, _getter in spec])
    for weapon in weapons:
        sheet.append([safe_cell(getter(weapon)) for _title, getter in spec])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
