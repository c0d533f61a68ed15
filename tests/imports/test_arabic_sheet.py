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
