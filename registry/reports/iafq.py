"""The yearly reports a state owes, for one state and year, in French or English, as xlsx
and PDF: UNODC's Illicit Arms Flows Questionnaire tables, SDG indicator 16.4.2 and the
tracing figures of the International Tracing Instrument. The figures are the statistics
service's (registry.reports.service), counted the same way as on the pages."""

from pathlib import Path

from babel import Locale
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from registry.audit.service import record
from registry.extensions import db
from registry.reference.models import Make, WeaponType
from registry.reports import service, tables
from registry.reports.regions import match_region, subdivision
from registry.tracing.workflow import Outcome
from registry.weapons.models import Weapon, WeaponStatus

FONTS = Path(__file__).parent / "fonts"
RECOVERED = [status.value for status in service.RECOVERED_STATUSES]
# The questionnaire's categories, and the words of a type's English name that lead to each.
CATEGORIES = {
    "revolvers_pistols": _l("Revolvers and pistols"),
    "rifles_carbines": _l("Rifles and carbines"),
    "shotguns": _l("Shotguns"),
    "sub_machine_guns": _l("Sub-machine guns"),
    "machine_guns": _l("Machine guns"),
    "light_weapons": _l("Light weapons"),
    "other": _l("Other or unknown"),
}


def category(type_name: str | None) -> str:
    """The IAFQ category of a reference type, read from its English name."""
    name = (type_name or "").lower()
    if not name or "alarm" in name or "blank" in name or "craft" in name:
        return "other"
    if "submachine" in name or "sub-machine" in name:
        return "sub_machine_guns"
    if "launcher" in name or "mortar" in name or "recoilless" in name or "anti-" in name:
        return "light_weapons"
    if "machine gun" in name:
        return "machine_guns"
    if "pistol" in name or "revolver" in name:
        return "revolvers_pistols"
    if "shotgun" in name:
        return "shotguns"
    if "rifle" in name or "carbine" in name:
        return "rifles_carbines"
    return "other"


def _crosstab(statement, column) -> dict:
    """{key: {status: count}} of the recovered records of `statement`."""
    table: dict = {}
    rows = db.session.execute(statement.where(Weapon.status.in_(RECOVERED)).with_only_columns(
        column, Weapon.status, func.count(Weapon.id)).group_by(column, Weapon.status).order_by(None))
    for key, status, count in rows:
        table.setdefault(key, {}).setdefault(getattr(status, "value", status), 0)
        table[key][getattr(status, "value", status)] += count
    return table


def _rows(table: dict, label) -> list[list]:
    rows = []
    for key, counts in table.items():
        values = [counts.get(status, 0) for status in RECOVERED]
        rows.append([label(key), *values, sum(values)])
    return sorted(rows, key=lambda row: (-row[-1], str(row[0])))


def report_tables(user, state: str, year) -> dict:
    """Every table of the yearly report (plain values in the current language)."""
    date_from, date_to = service.year_period(year)
    filters = service.Filters(date_from=date_from, date_to=date_to, state=state)
    statistics = service.statistics(user, filters)
    statement = service._records(user, filters, statistics["state"]).statement
    status_headers = [str(WeaponStatus(status).label) for status in RECOVERED] + [_("Total")]

    types = dict(db.session.execute(db.select(WeaponType.id, WeaponType.name_en)).all())
    by_category: dict = {key: {} for key in CATEGORIES}
    for type_id, counts in _crosstab(statement, Weapon.type_id).items():
        target = by_category[category(types.get(type_id))]
        for status, count in counts.items():
            target[status] = target.get(status, 0) + count
    category_rows = [[str(CATEGORIES[key]), *[counts.get(s, 0) for s in RECOVERED],
                      sum(counts.values())] for key, counts in by_category.items()]

    makes = dict(db.session.execute(db.select(Make.id, Make.name)).all())
    make_rows = _rows(_crosstab(statement, Weapon.make_id),
                      lambda key: makes.get(key) or _("Not identified"))
    countries = {row["key"]: row for row in statistics["by_country_of_manufacture"]}
    country_rows = _rows(_crosstab(statement, Weapon.manufacture_country_code),
                         lambda key: tables.label("by_country_of_manufacture",
                                                  countries.get(key, {"key": key, "name": key})))
    region_rows = _rows(_crosstab_regions(statement), _region_label)
    month_table = _crosstab(statement, service._month(service._day()))
    month_rows = [[month["key"], *[month_table.get(month["key"], {}).get(s, 0) for s in RECOVERED],
                   sum(month_table.get(month["key"], {}).values())] for month in statistics["by_month"]]

    tracing = statistics["tracing"]
    outcomes = _outcomes(user, statistics["state"], filters)
    sent, received = tracing["sent"], tracing["received"]
    sdg = statistics["sdg_16_4_2"]
    return {
        "state": statistics["state"], "year": int(year), "total": statistics["total"],
        "notice": statistics["notice"],
        "sheets": [
            (_("Type"), [_("Category")] + status_headers, category_rows),
            (_("Make"), [_("Make")] + status_headers, make_rows),
            (_("Country of manufacture"), [_("Country of manufacture")] + status_headers, country_rows),
            (_("Region"), [_("Region")] + status_headers, region_rows),
            (_("Month"), [_("Month")] + status_headers, month_rows),
            (_("Tracing results"), [_("Outcome"), _("Requests sent"), _("Requests received")],
             [[str(Outcome(key).label), outcomes["sent"].get(key, 0), outcomes["received"].get(key, 0)]
              for key in [outcome.value for outcome in Outcome]]),
            (_("SDG 16.4.2"), [_("Figure"), _("Value"), _("Definition")], [
                [_("Numerator"), sdg["numerator"], sdg["definitions"]["numerator"]],
                [_("Denominator"), sdg["denominator"], sdg["definitions"]["denominator"]],
                [_("Indicator"), sdg["value"], _("Numerator divided by denominator.")]]),
            (_("ITI tracing"), [_("Figure"), _("Requests sent"), _("Requests received")], [
                [_("Requests"), sent["count"], received["count"]],
                [_("Answered"), sent["answered"], received["answered"]],
                [_("Answered within the deadline"), sent["within_deadline"], received["within_deadline"]],
                [_("Origin established"), sent["origin_established"], received["origin_established"]],
                [_("Declined"), sent["declined"], received["declined"]],
                [_("Median days to answer"), sent["median_days_to_answer"], received["median_days_to_answer"]]]),
        ],
    }


