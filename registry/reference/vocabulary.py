"""The words of the reference table that the registry names, rather than a person typed:
weapon types, the generic make and models of locally made weapons, gauges. A page shows
them in the reader's language (`|vocabulary` in templates); names of real makes and
models, and what an officer typed, stay as they are."""

import re

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db

GENERIC_NAMES = {
    "Locally made": _l("Locally made"),
    "Single-barrel shotgun": _l("Single-barrel shotgun"),
    "Double-barrel shotgun": _l("Double-barrel shotgun"),
    "Craft pistol": _l("Craft pistol"),
    "Craft revolver": _l("Craft revolver"),
    "Craft rifle": _l("Craft rifle"),
}
_GAUGE = re.compile(r"^(\d{1,2})\s*(?:gauge|ga)$", re.IGNORECASE)


def _type_names() -> dict[str, str]:
    """Any stored name of a weapon type (English or French) -> its name for this reader;
    read once a request."""
    if "weapon_type_names" not in g:
        from registry.reference.models import WeaponType

        names = {}
        for weapon_type in db.session.scalars(select(WeaponType)):
            for stored in (weapon_type.name_en, weapon_type.name_fr, weapon_type.name_ar):
                if stored:
                    names[stored] = weapon_type.name
        g.weapon_type_names = names
    return g.weapon_type_names


def in_reader_language(value, field: str | None = None):
    """`value` (a type, a generic make or model, a gauge) in the reader's language; any
    other name unchanged. `field` ("type", "calibre"...) narrows what is looked up."""
    if not value:
        return value
    text = str(value)
    if text in GENERIC_NAMES and field in (None, "make", "model"):
        return str(GENERIC_NAMES[text])
    gauge = _GAUGE.match(text)
    if gauge and field in (None, "calibre"):
        return _("%(number)s gauge", number=gauge.group(1))
    if field in (None, "type"):
        return _type_names().get(text, text)
    return text
