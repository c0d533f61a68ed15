"""A sheet of a service of Chad or Mauritania, in Arabic: titles on top, Arabic column
titles, statuses and countries in Arabic words; read like a French one."""

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.imports.headers import map_titles
from registry.imports.models import ImportRow, ImportStatus
from registry.imports.rows import parse_status
from tests.imports.sheets import workbook
from tests.imports.test_pages import finish_jobs, upload


@pytest.mark.parametrize("title, expected", [
    ("الرقم التسلسلي", "serial"), ("الرقمُ التسلسليّ", "serial"), ("رقم السلاح", "serial"),
    ("الصانع", "make"), ("الماركة", "make"), ("الطراز", "model"), ("العيار", "calibre"),
    ("نوع السلاح", "type"), ("حالة السلاح", "status"), ("تاريخ الضبط", "event_date"),
    ("مكان الضبط", "event_town"), ("الولاية", "event_region"), ("بلد الصنع", "manufacture_country"),
    ("رقم المحضر", "case_reference"), ("ملاحظات", "notes"), ("م", "line_number"),
])
def test_arabic_column_titles_are_mapped(title, expected):
    assert map_titles(["x", title]) == {1: expected}


@pytest.mark.parametrize("text, expected", [
    ("مضبوط", "seized"), ("محجوزة", "seized"), ("معثور عليه", "found"), ("مُسلَّم طوعًا", "surrendered"),
    ("مفقود", "lost"), ("مسروقة", "stolen"), ("مهرّب", "trafficked"), ("إتلاف", "destroyed"),
    ("سلاح مسروق من مخزن", "stolen"), ("لا أدري", None),
])
def test_arabic_statuses_are_read(text, expected):
    assert parse_status(text) == expected


def test_an_arabic_sheet_is_analysed_like_a_french_one(app, world, reference, client, login_as):
    officer = world["ML"].user("officer")
    officer.language = "ar"
    db.session.commit()
    actions = login_as(officer)
    content = workbook([
        ["اللجنة الوطنية لمكافحة انتشار الأسلحة الخفيفة"],
        [],
        ["م", "الصانع", "الطراز", "الرقم التسلسلي", "العيار", "الحالة", "بلد الصنع", "تاريخ الضبط",
         "مكان الضبط"],
        [1, "Kalashnikov", "AKM", "AR-556677", "7.62x39", "مضبوط", "الاتحاد الروسي", "12/03/2024", "أبشة"],
        [2, "Beretta", "92", "AR-889900", "9mm", "مسروق", "إيطاليا", "01/02/2024", "انجامينا"],
    ], sheet_title="المضبوطات")
    assert upload(actions, content, name="مضبوطات.xlsx").status_code == 302
    import_ = finish_jobs()
    assert import_.status is ImportStatus.REVIEW, import_.error
    assert import_.header_row == 3
    rows = {row.row_number: row.values for row in db.session.scalars(
        select(ImportRow).where(ImportRow.import_id == import_.id))}
    assert rows[4]["status"] == "seized" and rows[4]["raw_serial"] == "AR-556677"
    assert rows[4]["manufacture_country_code"] == "RU" and rows[5]["manufacture_country_code"] == "IT"
    assert rows[5]["status"] == "stolen" and rows[4]["event_town"] == "أبشة"
    page = client.get(f"/imports/{import_.id}").get_data(as_text=True)
    assert 'dir="rtl"' in page and "الأسطر حسب الحالة" in page


def test_the_blank_arabic_template_reads_right_to_left_and_imports_as_the_french_one(app, world, reference,
                                                                                    client, login_as):
    import io

    from openpyxl import load_workbook

    from registry.imports.sheets import TEMPLATE_COLUMNS

    login_as(world["ML"].user("officer"))
    response = client.get("/imports/template.xlsx?language=ar")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert sheet.title == "المضبوطات" and sheet.sheet_view.rightToLeft
    titles = [cell.value for cell in sheet[1]]
    assert titles[:4] == ["م", "الصانع", "الطراز", "الرقم التسلسلي"]
    # Each Arabic column means what the French template's column means.
    assert map_titles(titles) == map_titles(TEMPLATE_COLUMNS["fr"])
    lists = {row[0]: row for row in zip(*book["القوائم"].iter_rows(values_only=True), strict=False)}
    statuses = [value for value in lists["الحالة"][1:] if value]
    assert [parse_status(value) for value in statuses] == ["seized", "found", "surrendered", "lost", "stolen",
                                                           "trafficked", "destroyed", "returned"]
    assert "بندقية هجومية" in lists["نوع السلاح"]
    assert any("'القوائم'!" in validation.formula1 for validation in sheet.data_validations.dataValidation)
