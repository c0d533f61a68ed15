"""Regions typed in records and imports, matched to the first-level ISO 3166-2 subdivisions
of their state (pycountry holds them, with French names).

"Région de Tombouctou", "Timbuktu", "TOMBOUCTOU" and "ML-6" are one region; a unit below
the first level names its region ("Kadiogo", a province, is Burkina Faso's Centre). A text
that matches no subdivision is kept as typed and listed apart as unmatched.
"""

import gettext
import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from registry.reference.normalize import fold

# Other spellings met in the field, in English or in older French (keys as `_key()` gives them).
COMMON_SPELLINGS = {
    "ML-6": ("timbuktu", "tombouctou", "tumbuktu"),
    "ML-5": ("mopti",),
    "ML-4": ("segou", "segu"),
    "ML-BKO": ("bamako district", "district de bamako", "bko"),
    "ML-10": ("taoudeni", "taoudenni", "taoudenit"),
    "ML-9": ("menaka",),
    "NE-6": ("tillaberi", "tillabery"),
    "NE-8": ("niamey capital district", "communaute urbaine de niamey", "cun"),
    "CI-AB": ("abidjan autonomous district", "district autonome d abidjan"),
    "CI-YM": ("yamoussoukro autonomous district", "district autonome de yamoussoukro"),
}

# Units below the first level typed for their region, where ISO 3166-2 does not list them:
# Côte d'Ivoire's regions (those of 2011, and those before, of which its districts were
# made). Burkina Faso's provinces are read from ISO 3166-2 itself (their parent region).
LOWER_UNITS = {
    "CI-BS": ("Gbôklé", "Nawa", "San-Pédro"),
    "CI-CM": ("Indénié-Djuablin", "Sud-Comoé", "Moyen-Comoé"),
    "CI-DN": ("Folon", "Kabadougou"),
    "CI-GD": ("Gôh", "Lôh-Djiboua", "Fromager", "Sud-Bandama"),
    "CI-LC": ("Bélier", "Iffou", "Moronou", "N'Zi", "N'zi-Comoé"),
    "CI-LG": ("Agnéby-Tiassa", "Grands-Ponts", "La Mé", "Agnéby"),
    "CI-MG": ("Cavally", "Guémon", "Tonkpi", "Dix-Huit Montagnes", "18 Montagnes", "Moyen-Cavally"),
    "CI-SM": ("Haut-Sassandra", "Marahoué"),
    "CI-SV": ("Bagoué", "Poro", "Tchologo"),
    "CI-VB": ("Gbêkê", "Hambol"),
    "CI-WR": ("Bafing", "Béré", "Worodougou"),
    "CI-ZZ": ("Bounkani", "Gontougo"),
}

# Words around a region's name that do not name it.
_FILLERS = re.compile(
    r"\b(region|regions|de|du|des|d|la|le|l|province|district|autonome|autonomous|urban|"
    r"community|communaute|urbaine|state|etat|gouvernorat)\b")


def _key(text: str) -> str:
    folded = re.sub(r"[^a-z0-9]+", " ", fold(text))
    stripped = " ".join(_FILLERS.sub(" ", folded).split())
    return stripped or " ".join(folded.split())


@dataclass(frozen=True)
class Subdivision:
    code: str
    name: str      # as ISO 3166-2 writes it (the state's own language)
    name_fr: str
    name_en: str


@lru_cache(maxsize=256)
def subdivisions(country_code: str) -> tuple[Subdivision, ...]:
    """The first-level subdivisions of a state, ordered by name."""
    french = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    english = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"], fallback=True)
    found = pycountry.subdivisions.get(country_code=(country_code or "").upper()) or []
    return tuple(sorted(
        (Subdivision(entry.code, entry.name, french.gettext(entry.name), english.gettext(entry.name))
         for entry in found if entry.parent_code is None),
        key=lambda item: fold(item.name)))


@lru_cache(maxsize=256)
def _keys(country_code: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for item in subdivisions(country_code):
        for text in (item.code, item.code.split("-", 1)[1], item.name, item.name_fr, item.name_en):
            keys.setdefault(_key(text), item.code)
        for spelling in COMMON_SPELLINGS.get(item.code, ()):
            keys.setdefault(_key(spelling), item.code)
    # Then the units below: a name of the first level wins over a lower unit of that name.
    found = {entry.code: entry for entry in pycountry.subdivisions.get(country_code=country_code) or []}
    for entry in found.values():
        top = entry
        while top.parent_code is not None and top.parent_code in found:
            top = found[top.parent_code]
        if top is not entry:
            for text in (entry.code, entry.name):
                keys.setdefault(_key(text), top.code)
    for code, names in LOWER_UNITS.items():
        if code.startswith(f"{country_code}-"):
            for name in names:
                keys.setdefault(_key(name), code)
    return keys


@lru_cache(maxsize=65536)
def match_region(country_code: str, text: str | None) -> str | None:
    """The ISO 3166-2 code of the first-level subdivision `text` names, or None."""
    if not text or not text.strip():
        return None
    return _keys((country_code or "").upper()).get(_key(text))


def subdivision(code: str | None) -> Subdivision | None:
    if not code or "-" not in code:
        return None
    for item in subdivisions(code.split("-", 1)[0]):
        if item.code == code:
            return item
    return None
