"""Serial searches as investigators make them: part of a serial (contains, starts with, ends
with), a list of serials pasted at once, and a sequence (the weapons of one shipment: one
make, serials that share their letters, numbers within a range).

Every query starts from the user's scope (`search.filtered`, hence `visible()`); each is
written to the audit log with what was asked, and the other states' wanted records found
are hits, recorded and announced as an exact serial search records them.

The indexes made for it: on PostgreSQL a pg_trgm trigram index on the serial key (LIKE with
a leading wildcard uses it); on SQLite an FTS5 trigram table of the keys, kept by triggers
(migration 0015). A prefix is a range of the key's ordinary index on SQLite; a sequence is
a range of that index on both.
"""

import io
import re
from dataclasses import dataclass, field

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, column, func, or_, select, table

from registry.audit.service import record
from registry.auth.models import User
from registry.errors import DomainError
from registry.extensions import db
from registry.i18n import reads_right_to_left
from registry.weapons import sharing
from registry.weapons.export import safe_cell
from registry.weapons.hits import record_search_hits
from registry.weapons.models import Hit, Weapon
from registry.weapons.search import SERIAL_RESULTS_LIMIT, Criteria, _key_among, filtered
from registry.weapons.serials import serial_key
from registry.weapons.service import identification_fields

MIN_PARTIAL = 4
MAX_LIST_LINES = 500
MAX_SEQUENCE_NUMBERS = 10_000
# A pasted list's table stops here: 500 short serials may each match many records.
LIST_RESULTS_LIMIT = 5_000
PARTIAL_MODES = {"contains": _l("contains"), "prefix": _l("starts with"), "suffix": _l("ends with")}

# SQLite's trigram table of serial keys (rowid = weapon.id), kept by the triggers of 0015.
SERIAL_TRIGRAMS = table("weapon_serial_trigram", column("rowid"), column("serial_key"))


@dataclass
class SerialSearchResult:
    weapons: list[Weapon]
    truncated: bool = False  # more records matched than are shown
    hits: list[Hit] = field(default_factory=list)


@dataclass
class ListLine:
    """One pasted line: as typed, its key, and the records it matched."""

    typed: str
    key: str | None
    weapons: list[Weapon] = field(default_factory=list)


@dataclass
class ListResult:
    lines: list[ListLine]
    truncated: bool = False
    hits: list[Hit] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(1 for line in self.lines if line.weapons)