def _crosstab_regions(statement) -> dict:
    table: dict = {}
    rows = db.session.execute(statement.where(Weapon.status.in_(RECOVERED)).with_only_columns(
        Weapon.country_code, Weapon.event_region, Weapon.status, func.count(Weapon.id))
        .group_by(Weapon.country_code, Weapon.event_region, Weapon.status).order_by(None))
    for country_code, text, status, count in rows:
        key = match_region(country_code, text) or ((text or "").strip() or None)
        target = table.setdefault(key, {})
        value = getattr(status, "value", status)
        target[value] = target.get(value, 0) + count
    return table


def _region_label(key) -> str:
    if key is None:
        return _("Not given")
    item = subdivision(key)
    if item is None:
        return _("%(region)s (no ISO 3166-2 region)", region=key)
    return tables.label("by_region", {"key": key, "name": item.name_en, "name_fr": item.name_fr})


def _outcomes(user, state: str, filters) -> dict:
    from sqlalchemy import select

    from registry.auth.scoping import STATISTICS, scoped
    from registry.tracing.models import TraceRequest

    result = {"sent": {}, "received": {}}
    statement = scoped(user, select(TraceRequest), TraceRequest, STATISTICS).where(
        TraceRequest.sent_at.is_not(None), TraceRequest.outcome.is_not(None),
        TraceRequest.sent_at >= service._start_of(filters.date_from),
        TraceRequest.sent_at < service._start_of(filters.date_to, next_day=True))
    for side, column in (("sent", TraceRequest.requesting_country_code),
                         ("received", TraceRequest.requested_country_code)):
        narrowed = statement if state == service.ALL_STATES else statement.where(column == state)
        for outcome, count in db.session.execute(narrowed.with_only_columns(
                TraceRequest.outcome, func.count(TraceRequest.id)).group_by(TraceRequest.outcome)):
            result[side][getattr(outcome, "value", outcome)] = count
    return result


def _title(report: dict) -> str:
    return _("Illicit arms flows: report of %(state)s for %(year)d", state=report["state"], year=report["year"])


def xlsx(user, state: str, year, language: str = "fr") -> bytes:
    """The yearly report as a workbook, one sheet per table; audited."""
    with force_locale(language):
        report = report_tables(user, state, year)
        content = tables.to_xlsx(report["sheets"], heading=_title(report))
    record("report.iafq", details={"state": report["state"], "year": report["year"], "format": "xlsx",
                                   "language": language}, user=user if getattr(user, "id", None) else None)
    return content


def pdf(user, state: str, year, language: str = "fr") -> bytes:
    """The yearly report as a PDF (fpdf2, the DejaVu fonts shipped beside this module); audited."""
    from fpdf import FPDF

    with force_locale(language):
        report = report_tables(user, state, year)
        document = FPDF(orientation="landscape", format="A4")
        document.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        document.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        document.set_auto_page_break(True, margin=12)
        # Arabic: letters joined and lines laid right to left by HarfBuzz, text aligned
        # right and the table's columns in reading order, from the right.
        right_to_left = Locale.parse(language).character_order == "right-to-left"
        align, order = ("R", reversed) if right_to_left else ("L", list)
        if right_to_left:
            document.set_text_shaping(use_shaping_engine=True, direction="rtl")
        document.add_page()
        document.set_font("DejaVu", "B", 14)
        document.multi_cell(0, 8, _title(report), align=align, new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu", "", 9)
        if report["notice"]:
            document.multi_cell(0, 6, report["notice"], align=align, new_x="LMARGIN", new_y="NEXT")
        for title, headers, rows in report["sheets"]:
            document.ln(3)
            document.set_font("DejaVu", "B", 11)
            document.cell(0, 7, title, align=align, new_x="LMARGIN", new_y="NEXT")
            document.set_font("DejaVu", "", 8)
            with document.table(text_align="RIGHT" if right_to_left else "LEFT", line_height=5) as pdf_table:
                pdf_table.row(list(order([str(header) for header in headers])))
                for row in rows:
                    pdf_table.row(list(order(["–" if value is None else str(value) for value in row])))
        content = bytes(document.output())
    record("report.iafq", details={"state": report["state"], "year": report["year"], "format": "pdf",
                                   "language": language}, user=user if getattr(user, "id", None) else None)
    return content


def file_bytes(kind: str, user, state: str, year, language: str) -> bytes:
    return (pdf if kind == "pdf" else xlsx)(user, state, year, language)

