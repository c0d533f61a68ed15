"""Reading uploaded files: every supported kind, and every hostile file refused before
the parser sees it, with a clear message."""

import io
import secrets
import zipfile

import pytest

from registry.imports.reader import ImportRefused, open_spreadsheet
from tests.imports.sheets import (
    FRENCH_HEADER,
    SHEET_HEAD,
    SHEET_TAIL,
    ods,
    ods_row,
    raw_xlsx,
    text_cell,
    workbook,
    write,
)


def refusal(path, **limits) -> str:
    with pytest.raises(ImportRefused) as caught:
        spreadsheet = open_spreadsheet(path, **limits)
        spreadsheet.read_sheet()
    return str(caught.value.message)


def test_xlsx_rows_are_numbered_as_excel_shows_them(tmp_path):
    path = write(tmp_path, "saisies.xlsx", workbook(
        [["Saisies 2024"], [], FRENCH_HEADER, [1, "Kalachnikov", "AK 47", "123"]]))
    spreadsheet = open_spreadsheet(path)
    sheet = spreadsheet.read_sheet()
    assert spreadsheet.kind == "xlsx" and spreadsheet.sheet_names == ["Saisies"]
    assert len(spreadsheet.sha256) == 64
    assert sheet.rows[0] == ["Saisies 2024"]
    assert sheet.rows[1] == []
    assert sheet.rows[3][:4] == [1, "Kalachnikov", "AK 47", "123"]


def test_a_sheet_starting_after_column_a_keeps_its_columns(tmp_path):
    xml = SHEET_HEAD + f'<row r="2">{text_cell("C2", "Marque")}</row>' + SHEET_TAIL
    sheet = open_spreadsheet(write(tmp_path, "decale.xlsx", raw_xlsx(xml))).read_sheet()
    assert sheet.rows[1] == [None, None, "Marque"]


def test_several_sheets_are_listed_and_each_can_be_read(tmp_path):
    path = write(tmp_path, "deux.xlsx", workbook([["a"]], more_sheets={"Armes": [["Marque"], ["CZ"]]}))
    spreadsheet = open_spreadsheet(path)
    assert spreadsheet.sheet_names == ["Saisies", "Armes"]
    assert spreadsheet.read_sheet("Armes").rows == [["Marque"], ["CZ"]]
    assert "Inconnue" in refusal_of_sheet(spreadsheet, "Inconnue")


def refusal_of_sheet(spreadsheet, name):
    with pytest.raises(ImportRefused) as caught:
        spreadsheet.read_sheet(name)
    return str(caught.value.message)


def test_ods_is_read(tmp_path):
    path = write(tmp_path, "saisies.ods", ods(ods_row("Marque", "Modèle") + ods_row("Beretta", "92")))
    spreadsheet = open_spreadsheet(path)
    assert spreadsheet.kind == "ods"
    assert spreadsheet.read_sheet().rows == [["Marque", "Modèle"], ["Beretta", "92"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_csv_in_any_usual_encoding_reads_accents_right(tmp_path, encoding):
    text = "Marque;Modèle;Lieu de saisie\r\nKalachnikov;AK-47;Ségou\r\n"
    spreadsheet = open_spreadsheet(write(tmp_path, "saisies.csv", text, encoding))
    assert spreadsheet.delimiter == ";"
    assert spreadsheet.read_sheet().rows == [["Marque", "Modèle", "Lieu de saisie"],
                                             ["Kalachnikov", "AK-47", "Ségou"]]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["Marque", "Modèle", "Calibre"]) + "\n" + delimiter.join(
        ["CZ", '"75, compact"', "9mm"]) + "\n"
    sheet = open_spreadsheet(write(tmp_path, "a.csv", text)).read_sheet()
    assert sheet.rows[0] == ["Marque", "Modèle", "Calibre"]


def test_a_renamed_file_that_is_not_a_spreadsheet_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert "not a spreadsheet" in refusal(write(tmp_path, "photo.xlsx", png))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("document.txt", "hello")
    assert "not a spreadsheet" in refusal(write(tmp_path, "archive.xlsx", zipped.getvalue()))


def test_an_empty_file_is_refused(tmp_path):
    assert "empty" in refusal(write(tmp_path, "vide.xlsx", b""))
    assert "empty" in refusal(write(tmp_path, "vide.csv", "\n\n"))


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = write(tmp_path, "gros.csv", "Marque\n" + "x\n" * 1000)
    assert "larger than the 1 MB" in refusal(path, max_bytes=1024)


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    sheet = SHEET_HEAD + "<row r='1'></row>" + " " * (300 * 1024 * 1024) + SHEET_TAIL
    path = write(tmp_path, "bombe.xlsx", raw_xlsx(sheet))
    assert path.stat().st_size < 2 * 1024 * 1024
    assert "zip bomb" in refusal(path)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>')


@pytest.mark.parametrize("sheet_xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external"])
def test_xml_entity_declarations_in_a_sheet_are_refused(tmp_path, sheet_xml):
    assert "XML entities" in refusal(write(tmp_path, "entites.xlsx", raw_xlsx(sheet_xml)))


