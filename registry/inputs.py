"""What people type in a form, read as they write it: dates as 15/03/2024 or 2024-03-15,
decimal numbers with a comma (12,6392) or a point. A day that does not exist (31/02) is
refused with a message, never read as no date."""

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from registry.errors import DomainError

# Day first, as the region writes it; the year may come first only in the ISO order.
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*$")
DATE_INPUT_FORMAT = "%d/%m/%Y"


def parse_date(value, field: str | None = None) -> date | None:
    """A date typed as DD/MM/YYYY (or with dots or dashes) or YYYY-MM-DD; None when empty.
    DomainError naming `field` when it is not a date or not a day of the calendar."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    found = _DAY_FIRST.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        found = _YEAR_FIRST.match(text)
        if not found:
            raise DomainError(_l("“%(text)s” is not a date: write it as DD/MM/YYYY, e.g. 15/03/2024.",
                                 text=text[:40]), field=field)
        year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise DomainError(_l("“%(text)s” is not a day of the calendar: check the day and the month.",
                             text=text[:40]), field=field) from None


def date_input_value(value) -> str:
    """How a stored date is shown again in a date box."""
    return value.strftime(DATE_INPUT_FORMAT) if isinstance(value, date) else (value or "")


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def parse_decimal(value, field: str | None = None) -> float | None:
    """A number typed with a decimal point or a French decimal comma ("12,6392"), in Latin
    or Arabic-Indic digits with the Arabic decimal separator ("١٢٫٦٣٩٢")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u2212", "-")  # the minus sign a keyboard may give
    text = text.replace("\u066b", ".")  # ٫, the Arabic decimal separator
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise DomainError(_l("“%(text)s” is not a number: write it as 12.6392 or 12,6392.",
                             text=text[:40]), field=field) from None


class DateTextField(StringField):
    """A date box that keeps what was typed: a text input (a browser's date picker sends
    nothing at all for 31/02, so the registry could not say what was wrong), read by
    parse_date when the form is checked."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "placeholder": _l("DD/MM/YYYY"),
                     **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        return date_input_value(self.data)
