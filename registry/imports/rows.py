"""Understanding the rows of a sheet: raw cells kept, values parsed, weapons identified,
duplicates found, and a status per row.

Work that repeats is done once: each distinct (make, model, calibre, type) spelling is
identified once, each distinct date, status and country text parsed once, and existing
records are looked up for all the file's serials in a few queries.
"""

import re
import threading
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import repeat

from flask_babel import lazy_gettext as _l

from registry.imports.headers import HeaderMatch, normalize_title
from registry.imports.reader import Sheet
from registry.reference.normalize import country_code, country_keys

READY = "ready"
NEEDS_REVIEW = "needs_review"
INVALID = "invalid"
DUPLICATE = "duplicate"
SKIPPED = "skipped"
STATUSES = (READY, NEEDS_REVIEW, INVALID, DUPLICATE, SKIPPED)

MAX_CELL_CHARACTERS = 2000  # kept of a raw cell; a longer one is cut, with a message
EARLIEST_DATE = date(1850, 1, 1)
EXCEL_EPOCH = date(1899, 12, 30)

# Sheet field -> Weapon column, for plain text fields, with the column's length.
TEXT_COLUMNS = {
    "make": ("raw_make", 200), "model": ("raw_model", 200), "calibre": ("raw_calibre", 100),
    "type": ("raw_type", 100), "serial": ("raw_serial", 100), "event_town": ("event_town", 200),
    "event_region": ("event_region", 200), "case_reference": ("case_reference", 100),
    "markings": ("marking_other", 500), "importer": ("marking_importer", 200),
    "proof": ("marking_proof", 200), "year": ("marking_year", 20),
    "legal_ground": ("legal_ground", 200), "circumstances": ("circumstances", 10_000),
    "notes": ("notes", 10_000),
}
COUNTRY_COLUMNS = {"manufacture_country": "manufacture_country_code",
                   "import_country": "last_import_country_code", "event_country": "event_country_code"}

# --- Messages (stored as keys, shown translated) --------------------------------------------

MESSAGES = {
    "blank": _l("Blank row."),
    "total": _l("Total row."),
    "header_again": _l("The header row repeated."),
    "nothing": _l("Nothing describes a weapon: no make, model, type or serial."),
    "no_name": _l("Nothing names the weapon: no make, model or type, only a serial."),
    "no_weapon": _l("Nothing names a weapon: “%(value)s” is no make, model or type."),
    "unidentified": _l("Neither the make nor the model was identified: correct them, or accept the row "
                       "as it is."),
    "date_unreadable": _l("The date “%(value)s” was not understood."),
    "date_future": _l("The date %(value)s is in the future."),
    "date_old": _l("The date %(value)s is before 1850."),
    "status_unknown": _l("The status “%(value)s” was not understood; “seized” was assumed."),
    "status_assumed": _l("The status “%(value)s” was not understood; the import's default status was assumed."),
    "country_unknown": _l("The country “%(value)s” was not understood."),
    "cut": _l("Column “%(column)s” held %(length)d characters: the first %(kept)d were kept."),
    "identification": _l("The identification is unsure: check the make and model."),
    "duplicate_file": _l("Same serial and make as row %(row)d of this file."),
    "duplicate_record": _l("A record with this serial and make already exists."),
    "duplicate_import": _l("Already recorded as %(reference)s: an earlier import had this same row, "
                           "and there is no serial to tell two weapons apart."),
    "formula": _l("Column “%(column)s” starts with “=”: kept as text, not calculated."),
}


def message(key: str, **params) -> dict:
    return {"key": key, "params": params}


# Messages shared by the many rows they concern (never changed in place).
UNIDENTIFIED = message("unidentified")
UNSURE = message("identification")


def message_text(item: dict) -> str:
    """A stored message in the current language."""
    template = MESSAGES.get(item.get("key"))
    if template is None:
        return str(item.get("key"))
    return str(template) % item.get("params", {}) if item.get("params") else str(template)


def english_text(item: dict) -> str:
    template = MESSAGES.get(item.get("key"))
    if template is None:
        return str(item.get("key"))
    text = template._args[0] if hasattr(template, "_args") else str(template)
    return text % item["params"] if item.get("params") else text


# --- Dates --------------------------------------------------------------------------------------

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1, "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2,
    "february": 2, "mars": 3, "mar": 3, "march": 3, "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5, "juin": 6, "jun": 6, "june": 6, "juillet": 7, "juil": 7, "jul": 7,
    "july": 7, "aout": 8, "aou": 8, "aug": 8, "august": 8, "septembre": 9, "sept": 9, "sep": 9,
    "september": 9, "octobre": 10, "oct": 10, "october": 10, "novembre": 11, "nov": 11,
    "november": 11, "decembre": 12, "dec": 12, "december": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_WORD_DATE = re.compile(r"^(?:1er|(\d{1,2})(?:er)?)\s+([a-z]+)\.?\s+(\d{2,4})$")


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        # Two digits: this century unless that is in the future.
        year += 2000 if year <= date.today().year % 100 else 1900
    return year


