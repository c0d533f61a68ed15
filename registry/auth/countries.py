"""Every ISO 3166-1 country, with French and English names, from pycountry (and its
Arabic names, read from pycountry when an Arabic page shows them)."""

import gettext
import re
from functools import cache
from pathlib import Path

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


# Names pycountry's Arabic catalogue does not hold yet.
ARABIC_NAMES = {"TR": "تركيا"}


@cache
def arabic_names() -> dict[str, str]:
    """Country code -> its Arabic name, from pycountry's iso3166-1 catalogue."""
    arabic = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"], fallback=True)
    names = {entry.alpha_2: arabic.gettext(entry.name) for entry in pycountry.countries}
    names.update(ARABIC_NAMES)
    return names


# Arabic short vowels and shadda do not count in the order; hamza forms of alif are alif.
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")
_ALIF = str.maketrans("أإآٱ", "اااا")


def sort_key(name: str) -> str:
    """A name's place in an alphabetical list in its own script: Latin letters without
    their accents (Émirats under E), Arabic letters without vowel marks (in Unicode's
    order, which is the Arabic alphabet's)."""
    from unidecode import unidecode

    if re.search("[\u0600-\u06ff]", name):
        return _ARABIC_MARKS.sub("", name).translate(_ALIF)
    return unidecode(name).casefold()


ZONE_TABLE = Path("/usr/share/zoneinfo/zone.tab")


def principal_time_zones() -> dict[str, str]:
    """Country code -> its first time zone in the system's tz database (zone.tab lists a
    country's principal zone first: Africa/Bamako for ML). Empty when there is none."""
    zones: dict[str, str] = {}
    try:
        lines = ZONE_TABLE.read_text(encoding="utf-8").splitlines()
    except OSError:
        return zones
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            zones.setdefault(parts[0], parts[2])
    return zones


def load_countries() -> tuple[int, int]:
    """Insert missing countries and refresh names; returns (added, changed). A country
    gets its principal time zone when it has none yet (a state may set another)."""
    existing = {country.code: country for country in db.session.scalars(select(Country))}
    zones = principal_time_zones()
    added = changed = 0
    for values in iso_countries():
        country = existing.get(values["code"])
        if country is None:
            db.session.add(Country(**values, time_zone=zones.get(values["code"])))
            added += 1
            continue
        if country.time_zone is None and zones.get(values["code"]):
            country.time_zone = zones[values["code"]]
        if any(getattr(country, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(country, key, value)
            changed += 1
    db.session.flush()
    return added, changed


def country_choices() -> list[tuple[str, str]]:
    """(code, "Name (code)") for every country, in alphabetical order of the name in the
    reader's language, accents ignored (Émirats arabes unis under E, not after Z)."""
    countries = db.session.scalars(select(Country)).all()
    return sorted(((country.code, f"{country.name} ({country.code})") for country in countries),
                  key=lambda choice: sort_key(choice[1]))

