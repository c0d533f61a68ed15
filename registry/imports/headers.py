"""Finding the header row of a field sheet and mapping its columns to what they mean.

Sheets come with titles on top, blank lines and merged title cells; the header row is the
row among the first ones whose cells name the most known columns. Column titles are
compared without accents, case or punctuation, in French, English and Arabic (without its
vowel marks and hamza).
"""

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from registry.imports.reader import ImportRefused, Sheet

HEADER_SEARCH_ROWS = 30

# Field -> its label for people, then the column titles that mean it (normalised form:
# lower case, no accents, "n°" read as "no", punctuation as spaces). Title text may be
# French: these are column-header aliases, the only place French appears in code.
FIELDS: dict[str, object] = {
    "line_number": _l("Line number"),
    "make": _l("Make"),
    "model": _l("Model"),
    "serial": _l("Serial number"),
    "calibre": _l("Calibre"),
    "type": _l("Weapon type"),
    "status": _l("Status"),
    "event_date": _l("Date"),
    "event_town": _l("Place"),
    "event_region": _l("Region"),
    "event_country": _l("Country of the event"),
    "manufacture_country": _l("Country of manufacture"),
    "import_country": _l("Country of last import"),
    "case_reference": _l("Case reference"),
    "markings": _l("Other markings"),
    "importer": _l("Importer marking"),
    "proof": _l("Proof marks"),
    "year": _l("Year marking"),
    "legal_ground": _l("Legal ground"),
    "circumstances": _l("Circumstances"),
    "notes": _l("Notes"),
}

SYNONYMS: dict[str, tuple[str, ...]] = {
    "line_number": ("no", "n", "num", "numero", "no d ordre", "numero d ordre", "ordre", "nr", "item",
                    "line", "line number", "index", "id", "no ordre", "n o"),
    "make": ("marque", "marques", "marque de l arme", "fabricant", "constructeur", "make", "brand",
             "manufacturer", "producer", "marque fabricant"),
    "model": ("modele", "modeles", "modele de l arme", "model", "model name", "modele arme"),
    "serial": ("no de serie", "numero de serie", "n de serie", "no serie", "num serie", "serie",
               "serial", "serial number", "serial no", "sn", "s n", "no serial", "matricule",
               "numero serie", "no de serie de l arme", "numero de l arme", "no arme"),
    "calibre": ("calibre", "caliber", "calibre gauge", "calibre mm", "gauge", "cal"),
    "type": ("type", "type d arme", "type de l arme", "type arme", "categorie", "nature",
             "nature de l arme", "weapon type", "type of weapon", "category", "genre", "kind"),
    "status": ("statut", "situation", "status", "statut de l arme", "etat de l arme",
               "situation de l arme", "nature de l evenement", "evenement", "event", "motif"),
    "event_date": ("date", "date de saisie", "date saisie", "date de l evenement", "date de decouverte",
                   "date de la saisie", "seizure date", "date seized", "date of seizure", "event date",
                   "date of event", "date de recuperation", "date de collecte", "date recuperation"),
    "event_town": ("lieu", "lieu de saisie", "localite", "ville", "commune", "village", "lieu saisie",
                   "place", "town", "location", "place of seizure", "city", "locality",
                   "lieu de la saisie", "lieu de decouverte"),
    "event_region": ("region", "province", "departement", "cercle", "district", "prefecture", "state"),
    "event_country": ("pays", "country", "pays de saisie", "country of seizure"),
    "manufacture_country": ("pays de fabrication", "pays d origine", "origine", "pays fabricant",
                            "country of manufacture", "country of origin", "origin",
                            "manufacturing country", "made in", "pays de fabrication de l arme"),
    "import_country": ("pays d importation", "pays importateur", "country of import",
                       "import country", "last import country", "country of last import",
                       "pays de derniere importation"),
    "case_reference": ("reference dossier", "ref dossier", "no pv", "n pv", "pv", "proces verbal",
                       "no proces verbal", "numero pv", "numero de pv", "no dossier", "numero dossier",
                       "dossier", "reference", "ref", "case reference", "case no", "case number",
                       "case", "file reference", "reference du dossier", "no de dossier", "affaire"),
    "markings": ("marquages", "marquage", "autres marquages", "markings", "marking", "other markings",
                 "inscriptions"),
    "importer": ("importateur", "marquage d importation", "marquage importateur", "importer",
                 "import marking", "importer marking"),
    "proof": ("poincons", "poincon", "poincons d epreuve", "proof marks", "proof mark", "proof"),
    "year": ("annee", "annee de fabrication", "year", "year of manufacture", "millesime"),
    "legal_ground": ("motif de saisie", "fondement juridique", "base legale", "legal ground",
                     "infraction", "offence", "qualification"),
    "circumstances": ("circonstances", "circonstances de la saisie", "circumstances", "faits",
                      "description des faits"),
    "notes": ("observations", "observation", "remarques", "remarque", "notes", "note",
              "commentaires", "commentaire", "comments", "comment", "remarks", "obs"),
}

