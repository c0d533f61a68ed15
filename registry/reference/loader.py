"""Reading a reference table from a spreadsheet, checked whole before anything is written.

The format (the same for the starter table shipped with the registry and for a table a
platform admin uploads): one sheet with a header row of make, model, type, calibre,
country, make aliases, model aliases (or marque, modèle, type, calibre, pays, alias
marque, alias modèle), aliases and calibres separated by ";", the country as an ISO code
or a name in English or French; an optional sheet "Calibres" (calibre, aliases) and an
optional sheet "Types" (English, French, aliases).
"""

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from python_calamine import CalamineWorkbook

from registry.errors import DomainError
from registry.reference.normalize import key

# Column -> the header spellings that name it (compared by `key()`: case, accents and
# punctuation do not count).
TABLE_HEADERS = {
    "make": ("make", "marque", "manufacturer", "fabricant"),
    "model": ("model", "modèle", "modele"),
    "type": ("type", "weapon type", "type d'arme", "catégorie", "category"),
    "calibre": ("calibre", "caliber", "calibres", "calibers"),
    "country": ("country", "pays", "country of manufacture", "pays de fabrication"),
    "make_aliases": ("make aliases", "make alias", "alias marque", "aliases marque", "alias de la marque",
                     "autres noms marque"),
    "model_aliases": ("model aliases", "model alias", "alias modèle", "alias modele", "aliases modèle",
                      "alias du modèle", "autres noms modèle"),
}
CALIBRE_HEADERS = {
    "calibre": ("calibre", "caliber", "name", "nom"),
    "aliases": ("aliases", "alias", "calibre aliases", "alias calibre"),
}
TYPE_HEADERS = {
    "name_en": ("english", "anglais", "name en", "type", "en"),
    "name_fr": ("french", "français", "francais", "name fr", "nom", "fr"),
    "name_ar": ("arabic", "arabe", "name ar", "ar", "العربية"),
    "aliases": ("aliases", "alias"),
}
CALIBRE_SHEET, TYPE_SHEET = "calibres", "types"
HEADER_SEARCH_ROWS = 15
MAX_NAME = 120


