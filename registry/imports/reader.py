"""Reading an uploaded spreadsheet safely: .xlsx, .xls, .ods with python-calamine, .csv
with the standard library.

Nothing reaches the parser before the file has passed the checks: its type is read from
its content (not its name), a zip's total uncompressed size and compression ratio are
bounded, macros and password-protected files are refused, and every XML part is scanned
for DOCTYPE / ENTITY declarations (entity bombs, external entities). Sheets whose cells
would span more rows or cells than allowed are refused before calamine allocates them.
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from flask_babel import lazy_gettext as _l

from registry.errors import DomainError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MACRO_EXTENSIONS = {".xlsm", ".xltm", ".xlam", ".xlsb", ".ots"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
# A real workbook's XML compresses 5 to 30 times; a zip bomb a thousand times.
MAX_COMPRESSION_RATIO = 200
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
# Columns of a sheet that matter: header detection and mapping look at no more.
MAX_COLUMNS = 200
_CHUNK = 1024 * 1024
TEXT_CACHE_LIMIT = 50_000  # distinct short texts kept once while a sheet is read
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# A cell with content (not self-closing): <c r="L12" ...>
_XLSX_CELL = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,8})"[^>]*?(/?)>')


def _far_cell_pattern(max_rows: int) -> re.Pattern:
    """Cheap first look: a cell reference with as many digits as the row limit (far down)
    or with two or three letters (far right)."""
    digits = len(str(max_rows + 100))
    return re.compile(rb'r="([A-Z]{1,3})([0-9]{%d,})"|r="([A-Z]{2,3})([0-9]+)"' % digits)


class ImportRefused(DomainError):
    """The file cannot be imported; `message` says why in the user's language."""


@dataclass
class Sheet:
    """The cells of one sheet. `rows[i]` is Excel row `i + 1`; trailing empty rows are
    counted in `trailing_empty`, never stored."""

    name: str
    rows: list[list] = field(default_factory=list)
    trailing_empty: int = 0
    truncated: bool = False
    merged_rows: set[int] = field(default_factory=set)  # Excel rows covered by a merge across columns

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)