# What a mapping must name at least one of, to describe weapons at all.
DESCRIBING_FIELDS = ("make", "model", "serial", "calibre", "type")

# Column titles of the sheets of Chad's and Mauritania's services, written as they are
# (normalize_title folds their vowel marks and hamza).
ARABIC_SYNONYMS: dict[str, tuple[str, ...]] = {
    "line_number": ("م", "ت", "الرقم الترتيبي", "رقم السطر", "الترتيب", "التسلسل"),
    "make": ("الصانع", "صانع", "الشركة المصنعة", "المصنع", "الماركة", "العلامة التجارية"),
    "model": ("الطراز", "طراز", "الموديل", "موديل", "النموذج"),
    "serial": ("الرقم التسلسلي", "رقم تسلسلي", "الرقم المتسلسل", "رقم السلاح", "الرقم التسلسلي للسلاح"),
    "calibre": ("العيار", "عيار"),
    "type": ("النوع", "نوع", "نوع السلاح", "الصنف", "صنف السلاح", "الفئة"),
    "status": ("الحالة", "حالة السلاح", "الوضعية", "وضعية السلاح"),
    "event_date": ("التاريخ", "تاريخ الضبط", "تاريخ الحجز", "تاريخ الواقعة", "تاريخ العثور",
                   "تاريخ المصادرة"),
    "event_town": ("المكان", "مكان الضبط", "مكان الحجز", "المدينة", "البلدة", "القرية", "الموقع"),
    "event_region": ("المنطقة", "الولاية", "الإقليم", "المحافظة", "المقاطعة"),
    "event_country": ("الدولة", "البلد", "بلد الضبط"),
    "manufacture_country": ("بلد الصنع", "دولة الصنع", "بلد المنشأ", "المنشأ", "بلد التصنيع"),
    "import_country": ("بلد الاستيراد", "دولة الاستيراد", "بلد آخر استيراد", "دولة آخر استيراد"),
    "case_reference": ("مرجع القضية", "رقم القضية", "رقم المحضر", "المحضر", "رقم الملف", "الملف",
                       "المرجع"),
    "markings": ("العلامات", "علامات أخرى", "النقوش"),
    "importer": ("المستورد", "علامة المستورد", "علامة الاستيراد"),
    "proof": ("علامات الاختبار", "الدمغة", "الدمغات"),
    "year": ("السنة", "سنة الصنع"),
    "legal_ground": ("السند القانوني", "المخالفة", "التهمة"),
    "circumstances": ("الظروف", "ظروف الضبط", "الوقائع"),
    "notes": ("ملاحظات", "الملاحظات", "ملاحظة", "تعليقات"),
}

_ARABIC_LETTERS = str.maketrans({"ى": "ي", "ة": "ه", "ـ": ""})


def normalize_title(text) -> str:
    """'N° de Série ' -> 'no de serie'; "Type d'arme" -> 'type d arme'; 'الرقم  التسلسلي'
    -> 'الرقم التسلسلي' (Arabic without vowel marks, hamza, tatweel; ى as ي, ة as ه)."""
    if text is None:
        return ""
    text = str(text).replace("°", "o").replace("º", "o")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"[^a-z0-9\u0621-\u064a]+", " ", text.translate(_ARABIC_LETTERS))
    return " ".join(text.split())