@lru_cache(maxsize=50_000)
def _parse_date_text(text: str) -> date | None:
    text = normalize_title(text) if not _NUMERIC_DATE.match(text.strip()) else text.strip()
    match = _NUMERIC_DATE.match(text)
    try:
        if match:
            first, second, third = match.groups()
            if len(first) == 4:
                return date(int(first), int(second), int(third))
            return date(_year(third), int(second), int(first))  # day first, as in French
        if re.fullmatch(r"\d{4} \d{1,2} \d{1,2}( \d{1,2} \d{2}( \d{2})?)?", text):
            parts = text.split()
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if re.fullmatch(r"\d{1,2} \d{1,2} \d{2,4}", text):
            day, month, year = text.split()
            return date(_year(year), int(month), int(day))
        match = _WORD_DATE.match(text)
        if match and match.group(2) in MONTHS:
            return date(_year(match.group(3)), MONTHS[match.group(2)], int(match.group(1) or 1))
    except ValueError:
        return None
    return None


def parse_date(value) -> date | None:
    """A date from an Excel date, an Excel serial number, dd/mm/yyyy, dd-mm-yy, ISO or
    '12 mars 2024'; None when not understood."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if 1 <= value < 2_958_466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    return _parse_date_text(text[:40])


def read_date(value, today: date) -> tuple:
    """(ISO date, None, None) for a good date of an event, else (None, message key, its
    value): not understood, in the future, or before 1850."""
    parsed = parse_date(value)
    if parsed is None:
        return None, "date_unreadable", (_cell_text(value) or "")[:40]
    if parsed > today:
        return None, "date_future", parsed.isoformat()
    if parsed < EARLIEST_DATE:
        return None, "date_old", parsed.isoformat()
    return parsed.isoformat(), None, None


# --- Statuses -----------------------------------------------------------------------------------

STATUS_WORDS = {
    "seized": ("saisie", "saisi", "saisies", "saisis", "seized", "seizure", "confisque", "confisquee",
               "confiscation", "confiscated", "saisie douane", "interception", "intercepte", "interceptee"),
    "found": ("trouvee", "trouve", "trouvees", "decouverte", "decouvert", "ramassee", "ramasse",
              "found", "abandonnee", "abandonne", "recuperee", "recupere", "recovered"),
    "surrendered": ("remise volontaire", "remise", "remis", "remises", "deposee", "depose",
                    "cession volontaire", "collecte", "collectee", "surrendered", "handed in",
                    "voluntary surrender", "remise volontairement", "depot volontaire"),
    "lost": ("perdue", "perdu", "perte", "lost", "egaree", "egare", "disparue", "missing"),
    "stolen": ("volee", "vole", "vol", "volees", "stolen", "theft", "derobee", "derobe"),
    "trafficked": ("trafic", "trafiquee", "trafique", "contrebande", "traffic", "trafficked",
                   "trafficking", "smuggled", "smuggling", "trafic illicite"),
    "destroyed": ("detruite", "detruit", "detruites", "destruction", "destroyed"),
    "returned": ("restituee", "restitue", "restitution", "rendue", "rendu", "returned",
                 "rendue au proprietaire"),
}
ARABIC_STATUS_WORDS = {
    "seized": ("مضبوط", "مضبوطة", "ضبط", "محجوز", "محجوزة", "حجز", "مصادر", "مصادرة"),
    "found": ("معثور عليه", "معثور عليها", "عثر عليه", "عثر عليها", "مسترجع", "مسترجعة"),
    "surrendered": ("مسلم", "مسلمة", "مسلم طوعا", "تسليم", "تسليم طوعي", "تسليم طوعا"),
    "lost": ("مفقود", "مفقودة", "فقدان", "ضائع"),
    "stolen": ("مسروق", "مسروقة", "سرقة"),
    "trafficked": ("متجر به", "مهرب", "مهربة", "تهريب", "اتجار", "اتجار غير مشروع"),
    "destroyed": ("متلف", "متلفة", "اتلاف", "مدمر"),
    "returned": ("معاد", "معادة", "مرجع", "ارجاع", "اعادة"),
}
_STATUS_LOOKUP = {word: status for status, words in STATUS_WORDS.items() for word in words}
for _status, _words in ARABIC_STATUS_WORDS.items():
    _STATUS_LOOKUP.update({normalize_title(word): _status for word in _words})


@lru_cache(maxsize=5000)
def parse_status(text: str) -> str | None:
    """A WeaponStatus value from a French, English or Arabic word; None when not understood."""
    normal = normalize_title(text)
    if normal in _STATUS_LOOKUP:
        return _STATUS_LOOKUP[normal]
    words = normal.split()
    for size in (3, 2, 1):  # "remise volontaire par le chef de village" -> surrendered
        for start in range(len(words) - size + 1):
            found = _STATUS_LOOKUP.get(" ".join(words[start:start + size]))
            if found:
                return found
    return None


# --- Countries ----------------------------------------------------------------------------------

class CountryNames:
    """Country names in French and English (and codes, usual and former names) to ISO
    codes, read as identification reads them (reference.normalize.country_keys)."""

    def __init__(self, countries: list[tuple[str, str, str, str]]):
        self.keys = country_keys(countries)
        self.cache: dict[str, str | None] = {}

    @classmethod
    def from_database(cls) -> "CountryNames":
        from sqlalchemy import select

        from registry.auth.models import Country
        from registry.extensions import db

        return cls(list(db.session.execute(
            select(Country.code, Country.alpha3, Country.name_en, Country.name_fr)).all()))

    def code(self, text: str) -> str | None:
        if text not in self.cache:
            self.cache[text] = country_code(self.keys, text)
        return self.cache[text]


# --- Rows ------------------------------------------------------------------------------------


class RowResult:
    """One data row: its raw cells, status, understood values, identification, messages.

    A row read by columns keeps its values as a tuple beside the column names and makes
    the dict the first time `values` is asked for (storing the rows, a correction): the
    analysis of a large sheet holds no dict per row, and the command-line report, which
    needs none, never makes them."""

    __slots__ = ("row", "cells", "status", "_values", "identification", "messages", "_plain", "_keys",
                 "_serial")

    def __init__(self, row: int, cells: list, status: str = READY, values: dict | None = None,
                 identification: dict | None = None, messages: list | None = None):
        self.row = row
        self.cells = cells
        self.status = status
        self._values = {} if values is None else values
        self.identification = identification
        self.messages = [] if messages is None else messages
        self._plain = self._keys = self._serial = None

    @property
    def values(self) -> dict:
        if self._values is None:
            values = {key: value for key, value in zip(self._keys, self._plain, strict=True) if value is not None}
            values["serial_state"], values["serial_key"] = self._serial
            self._values = values
            self._plain = self._keys = self._serial = None
        return self._values

    @property
    def serial_key(self) -> str | None:
        return self._serial[1] if self._values is None else self._values.get("serial_key")

    @values.setter
    def values(self, values: dict) -> None:
        self._values = values
        self._plain = self._keys = self._serial = None

    def __eq__(self, other) -> bool:
        return isinstance(other, RowResult) and (
            self.row, self.cells, self.status, self.values, self.identification, self.messages) == (
            other.row, other.cells, other.status, other.values, other.identification, other.messages)

    def __repr__(self) -> str:
        return f"RowResult(row={self.row}, status={self.status!r}, values={self.values!r})"

    @property
    def accepted(self) -> bool:
        return self.status == READY

    def report(self, english: bool = True) -> dict:
        """The row as the command-line report shows it."""
        found = self.identification or {}
        render = english_text if english else message_text
        return {
            "row": self.row, "status": self.status,
            "make": found.get("make"), "model": found.get("model"),
            "calibre": found.get("calibre"), "type": found.get("type"),
            "confidence": found.get("confidence") or {},
            "messages": [render(item) for item in self.messages],
            "suggestions": found.get("suggestions") or [],
        }


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return unicodedata.normalize("NFC", text) if not text.isascii() else text or None


def _clean_text(value) -> str | None:
    """A text cell without its outer spaces, in NFC; any other cell as text."""
    if value.__class__ is str:
        text = value.strip()
        return unicodedata.normalize("NFC", text) if not text.isascii() else text
    return _cell_text(value)


_TEXT, _DATE, _STATUS, _COUNTRY = range(4)
# A text column is read in row order (not through a table of its distinct values) when
# more than this share of a sample of its cells differ: serials, case references.
ROW_ORDER_SHARE = 0.25
TEXT_CACHE_SIZE = 20_000  # clean values kept per column (serials and references rarely repeat)
_MISSING = object()
_PLAIN_SERIAL = re.compile(r"[A-Za-z0-9 ./\-_]*[0-9][A-Za-z0-9 ./\-_]*")
_PLAIN_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, ".": None, "/": None, "-": None,
                             "_": None})
_TOTAL = re.compile(r"^\s*(sous[\s-]*)?(total|totaux|totals|subtotal|sub[\s-]total|grand[\s-]total)\b",
                    re.IGNORECASE)


_NO_IDENTIFICATION: dict = {}
BATCH_FROM = 1000  # distinct spellings from which a sheet's are identified in one batch
# Cells that stand for "not known" rather than name anything.
PLACEHOLDERS = frozenset({"inconnu", "inconnue", "unknown", "nd", "n d", "na", "n a", "neant", "aucun",
                          "aucune", "none", "nil", "ras", "x", "xx", "xxx"})


def names_something(text: str | None) -> bool:
    """Whether a make, model or type cell names anything: not blank, not a formula, not
    only punctuation ("???", "-"), not a placeholder ("inconnu", "N/A")."""
    if not text or text[0] == "=" or not any(character.isalnum() for character in text):
        return False
    return normalize_title(text) not in PLACEHOLDERS


def unnamed_message(spelling: tuple, raw_serial) -> dict | None:
    """Why a row whose (make, model, calibre, type) is `spelling` names no weapon, or None
    when its make, model or type names something."""
    make, model, _calibre, kind = spelling
    if names_something(make) or names_something(model) or names_something(kind):
        return None
    written = next((text for text in (make, model, kind) if text), None)
    if written is not None:
        return message("no_weapon", value=written[:60])
    return message("no_name") if raw_serial else message("nothing")


def doubt_message(found: dict) -> dict | None:
    """Why a row with this identification is left for review, or None when it is sure."""
    if found.get("make_id") is None and found.get("model_id") is None:
        return UNIDENTIFIED
    if found.get("needs_review"):
        return UNSURE
    return None


_SLOW = object()  # a cell whose reading gives a message: its row is read by RowAnalyser._parse


def _serial_state_and_key(raw_serial, detect_serial_state, serial_key, SerialState) -> tuple:
    if raw_serial and _PLAIN_SERIAL.fullmatch(raw_serial):
        # Letters, digits and separators with a digit: readable, and its key is plain
        # ASCII folding (the same as serial_key() gives, far cheaper).
        return "readable", raw_serial.upper().translate(_PLAIN_FOLD) or None
    state = detect_serial_state(raw_serial)
    key = serial_key(raw_serial) if state is SerialState.READABLE else None
    if state is SerialState.READABLE and key is None:
        state = SerialState.UNREADABLE
    return state.value, key


def _plain_keys(serials: list[str]) -> list[str]:
    """The keys of plain serials (see _serial_state_and_key), all at once (a digit stays:
    a plain serial's key is never empty); an empty text gives an empty key."""
    return "\n".join(serials).upper().translate(_PLAIN_FOLD).split("\n") if serials else []


def _lines(texts: list[str]) -> str | None:
    """The texts joined one a line, or None when one of them holds a line break."""
    joined = "\n".join(texts)
    return joined if joined.count("\n") == len(texts) - 1 else None


def _clean_lines(length: int, serials: bool = False) -> re.Pattern:
    """Lines that are already clean text: printable ASCII, no space at either end, not
    starting with '=', at most `length` characters (their cleaning leaves them as they are).
    With `serials`, only plain serials among them: letters, digits and separators, with a
    digit (see _serial_state_and_key)."""
    if serials:
        return re.compile(rf"^(?:((?=[^\n]*[0-9])[A-Za-z0-9./\-_](?:[A-Za-z0-9 ./\-_]{{0,{length - 2}}}"
                          rf"[A-Za-z0-9./\-_])?)|.*)$", re.MULTILINE)
    return re.compile(rf"^(?:([!-<>-~](?:[ -~]{{0,{length - 2}}}[!-~])?)|.*)$", re.MULTILINE)


class _Interned:
    """The parts that tens of thousands of identifications repeat (their confidences,
    methods and suggestions) kept once: a sheet where most rows are spelled differently
    holds one identification a row. Nothing changes an analysis's identifications in place."""

    def __init__(self):
        self.parts: dict = {}

    def _same(self, value: dict) -> dict:
        return self.parts.setdefault(tuple(value.items()), value)

    def identification(self, found: dict) -> dict:
        found["confidence"] = self._same(found["confidence"])
        found["methods"] = self._same(found["methods"])
        suggestions = found["suggestions"]
        if suggestions:
            found["suggestions"] = [self._same(item) for item in suggestions]
        else:
            found["suggestions"] = _NO_SUGGESTIONS
        return found


_NO_SUGGESTIONS: list = []


class RowAnalyser:
    """Turns the data rows of a sheet into RowResults for one country."""

    def __init__(self, country_code: str, header: HeaderMatch, mapping: dict[int, str] | None = None,
                 identifier=None, countries: CountryNames | None = None, default_status: str = "seized"):
        self.country_code = country_code
        # A row's status where its cell is blank, missing or not understood.
        self.default_status = default_status
        self.status_unknown = "status_unknown" if default_status == "seized" else "status_assumed"
        self.header = header
        self.mapping = dict(sorted((mapping if mapping is not None else header.mapping).items()))
        self.columns = list(self.mapping.items())
        self.identifier = identifier
        self.countries = countries
        self.identifications: dict[tuple, dict] = {}
        self.titles = header.titles
        self.header_normal = [normalize_title(title) for title in header.titles]
        self.today = date.today()
        self.dates: dict = {}
        self.statuses: dict = {}
        self.country_codes: dict = {}
        self.serial_states: dict = {}  # serial text -> (state, key), filled when read by columns
        self.serial_rows: list | None = None  # each row's serial (state, key), when read by columns
        self.plan = []
        self.serial_index = None
        mapped_indexes = {index for index, _name in self.columns}
        self.unmapped = [index for index in range(max(len(self.titles), max(mapped_indexes, default=0) + 1) + 8)
                         if index not in mapped_indexes]
        for index, name in self.columns:
            # The last item: text cell -> its clean value, for cells that need no message
            # (a column's repeated makes, places, notes... are cleaned once).
            if name in TEXT_COLUMNS:
                self.plan.append((index, name, _TEXT) + TEXT_COLUMNS[name] + ({},))
            elif name in COUNTRY_COLUMNS:
                self.plan.append((index, name, _COUNTRY, COUNTRY_COLUMNS[name], 2, None))
            elif name == "event_date":
                self.plan.append((index, name, _DATE, "event_date", 10, None))
            elif name == "status":
                self.plan.append((index, name, _STATUS, "status", 32, None))
            if name == "serial":
                self.serial_index = index

    def title(self, index: int) -> str:
        return self.titles[index] if index < len(self.titles) and self.titles[index] else f"#{index + 1}"

    def analyse(self, sheet: Sheet, existing_keys=None, by_columns: bool = True) -> list[RowResult]:
        """Every data row below the header: parsed, identified, checked for duplicates.
        `existing_keys(keys)` answers the (serial_key, make_id) pairs already recorded.
        `by_columns=False` reads every row through the row-by-row path (for the tests that
        compare the two)."""
        from registry.weapons.serials import SerialState, detect_serial_state, serial_key

        results: list[RowResult] = []
        self.keyed = []  # rows with a serial key, in order
        first = self.header.row  # rows[first] is the first data row (Excel row first + 1)
        data = sheet.rows[first:]
        if by_columns and data:
            self._analyse_by_columns(data, first, results)
        else:
            for offset, cells in enumerate(data):
                result = RowResult(row=first + offset + 1, cells=cells)
                results.append(result)
                self._parse(result, cells, detect_serial_state, serial_key, SerialState)
        self._find_duplicates(self.keyed, existing_keys)
        return results

    # A large sheet is read column by column: each column's distinct values are understood
    # once, and a row whose cells all read plainly (no message to give) is put together
    # from them. A row with anything to say (blank, total, header again, a date, status or
    # country not understood, a long cell, a formula, nothing describing a weapon) goes
    # through _parse, the row-by-row reading, which decides for it. Both give the same
    # results: a test compares them on messy sheets.

    def _analyse_by_columns(self, data: list[list], first: int, results: list) -> None:
        from registry.weapons.serials import SerialState, detect_serial_state, serial_key

        count = len(data)
        width = max(map(len, data))
        slow = bytearray(count)  # 1: the row goes through _parse
        empty = [None] * count

        columns: dict[int, list] = {}

        def column(index: int) -> list:
            if index >= width:
                return empty
            if index not in columns:
                columns[index] = [row[index] if index < len(row) else None for row in data]
            return columns[index]

        def mark_slow(converted: list, has_slow: bool) -> list:
            if has_slow:
                for offset, value in enumerate(converted):
                    if value is _SLOW:
                        slow[offset] = 1
            return converted

        for offset in [offset for offset, cell in enumerate(column(0)) if cell is None]:
            if all(cell is None for cell in data[offset]):
                slow[offset] = 1  # a blank row
        # A total is told by its first cells, a repeated header by its first column's title,
        # a long cell in a column not imported is cut (with a message): all are texts.
        def mark_texts(index: int, test) -> None:
            values = column(index)
            flagged = {value for value in set(values) if value.__class__ is str and test(value)}
            if flagged:
                for offset, value in enumerate(values):
                    if value.__class__ is str and value in flagged:
                        slow[offset] = 1

        first_index = self.columns[0][0] if self.columns else None
        title = self.title(first_index) if first_index is not None else None
        for index in sorted({0, 1, 2, first_index} - {None}):
            if index < width:
                mark_texts(index, lambda value, index=index: (
                    (index < 3 and _TOTAL.match(value)) or (index == first_index and value == title)))
        for index in self.unmapped:
            if index >= width:
                break
            mark_texts(index, lambda value: len(value) > MAX_CELL_CHARACTERS)

        keys: list[str] = []
        converted_columns: list = []
        by_field: dict[str, list] = {}
        # Each row's serial (state, key), set by _convert_texts when it reads the serials.
        self.serial_states, self.serial_rows = {}, None
        for index, _name, kind, field_name, length, _clean in self.plan:
            if kind == _TEXT:
                converted = mark_slow(*self._convert_texts(column(index), min(length, MAX_CELL_CHARACTERS),
                                                           serials=field_name == "raw_serial"))
            else:
                read = {_DATE: self._plain_date, _STATUS: self._plain_status}.get(kind, self._plain_country)
                converted = mark_slow(*self._convert(column(index), read,
                                                     self.default_status if kind == _STATUS else None))
            keys.append(field_name)
            converted_columns.append(converted)
            by_field[field_name] = converted
        if "status" not in by_field:
            keys.append("status")
            converted_columns.append([self.default_status] * count)
        columns.clear()  # the cells as read: what is left of them is in the rows and the conversions
        serial_rows = self.serial_rows or [self._serial_state(None)] * count
        spellings = list(zip(by_field.get("raw_make", empty), by_field.get("raw_model", empty),
                             by_field.get("raw_calibre", empty), by_field.get("raw_type", empty), strict=True))
        keyed = self.keyed
        append = results.append
        identifications = self.identifications
        identifying = self.identifier is not None
        names: dict[tuple, bool] = {}  # spelling -> whether it names a weapon
        if identifying:
            self._identify_all(spellings, slow, names)
        for offset, cells, plain, serial, spelling in zip(
                range(count), data, zip(*converted_columns, strict=True), serial_rows, spellings, strict=True):
            if not slow[offset]:  # (a cell of a slow row may be _SLOW)
                named = names.get(spelling)
                if named is None:
                    named = names[spelling] = unnamed_message(spelling, True) is None
            if slow[offset] or not named:
                result = RowResult(first + offset + 1, cells)
                append(result)
                self._parse(result, cells, detect_serial_state, serial_key, SerialState)
                continue
            if identifying:
                found = identifications.get(spelling) or self._identification(spelling)
                doubt = doubt_message(found)
                if doubt is not None:
                    result = RowResult(first + offset + 1, cells, NEEDS_REVIEW, None, found, [doubt])
                else:
                    result = RowResult(first + offset + 1, cells, READY, None, found)
            else:
                result = RowResult(first + offset + 1, cells, READY, None, None)
            result._values, result._keys, result._plain, result._serial = None, keys, plain, serial
            append(result)
            if serial[1]:
                keyed.append((result, serial[1], spelling[0]))

    def _identify_all(self, spellings: list[tuple], slow: bytearray, names: dict) -> None:
        """The distinct spellings of the rows read plainly, identified in one batch: the
        engine shares a large one among the machine's cores (a sheet where most rows are
        spelled differently holds tens of thousands)."""
        identify_many = getattr(self.identifier, "identify_many", None)
        if identify_many is None:
            return
        distinct = set(spelling for spelling, flagged in zip(spellings, slow, strict=True) if not flagged)
        distinct.difference_update(self.identifications)
        for spelling in distinct:
            names[spelling] = unnamed_message(spelling, True) is None
        todo = [spelling for spelling in distinct if names[spelling]]
        if len(todo) < BATCH_FROM:
            return  # a few: identified one by one as the rows are read, from the engine's cache
        # Forked processes are safe only from a process of one thread (a command, an RQ work
        # horse): a lock another thread holds at the fork stays held in the child for ever.
        processes = None if threading.active_count() == 1 else 1
        identifications = self.identifications
        same = _Interned()
        found = identify_many(todo, processes=processes)
        for position, spelling in enumerate(todo):
            # The answer's own fields (no copy): the parts are interned and never changed.
            identifications[spelling] = same.identification(vars(found[position]))
            found[position] = None  # let go as it is read: the batch is not held twice


    @staticmethod
    def _convert(values: list, read, blank=None) -> tuple[list, bool]:
        """`values` read through `read` once per distinct value (an empty cell gives
        `blank`), and whether any reads as _SLOW."""
        distinct = set(values)
        if (0 in distinct or 1 in distinct) and any(value.__class__ is bool for value in values):
            # True == 1 == 1.0 share a dict entry: such a column is read cell by cell.
            converted = [blank if value is None else read(value) for value in values]
            return converted, _SLOW in converted
        table = {value: read(value) for value in distinct if value is not None}
        table[None] = blank
        return list(map(table.__getitem__, values)), _SLOW in table.values()

    def _convert_texts(self, values: list, length: int, serials: bool = False) -> tuple[list, bool]:
        """A text column read, and whether a cell gives a message (_SLOW). The cells already
        clean (most) are found all at once. For the serial column, each row's serial state
        and key are put in self.serial_rows (None for a row read by _parse)."""
        sample = values[::8]
        if len(set(sample)) > ROW_ORDER_SHARE * len(sample):  # mostly different texts (serials, references)
            read = self._convert_text_rows(values, length, serials)
            if read is not None:
                return read
        distinct = set(values)
        distinct.discard(None)
        texts = [value for value in distinct if value.__class__ is str]
        joined = _lines(texts) if texts else None
        clean = [line for line in _clean_lines(length, serials).findall(joined) if line] \
            if joined is not None else []
        table = {text: text for text in clean}
        if serials:
            self.serial_states.update(zip(clean, zip(repeat("readable"), _plain_keys(clean)), strict=False))
        for value in distinct.difference(clean):
            table[value] = self._plain_text(value, length)
        if (0 in distinct or 1 in distinct) and any(value.__class__ is bool for value in values):
            # True == 1 == 1.0 share a dict entry: such a column is read cell by cell.
            converted = [None if value is None else self._plain_text(value, length) for value in values]
            texts_read = set(converted)
        else:
            table[None] = None
            converted = list(map(table.__getitem__, values))
            texts_read = set(table.values())
        if serials:  # the serials not plain (and an empty cell, None): one by one
            for text in texts_read.difference(self.serial_states):
                if text is not _SLOW:
                    self._serial_state(text)
            self.serial_rows = list(map(self.serial_states.get, converted))
        return converted, _SLOW in texts_read

    def _convert_text_rows(self, values: list, length: int, serials: bool) -> tuple[list, bool] | None:
        """A column of mostly different texts read in row order, with no table of its
        values: one pass of the regular expression tells the clean cells, kept as they are,
        and the few others are read one by one. None when a cell holds a line break."""
        joined = _lines([value if value.__class__ is str else "" for value in values])
        found = _clean_lines(length, serials).findall(joined) if joined is not None else ()
        if len(found) != len(values):
            return None
        converted = [value if text else None for value, text in zip(values, found, strict=True)]
        has_slow = False
        read: dict = {}
        for offset in [offset for offset, text in enumerate(found) if not text and values[offset] is not None]:
            value = values[offset]
            known = (value.__class__, value)  # True == 1 == 1.0: told apart by their type
            text = read.get(known, _MISSING)
            if text is _MISSING:
                text = read[known] = self._plain_text(value, length)
            converted[offset] = text
            has_slow = has_slow or text is _SLOW
        if serials:
            rows = [("readable", key) if text else None for text, key in zip(found, _plain_keys(found), strict=True)]
            for offset in [offset for offset, state in enumerate(rows) if state is None]:
                if converted[offset] is not _SLOW:  # (a _SLOW row is read by _parse)
                    rows[offset] = self._serial_state(converted[offset])
            self.serial_rows = rows
        return converted, has_slow

    def _serial_state(self, text: str | None) -> tuple:
        """The (state, key) of a serial that is not plain, read once."""
        from registry.weapons.serials import SerialState, detect_serial_state, serial_key

        state = self.serial_states.get(text)
        if state is None:
            state = self.serial_states[text] = _serial_state_and_key(text, detect_serial_state, serial_key,
                                                                     SerialState)
        return state

    def _plain_text(self, value, length: int):
        """The clean text of a cell, or _SLOW when reading it gives a message."""
        text = _clean_text(value)
        if not text:
            return None
        if len(text) > length or len(text) > MAX_CELL_CHARACTERS or text[0] == "=":
            return _SLOW
        return text

    # Each distinct date, status and country cell is read once, for both readings.

    def _date_of(self, value) -> tuple:
        read = self.dates.get(value)
        if read is None:
            read = self.dates[value] = read_date(value, self.today)
        return read

    def _status_of(self, value) -> str | None:
        status = self.statuses.get(value, _MISSING)
        if status is _MISSING:
            text = (_cell_text(value) or "")[:200]
            status = self.statuses[value] = parse_status(text) if text else None
        return status

    def _country_of(self, value) -> str | None:
        code = self.country_codes.get(value, _MISSING)
        if code is _MISSING:
            text = _cell_text(value)
            code = self.country_codes[value] = self.countries.code(text) if (self.countries and text) else None
        return code

    def _plain_date(self, value):
        read = self._date_of(value)
        return read[0] if read[0] is not None else _SLOW

    def _plain_status(self, value):
        status = self._status_of(value)
        return status if status is not None else _SLOW

    def _plain_country(self, value):
        code = self._country_of(value)
        return code if code is not None else _SLOW

    def _parse(self, result: RowResult, cells: list, detect_serial_state, serial_key, SerialState) -> None:
        # The hot loop of an import (once per row): plain code, caches for what repeats.
        if not cells or cells[0] is None and all(cell is None for cell in cells):
            result.status, result.messages = SKIPPED, [message("blank")]
            return
        count = len(cells)
        serial_index = self.serial_index
        if (serial_index is None or serial_index >= count or cells[serial_index] is None) and any(
                cell.__class__ is str and _TOTAL.match(cell) for cell in cells[:3]):
            result.status, result.messages = SKIPPED, [message("total")]
            return
        first_index, _name = self.columns[0]
        if (first_index < count and cells[first_index].__class__ is str
                and cells[first_index] == self.title(first_index) and self._is_header_again(cells)):
            result.status, result.messages = SKIPPED, [message("header_again")]
            return
        values: dict = {}
        messages: list = []
        review = False
        long_fields = ()
        for index in self.unmapped:  # mapped cells are measured below, as they are read
            if index >= count:
                break
            if cells[index].__class__ is str and len(cells[index]) > MAX_CELL_CHARACTERS:
                long_fields = self._cut_long_cells(cells, messages)
                break
        for index, name, kind, column, length, clean in self.plan:
            if index >= count:
                continue
            value = cells[index]
            if value is None:
                continue
            if kind == _TEXT:
                if value.__class__ is str:
                    text = clean.get(value)
                    if text is not None:
                        values[column] = text
                        if text == value:
                            cells[index] = text  # one string kept for a text the column repeats
                        continue
                text = _clean_text(value)
                if not text:
                    continue
                if len(text) > MAX_CELL_CHARACTERS and not long_fields:
                    long_fields = self._cut_long_cells(cells, messages)
                if text[0] == "=":
                    messages.append(message("formula", column=self.title(index)))
                if len(text) > length:
                    if name not in long_fields:
                        messages.append(message("cut", column=self.title(index), length=len(text),
                                                kept=length))
                    text = text[:length]
                elif value.__class__ is str and len(clean) < TEXT_CACHE_SIZE and text[0] != "=" \
                        and len(text) <= MAX_CELL_CHARACTERS:
                    clean[value] = text
                values[column] = text
            elif kind == _DATE:
                read = self._date_of(value)
                if read[0] is not None:
                    values["event_date"] = read[0]
                else:
                    messages.append(message(read[1], value=read[2]))
                    if read[1] == "date_unreadable":
                        review = True
                    else:
                        result.status = INVALID
            elif kind == _STATUS:
                status = self._status_of(value)
                if status is None:
                    messages.append(message(self.status_unknown, value=(_cell_text(value) or "")[:60]))
                    review = True
                values["status"] = status or self.default_status
            else:  # a country
                code = self._country_of(value)
                if code is None:
                    messages.append(message("country_unknown", value=(_cell_text(value) or "")[:60]))
                    review = True
                values[column] = code
        if "status" not in values:
            values["status"] = self.default_status
        raw_serial = values.get("raw_serial")
        values["serial_state"], values["serial_key"] = _serial_state_and_key(
            raw_serial, detect_serial_state, serial_key, SerialState)
        spelling = (values.get("raw_make"), values.get("raw_model"), values.get("raw_calibre"),
                    values.get("raw_type"))
        unnamed = unnamed_message(spelling, raw_serial)
        if unnamed is not None:
            messages.append(unnamed)
            result.status = INVALID
        result.values = values
        result.messages = messages
        if review and result.status != INVALID:
            result.status = NEEDS_REVIEW
        if self.identifier is not None:
            self._identify(result, spelling)
        if values["serial_key"]:
            self.keyed.append((result, values["serial_key"], values.get("raw_make")))

    def _cut_long_cells(self, cells: list, messages: list) -> set:
        mapped = dict(self.columns)
        long_fields = set()
        for index, cell in enumerate(cells):
            if cell.__class__ is str and len(cell) > MAX_CELL_CHARACTERS:
                cells[index] = cell[:MAX_CELL_CHARACTERS]
                column_length = TEXT_COLUMNS.get(mapped.get(index), (None, MAX_CELL_CHARACTERS))[1]
                messages.append(message("cut", column=self.title(index), length=len(cell),
                                        kept=min(column_length, MAX_CELL_CHARACTERS)))
                if index in mapped:
                    long_fields.add(mapped[index])
        return long_fields

    def _is_header_again(self, cells: list) -> bool:
        # The header repeated (sheets printed over several pages): cheap test first.
        index, _name = self.columns[0]
        if index >= len(cells) or not isinstance(cells[index], str) or cells[index] != self.title(index):
            return False
        return [normalize_title(cell) for cell in cells] == self.header_normal[:len(cells)]

    def _title_of(self, name: str) -> str:
        for index, field_name in self.columns:
            if field_name == name:
                return self.title(index)
        return name

    def _identify(self, result: RowResult, spelling: tuple) -> None:
        """Each distinct (make, model, calibre, type) spelling is identified once."""
        found = self.identifications.get(spelling) or self._identification(spelling)
        result.identification = found
        if result.status == READY:
            doubt = doubt_message(found)
            if doubt is not None:
                result.status = NEEDS_REVIEW
                result.messages.append(doubt)

    def _identification(self, spelling: tuple) -> dict:
        if any(spelling):
            found = self.identifier.identify(*spelling).to_dict()
        else:
            found = {"make": None, "model": None, "calibre": None, "type": None,
                     "make_id": None, "model_id": None, "calibre_id": None, "type_id": None,
                     "confidence": {}, "method": "none", "methods": {}, "suggestions": [],
                     "needs_review": False}
        self.identifications[spelling] = found
        return found

    def _find_duplicates(self, keyed: list[RowResult], existing_keys) -> None:
        """`keyed`: (row, serial key, make as written) for the rows (not skipped) with a
        serial key, in order."""
        from registry.weapons.serials import is_short

        if not keyed:
            return
        results, keys, raw_makes = zip(*keyed, strict=True)
        existing: set = set()
        if existing_keys is not None:
            existing = existing_keys(set(keys))
        existing_makes: dict[str, set] = {}
        for key, make_id in existing:
            existing_makes.setdefault(key, set()).add(make_id)
        plain_makes = {raw_make: normalize_title(raw_make) for raw_make in set(raw_makes)}
        make_texts = list(map(plain_makes.__getitem__, raw_makes))
        make_ids = [(result.identification or _NO_IDENTIFICATION).get("make_id") for result in results]
        identities = list(zip(keys, [make_text if make_id is None else make_id
                                     for make_id, make_text in zip(make_ids, make_texts, strict=True)],
                              strict=True))
        rows = [result.row for result in results]
        # The first row of each (serial key, make), all at once: the later rows overwrite
        # the earlier ones, so the dict is filled from the end.
        first_rows = dict(zip(reversed(identities), reversed(rows), strict=True))
        firsts = list(map(first_rows.__getitem__, identities))
        for index in [index for index, (first, row) in enumerate(zip(firsts, rows, strict=True)) if first != row]:
            result, key, make_text = results[index], keys[index], make_texts[index]
            if is_short(key) and not make_text:
                continue  # a short serial alone says too little to call two rows the same weapon
            result.messages.append(message("duplicate_file", row=firsts[index]))
            if result.status in (READY, NEEDS_REVIEW):
                result.status = DUPLICATE
            firsts[index] = None  # told as a duplicate of the file: not checked against records
        if not existing_makes:
            return
        for index in [index for index, key in enumerate(keys) if key in existing_makes]:
            if firsts[index] is None:
                continue
            makes, make_id, result = existing_makes[keys[index]], make_ids[index], results[index]
            if make_id in makes or None in makes or make_id is None:
                result.messages.append(message("duplicate_record"))
                if result.status in (READY, NEEDS_REVIEW):
                    result.status = DUPLICATE


def count_statuses(results) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result.status] += 1
    return counts