@dataclass
class Spreadsheet:
    """An uploaded file that passed the safety checks."""

    path: Path
    file_name: str
    kind: str  # "xlsx" | "xls" | "ods" | "csv"
    sha256: str
    size: int
    sheet_names: list[str]
    max_rows: int = DEFAULT_MAX_ROWS
    encoding: str | None = None
    delimiter: str | None = None

    def read_sheet(self, name: str | None = None) -> Sheet:
        """The cells of sheet `name` (the first one by default)."""
        if self.kind == "csv":
            return _read_csv(self)
        name = name if name is not None else self.sheet_names[0]
        if name not in self.sheet_names:
            raise ImportRefused(_l("The workbook has no sheet named “%(name)s”; its sheets: %(names)s.",
                                   name=name, names=", ".join(self.sheet_names)))
        return _read_calamine(self, name)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_spreadsheet(path, file_name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                     max_rows: int = DEFAULT_MAX_ROWS) -> Spreadsheet:
    """Check the file at `path` and return it ready to read, or raise ImportRefused."""
    path = Path(path)
    file_name = file_name or path.name
    extension = Path(file_name).suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused(_l("The file is empty."))
    if size > max_bytes:
        raise ImportRefused(_l("The file is larger than the %(limit)d MB allowed.",
                               limit=max(1, max_bytes // (1024 * 1024))))
    if extension in MACRO_EXTENSIONS:
        raise ImportRefused(_l("Files with macros (.xlsm, .xlsb...) are refused: save the sheet as "
                               ".xlsx (Excel workbook) and upload it again."))
    with open(path, "rb") as handle:
        head = handle.read(8)
    sha256 = file_sha256(path)
    common = {"path": path, "file_name": file_name, "sha256": sha256, "size": size, "max_rows": max_rows}
    if head.startswith(ZIP_MAGIC):
        kind, names = _check_zip(path, max_rows)
        return Spreadsheet(kind=kind, sheet_names=names, **common)
    if head.startswith(OLE_MAGIC):
        names = _check_ole(path, max_rows)
        return Spreadsheet(kind="xls", sheet_names=names, **common)
    if extension in TEXT_EXTENSIONS or extension == "":
        encoding, delimiter = _sniff_csv(path)
        return Spreadsheet(kind="csv", sheet_names=[Path(file_name).stem or "CSV"], encoding=encoding,
                           delimiter=delimiter, **common)
    raise ImportRefused(_l("This file is not a spreadsheet (its content is not Excel, "
                           "OpenDocument or CSV, whatever its name says)."))


# --- Zip workbooks: .xlsx and .ods --------------------------------------------------------


def _check_zip(path: Path, max_rows: int) -> tuple[str, list[str]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(_l("The file is damaged: it cannot be opened as a workbook.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportRefused(_l("The workbook holds too many parts to be a spreadsheet."))
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if total > MAX_UNCOMPRESSED_BYTES or (member.file_size > _CHUNK and ratio > MAX_COMPRESSION_RATIO):
                raise ImportRefused(_l("The file unpacks to far more than its size (a “zip bomb”): "
                                       "it was refused."))
            if member.flag_bits & 0x1:
                raise ImportRefused(_l("The file is protected by a password: remove the password "
                                       "in Excel, save, and upload it again."))
        names = {member.filename for member in members}
        lowered = {name.lower() for name in names}
        if any(name.endswith("vbaproject.bin") for name in lowered) or any(
                "macros/" in name or name.startswith("basic/") for name in lowered):
            raise ImportRefused(_l("Files with macros (.xlsm, .xlsb...) are refused: save the sheet as "
                                   ".xlsx (Excel workbook) and upload it again."))
        if "xl/workbook.xml" in names:
            kind = "xlsx"
        elif "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
            kind = "ods"
        elif "xl/workbook.bin" in names:
            raise ImportRefused(_l("Binary workbooks (.xlsb) are refused: save the sheet as .xlsx "
                                   "(Excel workbook) and upload it again."))
        else:
            raise ImportRefused(_l("This file is not a spreadsheet (its content is not Excel, "
                                   "OpenDocument or CSV, whatever its name says)."))
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                _scan_xml_part(archive, member, kind, max_rows)
    return kind, _sheet_names(path)


def _scan_xml_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, kind: str, max_rows: int) -> None:
    """Refuse DTDs (entity expansion, external entities) and, for sheets, cells beyond the limits."""
    is_sheet = kind == "xlsx" and member.filename.startswith("xl/worksheets/")
    counter = _OdsExtent() if kind == "ods" and member.filename == "content.xml" else None
    max_row = max_column = 0
    wide = False
    far_cell = _far_cell_pattern(max_rows)
    tail = b""
    seen = 0
    prolog_safe = False
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if seen == 0:
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:2] == b"<\x00":
                    raise ImportRefused(_l("The workbook holds an XML part in an unexpected encoding: "
                                           "it was refused."))
                prolog_safe = _prolog_is_safe(chunk)
            seen += len(chunk)
            if seen > MAX_UNCOMPRESSED_BYTES:
                raise ImportRefused(_l("The file unpacks to far more than its size (a “zip bomb”): "
                                       "it was refused."))
            window = tail + chunk
            # XML allows a DOCTYPE only before the root element: past a prolog read whole
            # without one, the rest of the part need not be searched for it.
            if not prolog_safe and _DECLARATION.search(window):
                raise ImportRefused(_l("The workbook declares XML entities (DOCTYPE/ENTITY), which "
                                       "spreadsheets never need: it was refused as unsafe."))
            if is_sheet:
                for match in far_cell.finditer(window):
                    end = window.find(b">", match.end())
                    if end < 0 and len(window) - match.start() < 200:
                        continue  # cut by the chunk's end: seen whole in the next window
                    if window[end - 1:end] == b"/":
                        continue  # an empty, styled cell: calamine keeps nothing of it
                    if match.group(1):
                        max_row = max(max_row, int(match.group(2)))
                        max_column = max(max_column, _column_number(match.group(1)))
                    else:
                        wide = True
                        max_column = max(max_column, _column_number(match.group(3)))
            tail = window[-256:]
            if counter is not None:
                counter.feed(chunk)
    if is_sheet and wide and max_column > 64:
        # Far right: the exact extent decides (a slow pass, for unusual sheets only).
        max_row, max_column = _exact_extent(archive, member)
    if counter is not None:
        counter.close()
        max_row, max_column = counter.max_row, counter.max_column
    _check_extent(max_row, max_column, max_rows)


class _RootReached(Exception):
    pass


def _prolog_is_safe(head: bytes) -> bool:
    """True when `head` (a part's first bytes) reaches the root element with no DOCTYPE
    before it; refused when it declares one; False when undecided (a prolog longer than
    `head`, or not well-formed XML): the whole part is then searched."""

    def doctype(*_arguments):
        raise ImportRefused(_l("The workbook declares XML entities (DOCTYPE/ENTITY), which "
                               "spreadsheets never need: it was refused as unsafe."))

    def root(*_arguments):
        raise _RootReached

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        parser.Parse(head, False)
    except _RootReached:
        return True
    except expat.ExpatError:
        return False
    return False


def _exact_extent(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int]:
    max_row = max_column = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            cut = window.rfind(b"<")
            for match in _XLSX_CELL.finditer(window, 0, cut if cut > 0 else len(window)):
                if not match.group(3):
                    max_row = max(max_row, int(match.group(2)))
                    max_column = max(max_column, _column_number(match.group(1)))
            tail = window[cut:] if 0 < cut and len(window) - cut < 65536 else b""
    return max_row, max_column


def _check_extent(max_row: int, max_column: int, max_rows: int) -> None:
    # Calamine holds a sheet as a dense grid: bound it before it is built. A few rows of
    # titles above the data are allowed on top of the limit.
    if max_row > max_rows + 100:
        raise ImportRefused(_l("The sheet has more than %(limit)d rows: split it into several files.",
                               limit=max_rows))
    if max_column > 16384 or max_row * max_column > (max_rows + 100) * 64:
        raise ImportRefused(_l("The sheet has too many columns filled: keep only the table to "
                               "import and upload it again."))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


class _OdsExtent:
    """Rows and columns an .ods sheet really fills, repeats included, read with expat
    (a DTD was already refused)."""

    def __init__(self):
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.max_row = self.max_column = 0
        self.row = self.column = 0
        self.row_repeat = 1
        self.row_has_value = False
        self.row_width = 0

    TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
    OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
    TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "

    def feed(self, data: bytes) -> None:
        try:
            self.parser.Parse(data, False)
        except expat.ExpatError:
            raise ImportRefused(_l("The file is damaged: it cannot be opened as a workbook.")) from None

    def close(self) -> None:
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError:
            raise ImportRefused(_l("The file is damaged: it cannot be opened as a workbook.")) from None

    def _start(self, name, attributes):
        if name == self.TABLE + "table":
            self.row = 0
        elif name == self.TABLE + "table-row":
            self.row_repeat = int(attributes.get(self.TABLE + "number-rows-repeated", "1") or 1)
            self.column = 0
            self.row_has_value = False
            self.row_width = 0
        elif name in (self.TABLE + "table-cell", self.TABLE + "covered-table-cell"):
            repeat = int(attributes.get(self.TABLE + "number-columns-repeated", "1") or 1)
            self.column += repeat
            if self.OFFICE + "value-type" in attributes:
                self.row_has_value = True
                self.row_width = self.column
        elif name == self.TEXT + "p" and self.column:
            self.row_has_value = True
            self.row_width = max(self.row_width, self.column)

    def _end(self, name):
        if name == self.TABLE + "table-row":
            self.row += self.row_repeat
            if self.row_has_value:
                self.max_row = max(self.max_row, self.row)
                self.max_column = max(self.max_column, self.row_width)


# --- OLE files: .xls, and encrypted .xlsx ---------------------------------------------------


def _check_ole(path: Path, max_rows: int) -> list[str]:
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise ImportRefused(_l("The file is protected by a password: remove the password "
                               "in Excel, save, and upload it again."))
    if "_VBA_PROJECT_CUR".encode("utf-16-le") in data or "_VBA_PROJECT".encode("utf-16-le") in data:
        raise ImportRefused(_l("Files with macros (.xlsm, .xlsb...) are refused: save the sheet as "
                               ".xlsx (Excel workbook) and upload it again."))
    if "Workbook".encode("utf-16-le") not in data and "Book".encode("utf-16-le") not in data:
        raise ImportRefused(_l("This file is not a spreadsheet (its content is not Excel, "
                               "OpenDocument or CSV, whatever its name says)."))
    # A BIFF sheet holds at most 65,536 rows and 256 columns: bounded by the format.
    return _sheet_names(path)


def _sheet_names(path: Path) -> list[str]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise ImportRefused(_l("The file is protected by a password: remove the password "
                               "in Excel, save, and upload it again.")) from None
    except Exception:  # calamine names its errors after its readers; all mean the same here
        raise ImportRefused(_l("The file is damaged: it cannot be opened as a workbook.")) from None
    with workbook:
        names = [meta.name for meta in workbook.sheets_metadata
                 if str(meta.typ).endswith("WorkSheet")] or list(workbook.sheet_names)
    if not names:
        raise ImportRefused(_l("The workbook has no sheet."))
    return names


def _read_calamine(spreadsheet: Spreadsheet, name: str) -> Sheet:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(spreadsheet.path))
        with workbook:
            calamine_sheet = workbook.get_sheet_by_name(name)
            start_column = calamine_sheet.start[1] if calamine_sheet.start else 0
            merged = calamine_sheet.merged_cell_ranges or []
            sheet = _collect(name, calamine_sheet.iter_rows(), spreadsheet.max_rows, start_column)
    except ImportRefused:
        raise
    except python_calamine.PasswordError:
        raise ImportRefused(_l("The file is protected by a password: remove the password "
                               "in Excel, save, and upload it again.")) from None
    except Exception:
        raise ImportRefused(_l("The file is damaged: it cannot be opened as a workbook.")) from None
    for (first_row, first_column), (last_row, last_column) in merged:
        if last_column > first_column:
            sheet.merged_rows.update(range(first_row + 1, last_row + 2))
    return sheet


def _collect(name: str, rows: Iterator[list], max_rows: int, start_column: int = 0) -> Sheet:
    """Keep rows up to the limit; empty rows at the end are counted, not stored."""
    sheet = Sheet(name=name)
    pending_empty = 0
    padding = [None] * start_column
    limit = max_rows + 100
    kept = sheet.rows
    keep = kept.append
    # An empty cell reads as "" (kept as None). A text that repeats (a make, a town, a
    # status) is kept once: the reader makes a new string for every cell, and a large
    # sheet held as such weighs tens of MB more. The cache holds references, not copies,
    # and is emptied when it grows large (a column of serials repeats nothing).
    texts: dict[str, str] = {}
    same = texts.setdefault
    for raw in rows:
        if len(raw) > MAX_COLUMNS:
            raw = raw[:MAX_COLUMNS]
        cells = [(same(value, value) if value else None) if value.__class__ is str else value for value in raw]
        if len(texts) > TEXT_CACHE_LIMIT:
            texts.clear()
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            pending_empty += 1
            continue
        if len(kept) + pending_empty >= limit:
            sheet.truncated = True
            break
        if pending_empty:
            kept.extend([] for _ in range(pending_empty))
            pending_empty = 0
        keep(padding + cells if start_column else cells)
    sheet.trailing_empty = pending_empty
    return sheet


# --- CSV ------------------------------------------------------------------------------------------


def _decode_sample(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte")


def _sniff_csv(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
        text = data.decode("utf-16", errors="replace")
    else:
        if b"\x00" in data[:65536]:
            raise ImportRefused(_l("This file is not a spreadsheet (its content is not Excel, "
                                   "OpenDocument or CSV, whatever its name says)."))
        try:
            text = data.decode("utf-8-sig")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            # Not UTF-8: Windows-1252 (Excel's "CSV" on a French Windows), or Latin-1 for
            # the five bytes Windows-1252 leaves undefined.
            text, encoding = _decode_sample(data)
    if _DECLARATION.search(text[:4096].encode("utf-8", "replace")) and text.lstrip().startswith("<"):
        raise ImportRefused(_l("This file is not a spreadsheet (its content is not Excel, "
                               "OpenDocument or CSV, whatever its name says)."))
    sample_lines = [line for line in text[:65536].splitlines()[:50] if line.strip()]
    if not sample_lines:
        raise ImportRefused(_l("The file is empty."))
    return encoding, _guess_delimiter(sample_lines)


def _guess_delimiter(lines: list[str]) -> str:
    best, best_score = ";", -1.0
    for delimiter in (";", ",", "\t"):
        counts = [len(next(csv.reader([line], delimiter=delimiter))) - 1 for line in lines]
        filled = [count for count in counts if count > 0]
        if not filled:
            continue
        most = max(set(filled), key=filled.count)
        # Lines that agree on the number of columns, weighted by how many columns that is.
        score = filled.count(most) + min(most, 50) / 100
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(spreadsheet: Spreadsheet) -> Sheet:
    csv.field_size_limit(max(csv.field_size_limit(), 1024 * 1024))
    with open(spreadsheet.path, "rb") as handle:
        raw = handle.read()
    text = raw.decode(spreadsheet.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spreadsheet.delimiter)
    try:
        return _collect(spreadsheet.sheet_names[0], reader, spreadsheet.max_rows)
    except csv.Error:
        raise ImportRefused(_l("The CSV file is malformed (a quote is not closed, or a cell is "
                               "larger than 1 MB).")) from None