def test_a_declaration_after_a_long_prolog_is_still_found(tmp_path):
    # The prolog is read with expat from the first megabyte; a longer one (a comment padded
    # past it) sends the whole part through the plain search.
    noise = secrets.token_hex(600_000)  # does not compress like a bomb
    padded = BILLION_LAUGHS.replace('<?xml version="1.0"?>', f'<?xml version="1.0"?><!--{noise}-->')
    assert "XML entities" in refusal(write(tmp_path, "long.xlsx", raw_xlsx(padded)))


def test_a_declaration_after_the_root_element_expands_nothing(tmp_path):
    # Not XML (a DOCTYPE comes before the root or not at all): the reader refuses it, and
    # no entity is ever expanded.
    late = BILLION_LAUGHS.replace("<sheetData>", "<sheetData>" + BILLION_LAUGHS[21:BILLION_LAUGHS.index("]>") + 2], 1)
    late = late.replace(BILLION_LAUGHS[21:BILLION_LAUGHS.index("]>") + 2], "", 1)
    assert late.index("<worksheet") < late.index("<!DOCTYPE")
    path = write(tmp_path, "late.xlsx", raw_xlsx(late))
    try:
        sheet = open_spreadsheet(path).read_sheet()
    except ImportRefused:
        return
    assert all("lol" not in str(cell) for row in sheet.rows for cell in row)


def test_an_entity_declaration_in_shared_strings_is_refused(tmp_path):
    strings = '<?xml version="1.0"?><!doctype sst [<!entity x "y">]><sst/>'
    path = write(tmp_path, "s.xlsx", raw_xlsx(SHEET_HEAD + SHEET_TAIL, {"xl/sharedStrings.xml": strings}))
    assert "XML entities" in refusal(path)


def test_an_entity_declaration_in_ods_content_is_refused(tmp_path):
    data = ods(ods_row("Marque")).replace(b'<?xml version="1.0" encoding="UTF-8"?>', b"")
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "content.xml":
                content = b'<!DOCTYPE x [<!ENTITY a "b">]>' + content
            target.writestr(item, content)
    assert "XML entities" in refusal(write(tmp_path, "e.ods", buffer.getvalue()))


def test_a_sheet_declaring_a_million_empty_rows_is_read_bounded(tmp_path):
    rows = [f'<row r="1">{text_cell("A1", "Marque")}</row>', f'<row r="2">{text_cell("A2", "CZ")}</row>']
    rows += [f'<row r="{number}"><c r="L{number}" s="1"/></row>' for number in range(3, 1_000_001)]
    path = write(tmp_path, "vide.xlsx", raw_xlsx(SHEET_HEAD + "".join(rows) + SHEET_TAIL))
    sheet = open_spreadsheet(path).read_sheet()
    assert sheet.rows == [["Marque"], ["CZ"]]


