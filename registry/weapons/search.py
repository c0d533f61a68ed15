"""Searching weapon records: by serial (exact key first, then near keys, ranked) and by
make, model, calibre, status, country, agency, dates, place and case reference.

Every query goes through the user's scope; serial lookups use the serial_key index
(`serial_key = ?` then `serial_key IN (near keys)`), never a scan.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, any_, bindparam, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from registry.audit.service import record
from registry.auth.models import Agency, User
from registry.auth.scoping import visible
from registry.errors import DomainError
from registry.extensions import db
from registry.inputs import parse_date
from registry.weapons import sharing
from registry.weapons.hits import record_search_hits
from registry.weapons.models import Hit, Sharing, Weapon, WeaponStatus
from registry.weapons.serials import near_keys, serial_key
from registry.weapons.service import identification_fields

PAGE_SIZE = 50
SERIAL_RESULTS_LIMIT = 200
# A list's count stops here: counting every visible record of a large registry would scan it
# at each page; past this many the list says "more than".
COUNT_LIMIT = 1_000
SORTS = {
    "created": Weapon.created_at, "reference": Weapon.reference, "event_date": Weapon.event_date,
    "status": Weapon.status, "make": Weapon.raw_make, "country": Weapon.country_code,
}


@dataclass
class Criteria:
    serial: str = ""
    make: str = ""
    model: str = ""
    calibre: str = ""
    status: str = ""
    country: str = ""
    agency: str = ""
    date_from: str = ""
    date_to: str = ""
    place: str = ""
    case_reference: str = ""
    sharing: str = ""
    sort: str = "created"
    direction: str = "desc"

    @classmethod
    def from_mapping(cls, values) -> "Criteria":
        names = cls.__dataclass_fields__
        return cls(**{name: str(values.get(name, "") or "").strip()[:200] for name in names
                      if values.get(name)})

    def terms(self) -> dict:
        """What was asked, for the audit log (empty terms left out)."""
        return {name: value for name, value in asdict(self).items()
                if value and name not in ("sort", "direction")}


@dataclass
class SearchResult:
    weapons: list[Weapon]
    scores: dict[int, float] = field(default_factory=dict)  # weapon id -> serial score
    has_next: bool = False
    page: int = 1
    key: str | None = None
    hits: list[Hit] = field(default_factory=list)
    count: int = 0
    count_is_lower_bound: bool = False  # more than `count` records matched
    # Keyset cursors of the neighbouring pages (lists sorted by date recorded or reference).
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(user: User, criteria: Criteria):
    """The user's visible records narrowed by every criterion except the serial."""
    statement = visible(user, Weapon)
    if criteria.status:
        try:
            statement = statement.where(Weapon.status == WeaponStatus(criteria.status))
        except ValueError:
            raise DomainError(_l("Choose a status from the list."), field="status") from None
    if criteria.sharing:
        try:
            statement = statement.where(Weapon.sharing == Sharing(criteria.sharing))
        except ValueError:
            raise DomainError(_l("Choose a sharing from the list."), field="sharing") from None
    if criteria.country:
        statement = statement.where(Weapon.country_code == criteria.country.upper())
    if criteria.agency:
        agency_ids = select(Agency.id).where(Agency.code == criteria.agency.upper())
        statement = statement.where(Weapon.agency_id.in_(agency_ids))
    for name, column in (("make", Weapon.raw_make), ("model", Weapon.raw_model),
                         ("calibre", Weapon.raw_calibre)):
        text = getattr(criteria, name)
        if not text:
            continue
        condition = func.lower(column).like(_like(text), escape="\\")
        identified = identification_fields(user.country_code, *(
            text if other == name else None for other in ("make", "model", "calibre", "type")))
        identified_id = identified.get(f"{name}_id")
        if identified_id is not None:
            condition = or_(condition, getattr(Weapon, f"{name}_id") == identified_id)
        statement = statement.where(condition)
    # Typed as the record form types dates; an impossible day (31/02) is refused, never
    # read as no date.
    since = parse_date(criteria.date_from, "date_from")
    until = parse_date(criteria.date_to, "date_to")
    # Another state's records match on what sharing shows of them only (registry.weapons.sharing):
    # the month of the event, its country; never the town, region or case reference.
    period = sharing.event_date_filter(user, since, until)
    if period is not None:
        statement = statement.where(period)
    if criteria.place:
        pattern = _like(criteria.place)
        statement = statement.where(or_(
            sharing.withheld_filter(user, or_(func.lower(Weapon.event_town).like(pattern, escape="\\"),
                                              func.lower(Weapon.event_region).like(pattern, escape="\\"))),
            Weapon.event_country_code == criteria.place.upper()[:2]))
    if criteria.case_reference:
        statement = statement.where(sharing.withheld_filter(user, Weapon.case_reference == criteria.case_reference))
    return statement


def _ordered(statement, criteria: Criteria, reverse: bool = False):
    column = SORTS.get(criteria.sort, Weapon.created_at)
    ascending = (criteria.direction == "asc") != reverse
    if ascending:
        return statement.order_by(column.asc(), Weapon.id.asc())
    return statement.order_by(column.desc(), Weapon.id.desc())


# Sorts on a column that is never empty and indexed with the id: their pages are read from
# where the previous page stopped (keyset), so a deep page costs what the first one does.
KEYSET_SORTS = {"created", "reference"}


def _cursor(weapon: Weapon, criteria: Criteria) -> str:
    if criteria.sort == "reference":
        return f"{weapon.id}~{weapon.reference}"
    return f"{weapon.id}~{weapon.created_at.isoformat()}"


