"""How typed names are reduced to the keys the identification engine compares.

`key("AK-47")`, `key("ak 47")` and `key("Ak.47")` are all "ak47": case, accents (and
Cyrillic, transliterated), spaces, dashes, dots and other punctuation do not count.
Calibres have their own key, which also drops the words around the number
("cal.", "mm", "gauge") and reads a decimal comma as a dot: "7,62 x 39 mm" -> "762x39".
"""

import re
from functools import lru_cache

from unidecode import unidecode

TOKEN = re.compile(r"[a-z]+|\d+")
# A note in brackets: "(Chine)", "[mauvais état]".
NOTE = re.compile(r"[(\[{]([^)\]}]*)[)\]}]?")

# Words that say "nothing is known" rather than naming anything (keys, as `key()` gives them).
BLANK_KEYS = frozenset({
    "", "inconnu", "inconnue", "unknown", "na", "nd", "nc", "nr", "neant", "none", "null", "nan",
    "illisible", "unreadable", "sansmarque", "nomake", "aucun", "aucune", "ras", "x", "xx", "xxx",
    "nonidentifie", "nonidentifiee", "indetermine", "indeterminee", "ne", "0",
})

# Words a field unit puts around a make or model that name nothing ("marque", "mod.").
FILLER_WORDS = frozenset({"marque", "make", "brand", "modele", "model", "mod", "mdl", "no", "n", "ref"})

# Words around a calibre's number.
CALIBRE_WORDS = frozenset({
    "cal", "calibre", "caliber", "calibres", "mm", "millimetre", "millimetres", "millimeter",
    "ga", "gauge", "ge", "bore", "g", "c",
})