def test_a_value_a_million_rows_down_is_refused_before_the_grid_is_built(tmp_path):
    xml = SHEET_HEAD + f'<row r="1">{text_cell("A1", "Marque")}</row>' + (
        f'<row r="1000000">{text_cell("L1000000", "x")}</row>') + SHEET_TAIL
    assert "more than 200000 rows" in refusal(write(tmp_path, "loin.xlsx", raw_xlsx(xml)))


def test_an_ods_row_repeated_a_million_times_is_refused(tmp_path):
    path = write(tmp_path, "r.ods", ods(ods_row("Marque") + ods_row("x", "y", repeat=1_000_000)))
    assert "more than 200000 rows" in refusal(path)


def test_an_ods_sheet_with_a_million_repeated_empty_rows_reads_its_data(tmp_path):
    empty = '<table:table-row table:number-rows-repeated="1048000"><table:table-cell ' \
            'table:number-columns-repeated="1024"/></table:table-row>'
    sheet = open_spreadsheet(write(tmp_path, "v.ods", ods(ods_row("Marque") + empty))).read_sheet()
    assert sheet.rows == [["Marque"]]


def test_rows_beyond_the_limit_are_refused(tmp_path):
    rows = [["Marque"]] + [["CZ"]] * 250
    path = write(tmp_path, "long.xlsx", workbook(rows))
    assert "more than 100 rows" in refusal(path, max_rows=100)
    csv_path = write(tmp_path, "long.csv", "Marque\n" + "CZ\n" * 250)
    sheet = open_spreadsheet(csv_path, max_rows=100).read_sheet()
    assert sheet.truncated and len(sheet.rows) == 200


def test_trailing_empty_rows_are_counted_not_stored(tmp_path):
    sheet = open_spreadsheet(write(tmp_path, "t.csv", "Marque\nCZ\n;\n;\n;\n")).read_sheet()
    assert sheet.rows == [["Marque"], ["CZ"]] and sheet.trailing_empty == 3


def test_macro_workbooks_are_refused(tmp_path):
    assert "macros" in refusal(write(tmp_path, "m.xlsm", workbook([["Marque"]])))
    with_macro = raw_xlsx(SHEET_HEAD + SHEET_TAIL, {"xl/vbaProject.bin": b"\x00" * 10})
    assert "macros" in refusal(write(tmp_path, "renomme.xlsx", with_macro))


def test_a_password_protected_workbook_is_refused(tmp_path):
    # What Excel writes for a password-protected .xlsx: an OLE compound file holding the
    # streams EncryptionInfo and EncryptedPackage instead of the zip.
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le")
           + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 400)
    assert "password" in refusal(write(tmp_path, "secret.xlsx", ole))


def test_formulas_are_kept_as_text_never_evaluated(tmp_path):
    path = write(tmp_path, "f.csv", 'Marque;Modèle\n=cmd|" /C calc"!A0;=1+1\n')
    sheet = open_spreadsheet(path).read_sheet()
    assert sheet.rows[1] == ['=cmd|" /C calc"!A0', "=1+1"]


def test_a_file_in_utf16_is_read(tmp_path):
    path = write(tmp_path, "u.csv", "Marque\tModèle\nCZ\t75\n", "utf-16")
    assert open_spreadsheet(path).read_sheet().rows == [["Marque", "Modèle"], ["CZ", "75"]]


def test_a_value_far_right_and_another_far_down_are_refused_before_the_grid_is_built(tmp_path):
    xml = SHEET_HEAD + f'<row r="1">{text_cell("XFD1", "Marque")}</row>' + (
        f'<row r="150000">{text_cell("A150000", "x")}</row>') + SHEET_TAIL
    assert "too many columns" in refusal(write(tmp_path, "large.xlsx", raw_xlsx(xml)))