def _parse_cursor(cursor: str, criteria: Criteria):
    """(value, id) of a cursor, or None for one that is not ours (the first page then)."""
    number, _sep, value = (cursor or "").partition("~")
    try:
        weapon_id = int(number)
        if criteria.sort == "reference":
            return value, weapon_id
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or not 0 < weapon_id < 2**31:
        return None
    return moment, weapon_id


def count_matches(statement) -> tuple[int, bool]:
    """How many records a list holds, counted up to COUNT_LIMIT; (count, more_than_that)."""
    limited = statement.with_only_columns(Weapon.id).order_by(None).limit(COUNT_LIMIT + 1).subquery()
    count = db.session.scalar(select(func.count()).select_from(limited)) or 0
    return min(count, COUNT_LIMIT), count > COUNT_LIMIT


def _list_page(user: User, criteria: Criteria, page: int, page_size: int,
               after: str | None, before: str | None) -> SearchResult:
    statement = filtered(user, criteria)
    count, more = count_matches(statement)
    sort = criteria.sort if criteria.sort in SORTS else "created"
    cursor = None
    if sort in KEYSET_SORTS:
        cursor = _parse_cursor(before or after or "", criteria)
    if cursor is None:
        rows = db.session.scalars(_ordered(statement, criteria).limit(page_size + 1)
                                  .offset((page - 1) * page_size)).all()
        weapons, has_next = list(rows[:page_size]), len(rows) > page_size
    else:
        column = SORTS[sort]
        ascending = criteria.direction == "asc"
        backwards = bool(before)
        keys = tuple_(column, Weapon.id)
        # Forwards on a descending list: smaller than the last row; backwards: the reverse.
        beyond = keys > cursor if ascending != backwards else keys < cursor
        rows = db.session.scalars(_ordered(statement.where(beyond), criteria, reverse=backwards)
                                  .limit(page_size + 1)).all()
        weapons = list(rows[:page_size])
        if backwards:
            weapons.reverse()
            has_next = True
        else:
            has_next = len(rows) > page_size
        if backwards and len(rows) <= page_size:
            page = 1  # came back to the start
    result = SearchResult(weapons, has_next=has_next, page=page, count=count, count_is_lower_bound=more)
    if sort in KEYSET_SORTS and weapons:
        result.next_cursor = _cursor(weapons[-1], criteria) if has_next else None
        result.previous_cursor = _cursor(weapons[0], criteria) if page > 1 else None
    return result


def _key_among(keys: list[str]):
    """`serial_key IN (...)`; on PostgreSQL one array parameter (`= ANY(:keys)`), which
    plans faster than hundreds of parameters and uses the same index."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Weapon.serial_key == any_(bindparam("near_keys", keys, type_=ARRAY(String)))
    return Weapon.serial_key.in_(keys)


def serial_matches(user: User, key: str, criteria: Criteria, near: bool = True) -> list[tuple[Weapon, float]]:
    """Records whose key is `key` (score 1), then those one look-alike or edit away."""
    statement = filtered(user, criteria)
    exact = db.session.scalars(statement.where(Weapon.serial_key == key)
                               .order_by(Weapon.created_at.desc()).limit(SERIAL_RESULTS_LIMIT)).all()
    found = [(weapon, 1.0) for weapon in exact]
    if near and len(found) < SERIAL_RESULTS_LIMIT:
        candidates = near_keys(key)
        if candidates:
            rows = db.session.scalars(statement.where(_key_among(list(candidates)))
                                      .limit(SERIAL_RESULTS_LIMIT - len(found))).all()
            found.extend(sorted(((weapon, candidates[weapon.serial_key]) for weapon in rows),
                                key=lambda pair: (-pair[1], pair[0].reference)))
    return found


def search(user: User, criteria: Criteria, page: int = 1, *, audit: bool = True,
           page_size: int = PAGE_SIZE, after: str | None = None, before: str | None = None,
           near: bool = True) -> SearchResult:
    """One page of results for the user, written to the audit log with its terms, and how
    many records matched. A list sorted by date recorded or reference is paged by cursor
    (`after` the last row of the page before, or `before` the first row of the page after);
    a serial search (of the same serial, and of near ones unless `near` is false) also
    records and announces the hits it makes."""
    page = max(int(page or 1), 1)
    terms = criteria.terms()
    if criteria.serial:
        key = serial_key(criteria.serial)
        if key is None:
            raise DomainError(_l("The serial has no letter or digit to search for."), field="serial")
        matches = serial_matches(user, key, criteria, near=near)
        start = (page - 1) * page_size
        window = matches[start:start + page_size]
        identified = identification_fields(user.country_code, criteria.make or None, None, None, None)
        hits = record_search_hits(user, key, identified.get("make_id"), criteria.make or None,
                                  [weapon for weapon, _score in matches], terms)
        result = SearchResult([weapon for weapon, _score in window],
                              {weapon.id: score for weapon, score in window},
                              has_next=len(matches) > start + page_size, page=page, key=key, hits=hits,
                              count=len(matches), count_is_lower_bound=len(matches) >= SERIAL_RESULTS_LIMIT)
    else:
        result = _list_page(user, criteria, page, page_size, after, before)
    if audit:
        record("weapon.search", "weapon", None,
               {"terms": terms, "page": result.page, "results": len(result.weapons), "count": result.count,
                "hits": [hit.id for hit in result.hits]}, user=user)
    result.weapons = sharing.all_for_reader(user, result.weapons)
    return result


def export_rows(user: User, criteria: Criteria, limit: int = 50_000) -> list[Weapon]:
    """Every record of a result list (up to `limit`), for an export."""
    if criteria.serial:
        key = serial_key(criteria.serial)
        if key is None:
            raise DomainError(_l("The serial has no letter or digit to search for."), field="serial")
        return [weapon for weapon, _score in serial_matches(user, key, criteria)]
    return list(db.session.scalars(_ordered(filtered(user, criteria), criteria).limit(limit)))
