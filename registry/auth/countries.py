"""Every ISO 3166-1 country, with French and English names, from pycountry."""

import gettext

import pycountry
from sqlalchemy import select

from registry.auth.models import Country
from registry.extensions import db


def iso_countries() -> list[dict]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    countries = []
    for entry in pycountry.countries:
        english = getattr(entry, "common_name", None) or entry.name
        countries.append(
            {
                "code": entry.alpha_2,
                "alpha3": entry.alpha_3,
                "name_en": english,
                "name_fr": french.gettext(entry.name),
            }
        )
    return countries


def load_countries() -> tuple[int, int]:
    """Insert missing countries and refresh names; returns (added, changed)."""
    existing = {country.code: country for country in db.session.scalars(select(Country))}
    added = changed = 0
    for values in iso_countries():
        country = existing.get(values["code"])
        if country is None:
            db.session.add(Country(**values))
            added += 1
            continue
        if any(getattr(country, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(country, key, value)
            changed += 1
    db.session.flush()
    return added, changed


def country_choices() -> list[tuple[str, str]]:
    """(code, "Name (code)") for every country, in alphabetical order of the name in the
    reader's language, accents ignored (Émirats arabes unis under E, not after Z)."""
    from unidecode import unidecode

    countries = db.session.scalars(select(Country)).all()
    return sorted(((country.code, f"{country.name} ({country.code})") for country in countries),
                  key=lambda choice: unidecode(choice[1]).casefold())

