"""Serial numbers (docs/data-model.md): what was typed is kept; comparisons use a key.

The key is upper case, without spaces, dashes, dots, slashes or any other separator,
with look-alike characters folded: O→0, I and L→1, and Cyrillic or Greek letters that
look Latin folded to Latin. A serial that is obliterated, ground or unreadable is
recorded as such (`SerialState`), never as an empty string.
"""

import enum
import re
import unicodedata

from flask_babel import lazy_gettext as _l


class SerialState(enum.StrEnum):
    READABLE = "readable"
    OBLITERATED = "obliterated"
    UNREADABLE = "unreadable"
    ABSENT = "absent"

    @property
    def label(self):
        return SERIAL_STATE_LABELS[self]


SERIAL_STATE_LABELS = {
    SerialState.READABLE: _l("Readable"),
    SerialState.OBLITERATED: _l("Obliterated (filed, ground, removed)"),
    SerialState.UNREADABLE: _l("Unreadable"),
    SerialState.ABSENT: _l("No serial number"),
}

# Upper-case Cyrillic and Greek letters drawn like a Latin letter.
_SCRIPT_LOOK_ALIKES = {
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q",
    "Ԝ": "W", "З": "3", "Ь": "B",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
# Latin letters read as digits on a stamped serial.
_DIGIT_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1"}
_FOLD = str.maketrans({**_SCRIPT_LOOK_ALIKES, **_DIGIT_LOOK_ALIKES})


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper()
    text = text.translate(_FOLD)
    kept = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            continue  # accents: É is E
        if char.isdigit():
            kept.append(str(unicodedata.digit(char, char)) if not char.isascii() else char)
        elif char.isalpha():
            kept.append(char)
        # anything else is a separator: space, dash, dot, slash, underscore, quote...
    return "".join(kept).translate(_FOLD)


def serial_key(raw: str | None) -> str | None:
    """The key a serial is compared on; None when nothing but separators was typed."""
    if raw is None:
        return None
    key = _fold_once(raw)
    # Some characters change again when folded (a ligature, a letter whose upper case is
    # two letters): fold until nothing moves, so the key of a key is itself.
    for _round in range(3):
        again = _fold_once(key)
        if again == key:
            break
        key = again
    return key or None


# --- Serials typed as words: "limé", "illisible", "néant", "-"... --------------------

_OBLITERATED_WORDS = {
    "lime", "limee", "limes", "efface", "effacee", "effaces", "gratte", "grattee", "meule",
    "meulee", "abrase", "abrasee", "supprime", "supprimee", "detruit", "oblitere", "obliteree",
    "obliterated", "ground", "grinded", "filed", "erased", "removed", "defaced", "scratched",
    "abraded", "obliteration", "rape", "rapee", "martele", "martelee",
}
_UNREADABLE_WORDS = {
    "illisible", "illisibles", "indechiffrable", "unreadable", "illegible", "inconnu",
    "unknown", "lisible", "readable", "partiellement", "partially",
}
_ABSENT_WORDS = {
    "neant", "sans", "aucun", "aucune", "none", "nil", "nul", "na", "sn", "absent", "absente",
    "missing", "without", "pas", "no", "not",
}
# Words that say "the serial number" around the words above.
_FILLER_WORDS = {
    "numero", "numeros", "num", "n", "no", "nr", "serie", "de", "du", "le", "la", "les", "est",
    "serial", "number", "numbers", "sr", "is", "off", "completely", "totally", "totalement",
    "completement", "entierement", "ete", "a", "the", "non", "number's", "matricule",
}


def _words(raw: str) -> list[str]:
    text = unicodedata.normalize("NFKD", raw.lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.findall(r"[a-z]+|[0-9]+", text)


def detect_serial_state(raw: str | None) -> SerialState:
    """What a typed serial says about itself.

    "limé", "effacé", "obliterated", "ground off" → obliterated; "illisible", "?",
    "unreadable" → unreadable; "", "-", "néant", "sans numéro", "none" → absent;
    anything else is a readable serial (even if it is made only of separators: the
    caller refuses that, since there is nothing to compare).
    """
    if raw is None or not raw.strip():
        return SerialState.ABSENT
    stripped = raw.strip()
    if set(stripped) <= set("?¿ "):
        return SerialState.UNREADABLE
    if set(stripped) <= set("-–—_ ") or stripped.lower() in {"s/n", "s.n.", "n/a", "x", "xx", "xxx"}:
        return SerialState.ABSENT
    words = _words(stripped)
    if not words or any(word.isdigit() for word in words):
        return SerialState.READABLE
    vocabulary = _OBLITERATED_WORDS | _UNREADABLE_WORDS | _ABSENT_WORDS | _FILLER_WORDS
    if not all(word in vocabulary for word in words):
        return SerialState.READABLE
    if any(word in _OBLITERATED_WORDS for word in words):
        return SerialState.OBLITERATED
    if any(word in _UNREADABLE_WORDS for word in words) or "?" in stripped:
        return SerialState.UNREADABLE
    if any(word in _ABSENT_WORDS for word in words):
        return SerialState.ABSENT
    return SerialState.READABLE


# --- Near matches ----------------------------------------------------------------------

# Characters of a key, once folded (no O, I or L).
KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Pairs still confused on a worn stamping after the fold: 5/S, 8/B, 2/Z, 6/G, 0/D, 0/Q, U/V.
LOOK_ALIKE_PAIRS = {("5", "S"), ("8", "B"), ("2", "Z"), ("6", "G"), ("0", "D"), ("0", "Q"),
                    ("U", "V"), ("1", "T"), ("7", "T"), ("M", "N"), ("C", "G"), ("E", "F")}
_LOOK_ALIKES: dict[str, set[str]] = {}
for _left, _right in LOOK_ALIKE_PAIRS:
    _LOOK_ALIKES.setdefault(_left, set()).add(_right)
    _LOOK_ALIKES.setdefault(_right, set()).add(_left)

# How close a near key is, by the kind of difference (exact is 1.0).
SCORE_LOOK_ALIKE = 0.95
SCORE_TRANSPOSITION = 0.9
SCORE_SUBSTITUTION = 0.8
SCORE_INSERTION_OR_DELETION = 0.75


def near_keys(key: str) -> dict[str, float]:
    """Every key one look-alike, one swap of neighbours or one edit away from `key`, with
    its score. The caller looks them up with `serial_key IN (...)`, which uses the index."""
    candidates: dict[str, float] = {}

    def add(candidate: str, score: float) -> None:
        if candidate and candidate != key and candidates.get(candidate, 0) < score:
            candidates[candidate] = score

    for position, char in enumerate(key):
        head, tail = key[:position], key[position + 1:]
        add(head + tail, SCORE_INSERTION_OR_DELETION)
        for other in KEY_ALPHABET:
            if other != char:
                score = SCORE_LOOK_ALIKE if other in _LOOK_ALIKES.get(char, ()) else SCORE_SUBSTITUTION
                add(head + other + tail, score)
        if position + 1 < len(key) and key[position + 1] != char:
            add(head + key[position + 1] + char + key[position + 2:], SCORE_TRANSPOSITION)
    for position in range(len(key) + 1):
        for other in KEY_ALPHABET:
            add(key[:position] + other + key[position:], SCORE_INSERTION_OR_DELETION)
    return candidates


# A key this short matches too many weapons by chance: a hit needs the make as well.
SHORT_SERIAL_LENGTH = 4


def is_short(key: str | None) -> bool:
    return key is None or len(key) < SHORT_SERIAL_LENGTH
