"""The tables of a statistics report, in the reader's language, and their exports (CSV,
xlsx) and charts (SVG drawn on the server by pygal, shown as images: no script, no
asset from the internet, the numbers in the table beside each)."""

import base64
import csv
import io

import pygal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pygal.style import Style

from registry.i18n import reads_right_to_left
from registry.weapons.models import WeaponStatus

# name -> (title, the report's key, what its first column names)
TABLES = {
    "status": (_l("By status"), "by_status", _l("Status")),
    "type": (_l("By type"), "by_type", _l("Type")),
    "calibre": (_l("By calibre"), "by_calibre", _l("Calibre")),
    "make": (_l("By make"), "by_make", _l("Make")),
    "model": (_l("By model"), "by_model", _l("Model")),
    "country_of_manufacture": (_l("By country of manufacture"), "by_country_of_manufacture",
                               _l("Country of manufacture")),
    "region": (_l("By region"), "by_region", _l("Region")),
    "month": (_l("By month"), "by_month", _l("Month")),
}
EXTRA_TABLES = ("tracing", "coverage", "unmatched_regions", "states", "shared")
EXPORTABLE = tuple(TABLES) + EXTRA_TABLES

CHART_STYLE = Style(background="white", plot_background="white", foreground="#1d2733",
                    foreground_strong="#1d2733", foreground_subtle="#5d6b7a", opacity=".9",
                    colors=("#1f5f8b", "#e0a100", "#1e7b45", "#b3261e", "#6b4c9a", "#5d6b7a"),
                    font_family="DejaVu Sans, sans-serif")
CHART_ROWS = 12


# Dimensions whose rows are countries, keyed by their ISO code.
COUNTRY_DIMENSIONS = frozenset({"by_country_of_manufacture", "by_partner", "by_state", "country"})


def local_name(row: dict, dimension: str = "") -> str:
    """A named row ({"key", "name" in English, "name_fr"}) in the reader's language: an
    Arabic reader gets a country's Arabic name, else the French one, as a French reader."""
    from registry.auth.countries import arabic_names

    locale = get_locale()
    language = locale.language if locale else "fr"
    if language == "ar" and dimension in COUNTRY_DIMENSIONS and arabic_names().get(row.get("key") or ""):
        return arabic_names()[row["key"]]
    if language == "ar" and dimension in ("by_type", "type") and row.get("name"):
        from registry.reference.vocabulary import in_reader_language

        return in_reader_language(row["name"], "type")
    if language in ("fr", "ar") and row.get("name_fr"):
        return row["name_fr"]
    return str(row.get("name") or row.get("key"))


def label(dimension: str, row: dict) -> str:
    """A row's name in the reader's language."""
    if dimension == "by_status":
        return str(WeaponStatus(row["key"]).label)
    if row.get("key") is None and row.get("name") is None:
        return _("Not given") if dimension in ("by_region", "by_country_of_manufacture") else _("Not identified")
    return local_name(row, dimension)


def table(report: dict, name: str) -> tuple[list[str], list[list]]:
    """(headers, rows) of one table of the report, as the page and the exports show it."""
    if name in TABLES:
        _title, key, first = TABLES[name]
        total = report["total"] or 0
        rows = [[label(key, row), row["count"],
                 round(100 * row["count"] / total, 1) if total and key != "by_month" else None]
                for row in report[key]]
        return [str(first), _("Records"), _("Share (%)")], rows
    if name == "tracing":
        headers = [_("Partner state"), _("Requests sent"), _("Sent, answered"), _("Sent, origin established"),
                   _("Sent, answered within the deadline"), _("Sent, median days to answer"),
                   _("Requests received"), _("Received, answered"), _("Received, answered within the deadline"),
                   _("Received, median days to answer")]
        rows = []
        entries = [({"name": _("All partner states"), "name_fr": _("All partner states")}, report["tracing"])]
        entries += [(partner, partner) for partner in report["tracing"]["by_partner"]]
        for who, figures in entries:
            sent, received = figures["sent"], figures["received"]
            rows.append([label("by_partner", who), sent["count"], sent["answered"], sent["origin_established"],
                         sent["within_deadline"], sent["median_days_to_answer"], received["count"],
                         received["answered"], received["within_deadline"], received["median_days_to_answer"]])
        return headers, rows
    if name == "coverage":
        headers = [_("Month"), _("Records"), _("Serial checked against other states"), _("With a hit"),
                   _("Traced"), _("Answered"), _("Checked (%)"), _("Traced (%)"), _("Answered (%)")]
        rows = [[item["month"], item["records"], item["searched"], item["hit"], item["traced"], item["answered"],
                 _percent(item["searched_share"]), _percent(item["traced_share"]), _percent(item["answered_share"])]
                for item in report["coverage"]["by_month"]]
        return headers, rows
    if name == "unmatched_regions":
        return [_("Region as typed"), _("Records")], [[item["text"], item["count"]]
                                                     for item in report["unmatched_regions"]]
    if name in ("states", "shared"):
        entries = report["states"] if name == "states" else (report["shared"] or {}).get("by_state", [])
        statuses = list(WeaponStatus)
        headers = [_("State"), _("Records")] + [str(status.label) for status in statuses]
        rows = [[label("by_state", entry), entry["total"]] + [entry["by_status"].get(status.value, 0)
                                                               for status in statuses]
                for entry in entries or []]
        return headers, rows
    raise KeyError(name)


def _percent(share):
    return None if share is None else round(100 * share, 1)


def to_csv(headers: list, rows: list) -> bytes:
    """UTF-8 with a byte-order mark, so that a spreadsheet opens accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, list, list]], heading: str = "") -> bytes:
    """A workbook of (title, headers, rows) sheets, a line saying what it holds on top."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(_sheet_title(title))
        sheet.sheet_view.rightToLeft = reads_right_to_left()
        if heading:
            sheet.append([heading])
            sheet["A1"].font = Font(bold=True)
        sheet.append(headers)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 34
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31]


def chart(report: dict, name: str) -> str | None:
    """A data: URI of the SVG chart of one table, or None when there is nothing to draw."""
    headers, rows = table(report, name)
    if not rows or not any(row[1] for row in rows):
        return None
    config = dict(style=CHART_STYLE, show_legend=False, width=640, height=300, js=[],
                  disable_xml_declaration=False, print_values=False, margin=12,
                  show_y_guides=True, truncate_label=40)
    if name == "month":
        drawing = pygal.Bar(**config, x_label_rotation=45,
                            show_minor_x_labels=False)
        drawing.x_labels = [row[0] for row in rows]
        drawing.x_labels_major = [row[0] for row in rows if row[0].endswith("-01")] or None
        drawing.add(headers[1], [row[1] for row in rows])
    else:
        shown = rows[:CHART_ROWS]
        drawing = pygal.HorizontalBar(**config | {"height": 40 + 24 * len(shown)})
        drawing.x_labels = [str(row[0]) for row in reversed(shown)]
        drawing.add(headers[1], [row[1] for row in reversed(shown)])
    return "data:image/svg+xml;base64," + base64.b64encode(drawing.render()).decode("ascii")