# A calibre written inside a make or model cell: "AK 47 7,62", "Beretta 92 9mm", "cal. 12".
CALIBRE_IN_TEXT = re.compile(
    r"""(?ix)
    (?<![\w.,])(
        \d{1,2}[.,]\d{1,2}\s*[x×*]\s*\d{2,3}\s*(?:mm)?\s*(?:r\b)?         # 7.62x39, 7,62 x 54 R
      | \d{1,2}\s*[x×*]\s*\d{2}\s*(?:mm)?                               # 9x19, 9 x 18 mm
      | \d{1,2}(?:[.,]\d{1,2})?\s*mm\b(?:\s*(?:m43|parabellum|luger|makarov|court|long|short))?
      | \d{1,2}[.,]\d{2}\s*(?:m43|nato|r)?\b                            # 7,62 / 5.56 NATO
      | cal(?:ibre|iber)?\.?\s*\.?\d{1,3}(?:[.,]\d{1,2})?(?:\s*/\s*\d{2})? # cal. 12, calibre 7.62
      | \.\d{2,3}\s*(?:acp|auto|lr|s&w|sw|spl|special|magnum|mag)?\b      # .45 ACP, .22 LR
      | \b(?:12|16|20|24|28|32|36)\s*(?:ga|gauge|g|/\s*70|/\s*76)\b         # 12 ga, 12/70
      | \bc\.?\s*(?:12|16|20)\b                                            # C12
    )
    """
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, accents and other scripts transliterated to plain Latin."""
    return unidecode(text).lower()


def tokens(text: str | None) -> list[str]:
    """The words and numbers of a text: "Type 56-1" -> ["type", "56", "1"]."""
    if not text:
        return []
    return TOKEN.findall(fold(str(text)))


def split_joined(text: str) -> str:
    """Words typed together told apart where a small letter meets a capital, or a run of
    capitals a capitalised word: "Benelli ArmiSuper 90" -> "Benelli Armi Super 90",
    "ZastavaM92" -> "Zastava M92", "FNHerstal" -> "FN Herstal"."""
    if not text:
        return text
    parts = [text[0]]
    for index in range(1, len(text)):
        before, character = text[index - 1], text[index]
        if character.isupper() and (before.islower() or (
                before.isupper() and index + 1 < len(text) and text[index + 1].islower() and index >= 2
                and text[index - 2].isupper())):
            parts.append(" ")
        parts.append(character)
    return "".join(parts)


def key(text: str | None) -> str:
    """The comparison key of a name: "AK-47" -> "ak47"."""
    if not text:
        return ""
    return _key(str(text))


@lru_cache(maxsize=131072)
def _key(text: str) -> str:
    return "".join(TOKEN.findall(fold(text)))


def calibre_key(text: str | None) -> str:
    """The comparison key of a calibre: "7,62 x 39 mm" -> "762x39", "Cal. 12" -> "12"."""
    if not text:
        return ""
    return _calibre_key(str(text))


@lru_cache(maxsize=65536)
def _calibre_key(text: str) -> str:
    return "".join(word for word in TOKEN.findall(fold(text)) if word not in CALIBRE_WORDS)


def calibre_keys(text: str | None) -> set[str]:
    """A calibre's keys: its full key and, for "7.62x39mm M43", also "762x39"."""
    full = calibre_key(text)
    keys = {full} if full else set()
    core = re.match(r"\d+x\d+", full)
    if core:
        keys.add(core.group(0))
    return keys


def split_notes(text: str | None) -> tuple[str, list[str]]:
    """The text without its notes in brackets, and the notes: "Type 56 (Chine)" ->
    ("Type 56", ["Chine"])."""
    if not text:
        return "", []
    text = str(text)
    notes = [note.strip() for note in NOTE.findall(text) if note.strip()]
    return NOTE.sub(" ", text).strip(), notes


def find_calibre(text: str) -> tuple[str, str] | None:
    """A calibre written inside another cell: (the calibre text, the cell without it)."""
    match = CALIBRE_IN_TEXT.search(text)
    if match is None:
        return None
    rest = (text[: match.start()] + " " + text[match.end():]).strip(" -,;/")
    return match.group(1).strip(), rest


def is_blank(text: str | None) -> bool:
    """Empty, or a word that means unknown ("inconnu", "N/A", "?")."""
    return key(text) in BLANK_KEYS


def digits(text_key: str) -> str:
    """The digits of a key, in order: two names whose digits differ are different models."""
    return "".join(character for character in text_key if character.isdigit())


@lru_cache(maxsize=1)
def usual_country_names() -> tuple[tuple[str, str], ...]:
    """(name, ISO code) of the usual short and former names of countries that the country
    table does not hold ("URSS", "Yougoslavie", "Angleterre"), from data/country_names.tsv:
    the one list that identification and the import both read."""
    import csv
    from pathlib import Path

    with open(Path(__file__).parent / "data" / "country_names.tsv", encoding="utf-8", newline="") as source:
        return tuple((name, row["code"]) for row in csv.DictReader(source, delimiter="\t")
                     for name in row["names"].split(";"))


COUNTRY_ARTICLES = frozenset({"la", "le", "les", "l", "the"})


def country_keys(countries) -> dict[str, str]:
    """Key of every way of writing a country -> its ISO code: its codes and its English,
    French and Arabic names; their shortened forms (before the comma, "Russie" of "Russie, Fédération
    de"; turned round, "Fédération de Russie"; without brackets); and the usual names
    (usual_country_names). A country's own name wins over another's shortened form
    ("Congo" is the Republic of the Congo, not the shortened Democratic Republic), and a
    shortened form two countries share ("Corée") means neither."""
    keys: dict[str, str] = {}
    shortened: dict[str, set[str]] = {}
    for code, alpha3, name_en, name_fr in countries:
        for text in (code, alpha3, name_en, name_fr):
            keys.setdefault(key(text), code)
        for name in (name_en, name_fr):
            first, comma, rest = name.partition(",")
            for text in (first, re.sub(r"\(.*?\)", "", name)) + ((f"{rest} {first}",) if comma else ()):
                shortened.setdefault(key(text), set()).add(code)
    for text_key, codes in shortened.items():
        if len(codes) == 1:
            keys.setdefault(text_key, next(iter(codes)))
    from registry.auth.countries import arabic_names, sort_key

    # Arabic names last: a Latin spelling never gives way to an Arabic name's reading.
    known = set(keys.values())
    for code, name in arabic_names().items():
        if code in known:
            for text in (name, name.partition("،")[0]):
                keys.setdefault(key(sort_key(text)), code)
    for name, code in usual_country_names():
        keys[key(name)] = code
    keys.pop("", None)
    return keys


def country_code(keys: dict[str, str], text: str | None) -> str | None:
    """The ISO code of a country as written ("Russie", "la Côte d'Ivoire", "URSS", "ML"),
    looked up in `keys` (country_keys); None when it is not understood."""
    found = keys.get(key(text))
    if found is None and text:
        words = tokens(text)
        while words and words[0] in COUNTRY_ARTICLES:  # "la Russie", "l'Algérie"
            words.pop(0)
        found = keys.get("".join(words))
    return found
