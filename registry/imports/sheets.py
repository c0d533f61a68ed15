"""Sheets the import writes with openpyxl: the result of an import and the blank template.

Every text written is a string cell, never a formula: a cell typed "=HYPERLINK(...)" in the
field comes back as text (formula-safe), with Excel's quote prefix so it stays text when
the cell is edited.
"""

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from registry.extensions import db
from registry.i18n import reads_right_to_left
from registry.imports.headers import FIELDS
from registry.imports.models import Import, ImportRow
from registry.imports.rows import message_text
from registry.reference.service import weapon_type_names
from registry.weapons.hits import hit_summaries

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def status_labels() -> dict[str, str]:
    return {"ready": _("Ready"), "needs_review": _("Needs review"), "invalid": _("Invalid"),
            "duplicate": _("Duplicate"), "skipped": _("Skipped")}


def result_workbook(import_: Import) -> bytes:
    """The original rows with what the import made of each: status, identified make, model,
    calibre, type, confidence, messages, the record created and the hits it made."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Result"))
    sheet.sheet_view.rightToLeft = reads_right_to_left()
    titles = list(import_.titles or [])
    added = [_("Import status"), _("Identified make"), _("Identified model"), _("Identified calibre"),
             _("Identified type"), _("Confidence"), _("Messages"), _("Record created"), _("Hits")]
    bold = Font(bold=True)
    header = []
    for title in [_("Row"), *titles, *added]:
        cell = _cell(sheet, title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    labels = {**status_labels(), "recorded": _("Recorded")}
    type_names = weapon_type_names()
    fields = _value_keys(import_.mapping)
    # A row keeps what the analysis found in English: the sheet names it in the reader's language.
    field_labels = {"make": FIELDS["make"], "model": FIELDS["model"], "calibre": FIELDS["calibre"],
                    "type": FIELDS["type"]}
    last_id = 0
    while True:
        rows = db.session.scalars(select(ImportRow).where(
            ImportRow.import_id == import_.id, ImportRow.id > last_id).order_by(ImportRow.id).limit(2000)).all()
        if not rows:
            break
        last_id = rows[-1].id
        hits = hit_summaries([row.weapon_id for row in rows if row.weapon_id is not None])
        for row in sorted(rows, key=lambda item: item.row_number):
            found = row.identification or {}
            confidence = found.get("confidence") or {}
            cells = list(row.cells or []) + [None] * max(0, len(titles) - len(row.cells or []))
            if row.corrected:
                cells = _final_cells(cells, row.values or {}, fields)
            recorded = row.weapon_reference is not None
            sheet.append([_cell(sheet, value) for value in [
                row.row_number, *cells[:max(len(titles), len(row.cells or []))],
                labels["recorded"] if recorded else labels.get(row.status, row.status), found.get("make"), found.get("model"),
                found.get("calibre"), type_names.get(found.get("type_id")) or found.get("type"),
                ", ".join(f"{field_labels.get(name, name)} {value * 100:.0f} %"
                          for name, value in confidence.items() if value) or None,
                " ".join(message_text(item) for item in row.messages or []) or None,
                row.weapon_reference, "; ".join(hits.get(row.weapon_id, ())) or None]])
        db.session.expunge_all()
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _value_keys(mapping: dict[int, str]) -> dict[int, str]:
    """Column index -> the key of the row's values its field fills."""
    from registry.imports.rows import COUNTRY_COLUMNS, TEXT_COLUMNS

    keys = {**{name: column for name, (column, _length) in TEXT_COLUMNS.items()}, **COUNTRY_COLUMNS,
            "event_date": "event_date", "status": "status"}
    return {index: keys[name] for index, name in mapping.items() if name in keys}


def _final_cells(cells: list, values: dict, fields: dict[int, str]) -> list:
    """A corrected row's cells as the review left them: each imported column shows the
    row's final value (its record's), the others what the sheet said."""
    from registry.weapons.models import WeaponStatus

    final = list(cells)
    for index, key in fields.items():
        if index >= len(final):
            continue
        value = values.get(key)
        if key == "status" and value in WeaponStatus._value2member_map_:
            value = str(WeaponStatus(value).label)
        final[index] = value
    return final


TEMPLATE_COLUMNS = {
    "fr": ["N°", "Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Pays de fabrication",
           "Pays d'importation", "Importateur", "Marquages", "Date de saisie", "Lieu de saisie", "Région",
           "Référence dossier", "Statut", "Observations"],
    "en": ["No.", "Make", "Model", "Serial number", "Calibre", "Weapon type", "Country of manufacture",
           "Country of import", "Importer", "Markings", "Date of seizure", "Place of seizure", "Region",
           "Case reference", "Status", "Notes"],
    "ar": ["م", "الصانع", "الطراز", "الرقم التسلسلي", "العيار", "نوع السلاح", "بلد الصنع", "بلد الاستيراد",
           "المستورد", "العلامات", "تاريخ الضبط", "مكان الضبط", "المنطقة", "مرجع القضية", "الحالة",
           "ملاحظات"],
}
TEMPLATE_SHEETS = {"fr": ("Saisies", "Listes"), "en": ("Seizures", "Lists"), "ar": ("المضبوطات", "القوائم")}
TEMPLATE_STATUSES = {
    "fr": ["Saisie", "Trouvée", "Remise volontaire", "Perdue", "Volée", "Trafic", "Détruite", "Restituée"],
    "en": ["Seized", "Found", "Surrendered", "Lost", "Stolen", "Trafficked", "Destroyed", "Returned"],
    "ar": ["مضبوط", "معثور عليه", "مسلم طوعا", "مفقود", "مسروق", "متجر به", "متلف", "معاد"],
}


def template_workbook(language: str) -> bytes:
    """A blank sheet with the headers the import knows and drop-down lists for the status,
    the weapon type and the calibre."""
    from registry.reference.models import Calibre, WeaponType

    language = language if language in TEMPLATE_COLUMNS else "fr"
    book = Workbook()
    sheet = book.active
    sheet.title, lists_title = TEMPLATE_SHEETS[language]
    sheet.sheet_view.rightToLeft = language == "ar"  # the template's language, not the reader's
    columns = TEMPLATE_COLUMNS[language]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    lists = book.create_sheet(lists_title)
    lists.sheet_state = "hidden"
    types = [{"fr": item.name_fr, "en": item.name_en}.get(language) or item.name_ar or item.name_fr
             for item in db.session.scalars(select(WeaponType).order_by(WeaponType.id))]
    calibres = list(db.session.scalars(select(Calibre.name).order_by(Calibre.name)))
    choices = {columns[14]: TEMPLATE_STATUSES[language], columns[5]: types, columns[4]: calibres}
    for position, (column_title, values) in enumerate(choices.items(), start=1):
        letter = chr(ord("A") + position - 1)
        lists.cell(row=1, column=position, value=column_title)
        for number, value in enumerate(values, start=2):
            lists.cell(row=number, column=position, value=value)
        if not values:
            continue
        target = chr(ord("A") + columns.index(column_title))
        # A sheet name in another script than Latin is quoted in a formula.
        sheet_name = lists.title if lists.title.isascii() else f"'{lists.title}'"
        validation = DataValidation(type="list", formula1=f"={sheet_name}!${letter}$2:${letter}${len(values) + 1}",
                                    allow_blank=True)
        validation.add(f"{target}2:{target}5000")
        sheet.add_data_validation(validation)
    for index, title in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, len(title) + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