class LoadError(DomainError):
    """A reference spreadsheet that cannot be loaded; says where."""

    def __init__(self, message, sheet: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.sheet, self.row, self.column = sheet, row, column

    def where(self) -> str:
        from flask_babel import gettext

        parts = [gettext("sheet '%(sheet)s'", sheet=self.sheet)]
        if self.row is not None:
            parts.append(gettext("row %(row)s", row=self.row))
        if self.column is not None:
            parts.append(gettext("column %(column)s", column=self.column))
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass
class TableRow:
    sheet: str
    row: int
    make: str
    model: str | None
    type: str | None
    calibres: list[str]
    country: str | None  # as typed; checked against the countries when applied
    make_aliases: list[str]
    model_aliases: list[str]
    columns: dict[str, str]  # field -> column letter, for messages


@dataclass
class ReferenceFile:
    rows: list[TableRow] = field(default_factory=list)
    calibres: list[tuple[str, list[str]]] = field(default_factory=list)
    types: list[tuple[str, str, list[str], str | None]] = field(default_factory=list)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _split(value) -> list[str]:
    return [part.strip() for part in _text(value).replace("\n", ";").split(";") if part.strip()]


def _find_header(sheet: str, rows: list[list], headers: dict, required: tuple[str, ...]) -> tuple[int, dict]:
    spellings = {key(spelling): name for name, names in headers.items() for spelling in names}
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for index, cell in enumerate(row):
            name = spellings.get(key(_text(cell)))
            if name is not None and name not in columns:
                columns[name] = index
        if all(name in columns for name in required):
            return number, columns
    wanted = ", ".join(headers[name][0] for name in required)
    raise LoadError(_l("No header row with the columns: %(columns)s.", columns=wanted), sheet, None, None)


def read_workbook(source) -> dict[str, list[list]]:
    """Every sheet's rows of cell values. `source` is a path or the file's bytes."""
    try:
        if isinstance(source, bytes | bytearray):
            import io

            workbook = CalamineWorkbook.from_filelike(io.BytesIO(source))
        else:
            workbook = CalamineWorkbook.from_path(str(Path(source)))
        return {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in workbook.sheet_names}
    except Exception as error:  # calamine raises several kinds for a file that is not a workbook
        raise LoadError(_l("The file is not a readable spreadsheet (%(error)s).", error=str(error)[:200]),
                        "-") from None


def parse(sheets: dict[str, list[list]]) -> ReferenceFile:
    """Check the whole file and return what it says; raise LoadError at the first problem."""
    result = ReferenceFile()
    main_sheets = [name for name in sheets if key(name) not in (CALIBRE_SHEET, TYPE_SHEET)]
    if not main_sheets:
        raise LoadError(_l("The file has no sheet of makes and models."), "-")
    table_sheet = main_sheets[0]
    rows = sheets[table_sheet]
    header_row, columns = _find_header(table_sheet, rows, TABLE_HEADERS, ("make", "model"))
    letters = {name: column_letter(index) for name, index in columns.items()}
    for number, row in enumerate(rows[header_row + 1:], start=header_row + 2):
        def cell(name, row=row):
            index = columns.get(name)
            return row[index] if index is not None and index < len(row) else None

        make, model = _text(cell("make")), _text(cell("model"))
        if not any(_text(value) for value in row):
            continue
        if not make:
            raise LoadError(_l("The make is empty."), table_sheet, number, letters["make"])
        for name, value in (("make", make), ("model", model)):
            if len(value) > MAX_NAME:
                raise LoadError(_l("Longer than %(count)s characters.", count=MAX_NAME), table_sheet, number,
                                letters[name])
        model_aliases = _split(cell("model_aliases"))
        if model_aliases and not model:
            raise LoadError(_l("Model aliases are given without a model."), table_sheet, number,
                            letters["model_aliases"])
        result.rows.append(TableRow(
            sheet=table_sheet, row=number, make=make, model=model or None,
            type=_text(cell("type")) or None, calibres=_split(cell("calibre")),
            country=_text(cell("country")) or None, make_aliases=_split(cell("make_aliases")),
            model_aliases=model_aliases, columns=letters))
    for name, rows in sheets.items():
        if key(name) == CALIBRE_SHEET:
            header_row, columns = _find_header(name, rows, CALIBRE_HEADERS, ("calibre",))
            for number, row in enumerate(rows[header_row + 1:], start=header_row + 2):
                calibre = _text(row[columns["calibre"]]) if columns["calibre"] < len(row) else ""
                aliases = _split(row[columns["aliases"]]) if "aliases" in columns and columns["aliases"] < len(row) else []
                if not calibre:
                    if aliases:
                        raise LoadError(_l("The calibre is empty."), name, number,
                                        column_letter(columns["calibre"]))
                    continue
                result.calibres.append((calibre, aliases))
        elif key(name) == TYPE_SHEET:
            header_row, columns = _find_header(name, rows, TYPE_HEADERS, ("name_en", "name_fr"))
            for number, row in enumerate(rows[header_row + 1:], start=header_row + 2):
                values = {field_name: row[index] if index < len(row) else None
                          for field_name, index in columns.items()}
                name_en, name_fr = _text(values.get("name_en")), _text(values.get("name_fr"))
                if not name_en and not name_fr:
                    continue
                if not name_en or not name_fr:
                    missing = "name_en" if not name_en else "name_fr"
                    raise LoadError(_l("A type needs its English and French names."), name, number,
                                    column_letter(columns[missing]))
                result.types.append((name_en, name_fr, _split(values.get("aliases")),
                                     _text(values.get("name_ar")) or None))
    return result