_LOOKUP = {synonym: name for name, synonyms in SYNONYMS.items() for synonym in synonyms}
for _name, _synonyms in ARABIC_SYNONYMS.items():
    _LOOKUP.update({normalize_title(synonym): _name for synonym in _synonyms})
_RANK = {synonym: rank for rank, synonym in enumerate(_LOOKUP)}  # equal lengths: the first listed wins


def field_for_title(title) -> tuple[str | None, int]:
    """The field a column title names and how sure: 3 exact, 2 contains a long synonym, 0 none."""
    normal = normalize_title(title)
    if not normal or len(normal) > 80:
        return None, 0
    if normal in _LOOKUP:
        return _LOOKUP[normal], 3
    # A synonym contained in the title is a run of its words: look each run up.
    words = normal.split()
    best, best_key = None, (0, 0)
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            synonym = " ".join(words[start:end])
            name = _LOOKUP.get(synonym)
            if name and len(synonym) >= 4 and (len(synonym), -_RANK[synonym]) > best_key:
                best, best_key = name, (len(synonym), -_RANK[synonym])
    return (best, 2) if best else (None, 0)


@dataclass
class HeaderMatch:
    row: int  # Excel row number of the header
    mapping: dict[int, str]  # column index (0-based) -> field
    titles: list[str] = field(default_factory=list)

    @property
    def first_data_row(self) -> int:
        return self.row + 1

    def mapping_by_title(self) -> dict[str, str]:
        return {self.titles[index] if index < len(self.titles) else str(index): name
                for index, name in sorted(self.mapping.items())}


def map_titles(titles: list) -> dict[int, str]:
    """Column index -> field, each field taken once by its surest column."""
    candidates = []
    for index, title in enumerate(titles):
        name, score = field_for_title(title)
        if name:
            candidates.append((-score, index, name))
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for _score, index, name in sorted(candidates):
        if name not in taken:
            mapping[index] = name
            taken.add(name)
    return dict(sorted(mapping.items()))


def find_header(sheet: Sheet, search_rows: int = HEADER_SEARCH_ROWS) -> HeaderMatch:
    """The header row of `sheet` and its column mapping, or ImportRefused saying why."""
    best: HeaderMatch | None = None
    best_score = 0
    text_row: list | None = None
    for index, cells in enumerate(sheet.rows[:search_rows]):
        filled = [cell for cell in cells if cell not in (None, "")]
        if len(filled) < 2:
            continue  # blank, or a title (often merged across the columns)
        mapping = map_titles(cells)
        describing = sum(1 for name in mapping.values() if name in DESCRIBING_FIELDS)
        score = len(mapping) + describing
        if describing and score > best_score:
            best, best_score = HeaderMatch(index + 1, mapping, ["" if c is None else str(c) for c in cells]), score
        if text_row is None and len(filled) >= 3 and all(isinstance(c, str) for c in filled):
            text_row = filled
    if best is None:
        if not sheet.rows:
            raise ImportRefused(_l("The sheet is empty."))
        if text_row is not None:
            raise ImportRefused(_l(
                "None of the columns is recognised (found: %(found)s). Name them as in the template, "
                "e.g. Marque, Modèle, N° de série, Calibre, or set the columns by hand.",
                found=", ".join(str(cell)[:40] for cell in text_row[:8])))
        raise ImportRefused(_l(
            "No header row was found in the first %(count)d rows: the sheet needs a row of column "
            "titles such as Marque, Modèle, N° de série, Calibre.", count=search_rows))
    return best


def apply_mapping(titles: list[str], saved: dict[str, str] | None) -> dict[int, str] | None:
    """A mapping remembered by title (an agency's last one) applied to these titles, when
    every remembered title is there; None otherwise."""
    if not saved:
        return None
    positions = {title: index for index, title in enumerate(titles) if title}
    if not all(title in positions for title in saved):
        return None
    return dict(sorted((positions[title], name) for title, name in saved.items() if name in FIELDS))