def _escaped(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_string(key: str) -> str:
    """The first string after every string that starts with `key`."""
    return key[:-1] + chr(ord(key[-1]) + 1)


def _partial_condition(key: str, mode: str):
    pattern = {"contains": f"%{_escaped(key)}%", "prefix": f"{_escaped(key)}%",
               "suffix": f"%{_escaped(key)}"}[mode]
    if db.session.get_bind().dialect.name == "postgresql":
        return Weapon.serial_key.like(pattern, escape="\\")  # the trigram index answers all three
    if mode == "prefix":
        return and_(Weapon.serial_key >= key, Weapon.serial_key < _next_string(key))
    # FTS5 reads its trigram index only for a LIKE without ESCAPE; keys hold letters and
    # digits only, so the pattern has no wildcard to escape.
    pattern = {"contains": f"%{key}%", "suffix": f"%{key}"}[mode]
    trigrams = select(SERIAL_TRIGRAMS.c.rowid).where(SERIAL_TRIGRAMS.c.serial_key.like(pattern))
    return Weapon.id.in_(trigrams)


def partial_key(text: str, mode: str) -> str:
    if mode not in PARTIAL_MODES:
        raise DomainError(_l("Choose from the list how the serial is compared."), field="mode")
    key = serial_key(text)
    if key is None or len(key) < MIN_PARTIAL:
        raise DomainError(_l("Type at least %(count)d letters or digits of the serial for a partial "
                             "search.", count=MIN_PARTIAL), field="serial")
    return key


def partial_matches(user: User, text: str, mode: str, criteria: Criteria,
                    limit: int = SERIAL_RESULTS_LIMIT) -> list[Weapon]:
    """Records whose serial key contains, starts or ends with the typed part, newest first."""
    key = partial_key(text, mode)
    statement = filtered(user, criteria).where(_partial_condition(key, mode))
    return list(db.session.scalars(statement.order_by(Weapon.created_at.desc(), Weapon.id.desc())
                                   .limit(limit)))


def _hits(user: User, weapons: list[Weapon], make: str, terms: dict) -> list[Hit]:
    """The hits of a search's records, key by key, through the one mechanism of hits."""
    identified = identification_fields(user.country_code, make or None, None, None, None)
    by_key: dict[str, list[Weapon]] = {}
    for weapon in weapons:
        if weapon.serial_key and weapon.country_code != user.country_code and weapon.is_wanted:
            by_key.setdefault(weapon.serial_key, []).append(weapon)
    hits = []
    for key, matches in by_key.items():
        hits += record_search_hits(user, key, identified.get("make_id"), make or None, matches, terms)
    return hits


def partial_search(user: User, text: str, mode: str, criteria: Criteria) -> SerialSearchResult:
    """A partial serial search for the user: its records (the first 200, newest first), the
    hits among them, and an audit event with what was asked."""
    weapons = partial_matches(user, text, mode, criteria, limit=SERIAL_RESULTS_LIMIT + 1)
    truncated = len(weapons) > SERIAL_RESULTS_LIMIT
    weapons = weapons[:SERIAL_RESULTS_LIMIT]
    terms = criteria.terms() | {"serial": text, "mode": mode}
    hits = _hits(user, weapons, criteria.make, terms)
    record("weapon.search", "weapon", None, {"kind": "partial", "terms": terms, "results": len(weapons),
                                             "hits": [hit.id for hit in hits]}, user=user)
    return SerialSearchResult(sharing.all_for_reader(user, weapons), truncated, hits)


# --- A list of serials pasted at once --------------------------------------------------


def pasted_lines(text: str) -> list[str]:
    """The serials of a pasted list, one a line (a spreadsheet's column pastes so); blank
    lines left out. Too many lines, or none, is refused."""
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DomainError(_l("Paste at least one serial, one a line."), field="serials")
    if len(lines) > MAX_LIST_LINES:
        raise DomainError(_l("Paste at most %(limit)d serials at once: the list has %(count)d lines.",
                             limit=MAX_LIST_LINES, count=len(lines)), field="serials")
    return lines


def list_matches(user: User, text: str, criteria: Criteria) -> ListResult:
    """Each pasted serial and the user's records of the same key, in the order pasted."""
    lines = [ListLine(typed, serial_key(typed)) for typed in pasted_lines(text)]
    keys = sorted({line.key for line in lines if line.key})
    rows = []
    if keys:
        rows = db.session.scalars(filtered(user, criteria).where(_key_among(keys))
                                  .order_by(Weapon.serial_key, Weapon.created_at.desc(), Weapon.id.desc())
                                  .limit(LIST_RESULTS_LIMIT + 1)).all()
    by_key: dict[str, list[Weapon]] = {}
    for weapon in rows[:LIST_RESULTS_LIMIT]:
        by_key.setdefault(weapon.serial_key, []).append(weapon)
    for line in lines:
        line.weapons = by_key.get(line.key, []) if line.key else []
    return ListResult(lines, truncated=len(rows) > LIST_RESULTS_LIMIT)


def list_search(user: User, text: str, criteria: Criteria) -> ListResult:
    """A pasted list searched for the user: the table of what matched, its hits, and an audit
    event naming every serial asked."""
    result = list_matches(user, text, criteria)
    terms = criteria.terms() | {"serials": [line.typed for line in result.lines]}
    result.hits = _hits(user, [weapon for line in result.lines for weapon in line.weapons], criteria.make, terms)
    record("weapon.search", "weapon", None,
           {"kind": "list", "terms": terms, "matched": result.matched,
            "results": sum(len(line.weapons) for line in result.lines),
            "hits": [hit.id for hit in result.hits]}, user=user)
    for line in result.lines:
        line.weapons = sharing.all_for_reader(user, line.weapons)
    return result


def list_workbook(result: ListResult) -> bytes:
    """The table of a pasted list as an .xlsx: a row per record found, or per serial that
    matched nothing; the columns another state may see of a record."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Serials")
    sheet.sheet_view.rightToLeft = reads_right_to_left()
    header = [_("Serial as pasted"), _("Compared as"), _("Reference"), _("Status"), _("Make"), _("Model"),
              _("Calibre"), _("Serial number"), _("Country"), _("Agency")]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in result.lines:
        if not line.weapons:
            sheet.append([safe_cell(line.typed), line.key or "", _("No record found.")])
        for weapon in line.weapons:
            sheet.append([safe_cell(value) for value in (
                line.typed, line.key, weapon.reference, str(weapon.status.label), weapon.make_label,
                weapon.model_label, weapon.calibre_label, weapon.raw_serial, weapon.country_code,
                weapon.agency.code)])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def export_list(user: User, text: str, criteria: Criteria) -> bytes:
    """The pasted list's table as a workbook for the user, written to the audit log."""
    result = list_matches(user, text, criteria)
    record("weapon.export", "weapon", None,
           {"kind": "list", "terms": criteria.terms() | {"serials": [line.typed for line in result.lines]},
            "count": sum(len(line.weapons) for line in result.lines), "format": "xlsx"}, user=user)
    for line in result.lines:
        line.weapons = sharing.all_for_reader(user, line.weapons)
    return list_workbook(result)


# --- A sequence: the weapons of one shipment --------------------------------------------

_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")


@dataclass
class Sequence:
    prefix: str
    first: int
    last: int
    suffix: str
    width: int | None  # digits of every serial when the first was written with leading zeros

    @property
    def size(self) -> int:
        return self.last - self.first + 1


def parse_sequence(first_serial: str, last_serial: str) -> Sequence:
    """The letters and the range of numbers of two serials; refused when they do not share
    their letters or span more than 10,000 numbers."""
    first_key, last_key = serial_key(first_serial), serial_key(last_serial)
    if not first_key or not last_key:
        raise DomainError(_l("Give the first and the last serial of the sequence."),
                          field="first" if not first_key else "last")
    first_match, last_match = _NUMBERED.match(first_key), _NUMBERED.match(last_key)
    if not first_match or not last_match or (first_match[1], first_match[3]) != (last_match[1], last_match[3]):
        raise DomainError(_l("The two serials must share their letters and differ only by their number, "
                             "for example AB 1200 and AB 1450."), field="last")
    low, high = sorted((int(first_match[2]), int(last_match[2])))
    if high - low + 1 > MAX_SEQUENCE_NUMBERS:
        raise DomainError(_l("A sequence covers at most %(limit)s numbers: this one covers %(count)s.",
                             limit=format_number(MAX_SEQUENCE_NUMBERS), count=format_number(high - low + 1)),
                          field="last")
    padded = first_match[2].startswith("0") or last_match[2].startswith("0")
    width = max(len(first_match[2]), len(last_match[2])) if padded else None
    return Sequence(first_match[1], low, high, first_match[3], width)


def _sequence_condition(sequence: Sequence):
    """Keys of the sequence: for each count of digits, a range of the key's index (keys of
    one length and letters sort as their numbers), checked for the letters after it."""
    widths = [sequence.width] if sequence.width else range(len(str(sequence.first)), len(str(sequence.last)) + 1)
    ranges = []
    for width in widths:
        low = max(sequence.first, 10 ** (width - 1) if not sequence.width else 0)
        high = min(sequence.last, 10 ** width - 1)
        if low > high:
            continue
        ranges.append(and_(
            Weapon.serial_key >= f"{sequence.prefix}{low:0{width}d}{sequence.suffix}",
            Weapon.serial_key <= f"{sequence.prefix}{high:0{width}d}{sequence.suffix}",
            func.length(Weapon.serial_key) == len(sequence.prefix) + width + len(sequence.suffix)))
    condition = or_(*ranges)
    if sequence.suffix:
        condition = and_(condition, Weapon.serial_key.like(f"%{_escaped(sequence.suffix)}", escape="\\"))
    return condition


def sequence_matches(user: User, make: str, first_serial: str, last_serial: str, criteria: Criteria,
                     limit: int = SERIAL_RESULTS_LIMIT) -> list[Weapon]:
    """Records of the make whose serials lie in the sequence, in the order of their serials."""
    make = (make or "").strip()
    if not make:
        raise DomainError(_l("Give the make: a sequence is of one make."), field="make")
    sequence = parse_sequence(first_serial, last_serial)
    statement = filtered(user, Criteria(**{**criteria.__dict__, "make": make, "serial": ""}))
    statement = statement.where(_sequence_condition(sequence))
    return list(db.session.scalars(statement.order_by(func.length(Weapon.serial_key), Weapon.serial_key,
                                                      Weapon.id).limit(limit)))


def sequence_search(user: User, make: str, first_serial: str, last_serial: str,
                    criteria: Criteria) -> SerialSearchResult:
    """A sequence searched for the user: its records, their hits, an audit event."""
    weapons = sequence_matches(user, make, first_serial, last_serial, criteria, limit=SERIAL_RESULTS_LIMIT + 1)
    truncated = len(weapons) > SERIAL_RESULTS_LIMIT
    weapons = weapons[:SERIAL_RESULTS_LIMIT]
    terms = criteria.terms() | {"make": make, "first": first_serial, "last": last_serial}
    hits = _hits(user, weapons, make, terms)
    record("weapon.search", "weapon", None, {"kind": "sequence", "terms": terms, "results": len(weapons),
                                             "hits": [hit.id for hit in hits]}, user=user)
    return SerialSearchResult(sharing.all_for_reader(user, weapons), truncated, hits)
