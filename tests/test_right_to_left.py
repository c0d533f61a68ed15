"""Arabic reads right to left: an Arabic reader gets lang="ar" dir="rtl" on every page,
the registry's words in Arabic, and a font that holds Arabic served by the registry."""

import re

from registry.extensions import db


def _root(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match, "no <html> element"
    return match.group(0)


def _arabic_reader(world, role: str = "officer"):
    user = world["ML"].user(role)
    user.language = "ar"
    db.session.commit()
    return user


def test_a_visitor_who_chooses_arabic_gets_the_login_page_right_to_left(client, actions):
    token = actions.csrf_token("/login")
    client.post("/language", data={"language": "ar", "csrf_token": token, "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert _root(page) == '<html lang="ar" dir="rtl">'
    assert "تسجيل الدخول" in page and "كلمة المرور" in page
    assert "Log in" not in page and "Mot de passe" not in page


def test_french_and_english_pages_read_left_to_right(client, actions):
    assert _root(client.get("/login").get_data(as_text=True)) == '<html lang="fr" dir="ltr">'
    token = actions.csrf_token("/login")
    client.post("/language", data={"language": "en", "csrf_token": token, "next": "/login"})
    assert _root(client.get("/login").get_data(as_text=True)) == '<html lang="en" dir="ltr">'


def test_an_arabic_officer_reads_the_main_pages_in_arabic_right_to_left(app, world, client, login_as):
    login_as(_arabic_reader(world))
    expected = {
        "/": "الرئيسية",
        "/account": "حسابي",
        "/notifications/": "الإشعارات",
        "/weapons/": "الرقم التسلسلي",
        "/weapons/new": "تسجيل سلاح",
        "/weapons/search": "البحث بالرقم التسلسلي",
        "/weapons/hits": "التطابقات",
        "/reference/identify": "التعرّف على سلاح",
        "/tracing/outbox": "طلبات التتبع الصادرة",
        "/tracing/inbox": "طلبات التتبع الواردة",
        "/imports/": "رفع وتحليل",
    }
    for path, words in expected.items():
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert _root(page) == '<html lang="ar" dir="rtl">', path
        assert words in page, path
        assert "سجل تتبع الأسلحة النارية" in page and "تسجيل الخروج" in page, path


def test_arabic_is_a_language_of_the_account_page(app, world, client, login_as):
    officer = world["ML"].user("officer")
    actions = login_as(officer)
    page = client.get("/account").get_data(as_text=True)
    assert '<option value="ar">العربية</option>' in page
    response = actions.post("/account", {"action": "language", "language-language": "ar"},
                            token_from="/account")
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(type(officer), officer.id).language == "ar"
    assert _root(client.get("/account").get_data(as_text=True)) == '<html lang="ar" dir="rtl">'


def test_the_arabic_font_is_served_by_the_registry_and_used_only_for_arabic(client):
    stylesheet = client.get("/static/registry.css").get_data(as_text=True)
    faces = re.findall(r"@font-face \{[^}]*\}", stylesheet)
    assert faces and all('"Noto Sans Arabic"' in face and "unicode-range:U+0600-06FF" in face
                         for face in faces)
    assert ':lang(ar) body' in stylesheet
    for url in re.findall(r'url\("([^"]+)"\)', " ".join(faces)):
        font = client.get("/static/" + url)
        assert font.status_code == 200 and font.data[:4] == b"wOF2"
    assert "SIL Open Font License" in client.get(
        "/static/vendor/noto-sans-arabic/LICENSE").get_data(as_text=True)


def test_the_stylesheets_speak_of_start_and_end_never_of_left_and_right(client):
    for name in ("registry.css", "reports.css", "tracing.css", "tracing-print.css"):
        text = client.get(f"/static/{name}").get_data(as_text=True)
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        assert not re.search(r"(margin|padding|border)-(left|right)|text-align:\s*(left|right)"
                             r"|float:\s*(left|right)|(?<![-\w])(left|right):", text), name


def test_an_arabic_reader_picks_countries_by_their_arabic_names_in_arabic_order(app, world, client,
                                                                                login_as):
    from tests.weapons.helpers import latest_weapon, record_through_form

    officer = login_as(_arabic_reader(world))
    page = client.get("/weapons/new").get_data(as_text=True)
    listed = page.split('<datalist id="countries">')[1].split("</datalist>")[0]
    names = re.findall(r'<option value="([^"]+ \([A-Z]{2}\))">', listed)
    position = {name.rsplit(" (", 1)[1][:2]: index for index, name in enumerate(names)}
    assert "تشاد (TD)" in names and "موريتانيا (MR)" in names and "مالي (ML)" in names
    # In the Arabic alphabet: Ethiopia (إثيوبيا) under alif, Chad (تشاد) under ta, Mauritania under mim.
    assert position["ET"] < position["TD"] < position["MR"]
    # A country typed in Arabic, with or without its vowel marks, is understood.
    response = record_through_form(officer, raw_serial="AR-2201", manufacture_country_code="الاتحاد الروسي",
                                   last_import_country_code="تشاد", event_country_code="مالي")
    assert response.status_code == 302
    weapon = latest_weapon()
    assert (weapon.manufacture_country_code, weapon.last_import_country_code, weapon.event_country_code) == (
        "RU", "TD", "ML")
    page = client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert "تشاد" in page and "Tchad" not in page


def test_the_printable_trace_request_reads_right_to_left_in_arabic(app, world, client, login_as):
    from registry.weapons.service import create_weapon
    from tests.tracing.helpers import sent_trace

    sender = world["ML"].user("tracing_officer")
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="PR-7781",
                           raw_make="Kalashnikov")
    db.session.commit()
    trace = sent_trace(sender, weapon, country="NE")
    login_as(_arabic_reader(world, "tracing_officer"))
    page = client.get(f"/tracing/{trace.id}/print").get_data(as_text=True)
    assert _root(page) == '<html lang="ar" dir="rtl">'
    assert "طلب تتبع" in page and "الصك الدولي للتعقب" in page and "النيجر" in page.replace("ّ", "")


def test_numbers_sizes_and_dates_read_as_arabic_readers_of_the_sahel_write_them(app):
    """Babel's Arabic ("ar"): Latin digits, as in Chad's and Mauritania's administrations
    and in every serial and reference; the day before the month, as in French."""
    from datetime import UTC, datetime

    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ar"):
        text = render_template_string(
            "{{ 12345|number }} · {{ 38195|filesize }} · {{ moment|datetimeformat }} · {{ day|dateformat }}",
            moment=datetime(2026, 3, 15, 22, 10, tzinfo=UTC), day=datetime(2026, 3, 15).date())
    assert text == "12,345 · 37.3 كيلوبايت · 15/03/2026 22:10 · 15/03/2026"


def test_digits_typed_on_an_arabic_keyboard_are_read_as_the_same_digits(app, world, client, login_as):
    from registry.weapons.serials import serial_key
    from tests.weapons.helpers import latest_weapon, record_through_form

    officer = login_as(_arabic_reader(world))
    response = record_through_form(officer, raw_serial="AK ٧٧٨٨٩٩", latitude="١٢٫٦٣٩٢", longitude="-٨٫٠٠٢٩",
                                   event_date="١٥/٠٣/٢٠٢٤")
    assert response.status_code == 302, response.get_data(as_text=True)
    weapon = latest_weapon()
    assert weapon.raw_serial == "AK ٧٧٨٨٩٩"  # kept as typed
    assert weapon.serial_key == serial_key("AK-778899") == "AK778899"
    assert (weapon.latitude, weapon.longitude) == (12.6392, -8.0029)
    assert weapon.event_date.isoformat() == "2024-03-15"


def test_spreadsheets_for_an_arabic_reader_run_from_the_right(app, world, client, login_as):
    import io

    from openpyxl import load_workbook

    login_as(_arabic_reader(world))
    export = load_workbook(io.BytesIO(client.get("/weapons/export.xlsx").data))
    assert export.active.sheet_view.rightToLeft and export.active.title == "الأسلحة"
    assert export.active["A1"].value == "المرجع"
    statistics = load_workbook(io.BytesIO(client.get("/reports/export/status.xlsx").data))
    assert statistics.active.sheet_view.rightToLeft
