"""The national picture: every figure of the statistics pages, the dashboard, the exports,
the yearly reports and `flask reports summary` is computed here, once.

Records are counted through the STATISTICS scope of registry/auth/scoping.py: a national
user counts its own state's records; a user allowed READ_ALL_STATISTICS (the platform
administrator, the command line) may count any state's, or all side by side. Records of
other states shared with the user are counted apart, and only when asked.

A record's day is its event date, or the day it was recorded when the event date is not
known. Functions take plain values and return plain values (dicts, lists, numbers,
strings) so that pages, the command line and the API read the same figures.
"""

import statistics as stats
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from registry.audit.service import record
from registry.auth.models import Agency, Country
from registry.auth.roles import Permission
from registry.auth.scoping import STATISTICS, scoped, visible
from registry.errors import DomainError
from registry.extensions import db
from registry.reference.models import Calibre, Make, Model, WeaponType
from registry.reports.regions import match_region, subdivision
from registry.tracing.models import TraceRequest, TraceWeapon
from registry.tracing.workflow import Outcome
from registry.weapons.models import Hit, Weapon, WeaponStatus, event_day

# The arms SDG indicator 16.4.2 and UNODC's questionnaire count.
RECOVERED_STATUSES = (WeaponStatus.SEIZED, WeaponStatus.FOUND, WeaponStatus.SURRENDERED)
ESTABLISHED_OUTCOMES = (Outcome.TRACED, Outcome.PARTIALLY_TRACED)
# Made before this year: an antique, left out of SDG 16.4.2.
ANTIQUE_BEFORE = 1900
SOURCES = ("form", "import")
ALL_STATES = "all"
# Records that could be traced and were not: how many references are listed.
UNTRACED_LISTED = 20

SDG_DEFINITIONS = {
    "numerator": _l("Seized, found or surrendered arms of the period whose illicit origin was "
                    "traced or established: a trace request about them was answered "
                    "“traced” or “partially traced”."),
    "denominator": _l("Arms seized, found or surrendered in the period and recorded by the state, "
                      "antiques made before 1900 left out."),
}


@dataclass
class Filters:
    """What a statistic is narrowed to. Empty values narrow nothing."""

    date_from: date | None = None
    date_to: date | None = None
    state: str = ""            # ISO code, or "all" (side by side) for who may see every state
    region: str = ""           # an ISO 3166-2 code or a region as typed
    agency: str = ""           # agency code
    status: str = ""
    type: str = ""             # reference ids (or canonical names) of the type, calibre, make
    calibre: str = ""
    make: str = ""
    country_of_manufacture: str = ""
    source: str = ""           # "form" or "import"
    include_shared: bool = False

    NAMES = ("date_from", "date_to", "state", "region", "agency", "status", "type", "calibre", "make",
             "country_of_manufacture", "source", "include_shared")

    @classmethod
    def parse(cls, values) -> "Filters":
        """Filters from a form or query string: a bad date or an unknown choice is a
        DomainError naming its field; an empty value is no filter."""
        def text(name):
            return str(values.get(name, "") or "").strip()[:200]

        filters = cls(**{name: text(name) for name in cls.NAMES
                         if name not in ("date_from", "date_to", "include_shared")})
        filters.date_from = _parse_date(text("date_from"), "date_from")
        filters.date_to = _parse_date(text("date_to"), "date_to")
        filters.include_shared = text("include_shared").lower() in ("1", "on", "yes", "true", "y")
        year = text("year")
        if year and not (filters.date_from or filters.date_to):
            filters.date_from, filters.date_to = year_period(year)
        return filters

    def terms(self) -> dict:
        """What was asked, for the audit log and the links of a page (empty terms left out)."""
        terms = {}
        for name, value in asdict(self).items():
            if isinstance(value, date):
                value = value.isoformat()
            if value:
                terms[name] = value
        return terms


def _parse_date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(_l("The date is not a date: write it as YYYY-MM-DD."), field=name) from None


def year_period(year) -> tuple[date, date]:
    """1 January to 31 December of `year`, or a DomainError for a year that is not one."""
    try:
        number = int(str(year).strip())
    except ValueError:
        raise DomainError(_l("The year is not a year: write it as four digits."), field="year") from None
    if not 1900 <= number <= 2999:
        raise DomainError(_l("The year is not a year: write it as four digits."), field="year")
    return date(number, 1, 1), date(number, 12, 31)


# --- Which records are counted ------------------------------------------------------------


def states_of(user) -> list[str] | None:
    """The states whose figures the user may see: None for every state."""
    if user.can(Permission.READ_ALL_STATISTICS):
        return None
    return [user.country_code] if user.can(Permission.READ_RECORDS) else []


def resolve_state(user, state: str) -> str:
    """The state a report is about: the user's own by default; another state, or every
    state side by side ("all"), only for a user who may see them."""
    wanted = (state or "").strip().upper()
    allowed = states_of(user)
    if allowed == []:
        raise DomainError(_l("Your role does not give figures of records."))
    if not wanted:
        return user.country_code or ALL_STATES
    if wanted == ALL_STATES.upper():
        if allowed is None:
            return ALL_STATES
        raise DomainError(_l("You may see the figures of your own state only."), field="state")
    if db.session.get(Country, wanted) is None:
        raise DomainError(_l("Choose a state from the list."), field="state")
    if allowed is not None and wanted not in allowed:
        raise DomainError(_l("You may see the figures of your own state only."), field="state")
    return wanted


def _day():
    """A record's day: its event date, or the day it was recorded (the expression of the
    statistics index, written the same way so that the queries read the index)."""
    return event_day()


def _month(expression):
    if db.engine.dialect.name == "postgresql":
        return func.to_char(expression, "YYYY-MM")
    return func.strftime("%Y-%m", expression)


def _reference_id(model, value: str, field_name: str, name_column) -> int:
    if value.isdigit():
        found = db.session.get(model, int(value))
        if found is not None:
            return found.id
    found = db.session.scalar(select(model.id).where(func.lower(name_column) == value.lower()))
    if found is None:
        raise DomainError(_l("Choose a value from the list."), field=field_name)
    return found


@dataclass
class _Scope:
    """A resolved statistic: the state, the statement of its records, and any note."""

    state: str
    statement: object
    notice: object = None
    region_code: str | None = None
    region_texts: list = field(default_factory=list)


def _records(user, filters: Filters, state: str):
    """The user's STATISTICS records of `state` narrowed by the filters (a statement on
    Weapon), and a notice when a filter can match nothing."""
    statement = scoped(user, select(Weapon), Weapon, STATISTICS)
    if state != ALL_STATES:
        statement = statement.where(Weapon.country_code == state)
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise DomainError(_l("The period ends before it starts."), field="date_to")
    day = _day()
    if filters.date_from:
        statement = statement.where(day >= filters.date_from)
    if filters.date_to:
        statement = statement.where(day <= filters.date_to)
    if filters.status:
        try:
            statement = statement.where(Weapon.status == WeaponStatus(filters.status))
        except ValueError:
            raise DomainError(_l("Choose a status from the list."), field="status") from None
    if filters.source:
        if filters.source not in SOURCES:
            raise DomainError(_l("Choose a source from the list."), field="source")
        statement = statement.where(Weapon.import_row_id.is_not(None) if filters.source == "import"
                                    else Weapon.import_row_id.is_(None))
    if filters.agency:
        agency = db.session.scalar(select(Agency).where(Agency.code == filters.agency.upper()))
        if agency is None or (state != ALL_STATES and agency.country_code != state):
            raise DomainError(_l("No agency of this state has this code."), field="agency")
        statement = statement.where(Weapon.agency_id == agency.id)
    for name, model, column, name_column in (
            ("type", WeaponType, Weapon.type_id, WeaponType.name_en),
            ("calibre", Calibre, Weapon.calibre_id, Calibre.name),
            ("make", Make, Weapon.make_id, Make.name)):
        value = getattr(filters, name)
        if value:
            statement = statement.where(column == _reference_id(model, value, name, name_column))
    if filters.country_of_manufacture:
        code = filters.country_of_manufacture.upper()
        if db.session.get(Country, code) is None:
            raise DomainError(_l("Choose a state from the list."), field="country_of_manufacture")
        statement = statement.where(Weapon.manufacture_country_code == code)
    scope = _Scope(state, statement)
    if filters.region:
        scope = _narrow_to_region(scope, filters.region)
    return scope


def _narrow_to_region(scope: _Scope, region: str) -> _Scope:
    """Records whose typed region names the same ISO 3166-2 subdivision as `region` (or,
    for a region no subdivision matches, is typed the same way)."""
    texts = db.session.scalars(scope.statement.with_only_columns(Weapon.event_region).distinct()
                               .where(Weapon.event_region.is_not(None))).all()
    code = match_region(scope.state, region) if scope.state != ALL_STATES else None
    if code is None and scope.state == ALL_STATES:
        code = region.upper() if subdivision(region.upper()) else None
    if code is not None:
        chosen = [text for text in texts
                  if match_region(code.split("-", 1)[0], text) == code]
    else:
        wanted = region.casefold()
        chosen = [text for text in texts if text.strip().casefold() == wanted]
    scope.region_code = code
    scope.region_texts = chosen
    scope.statement = scope.statement.where(Weapon.event_region.in_(chosen or [""]))
    if not chosen:
        scope.notice = _l("No record of this state names the region “%(region)s”.", region=region)
    return scope


# --- The figures ------------------------------------------------------------------------


def _grouped_by(statement, *columns) -> list[tuple[tuple, int]]:
    """((value of each column), count) of the records of `statement`, in one scan."""
    rows = db.session.execute(statement.with_only_columns(*columns, func.count(Weapon.id))
                              .group_by(*columns).order_by(None))
    return [(tuple(row[:-1]), row[-1]) for row in rows]


def _rolled_up(grouped: list[tuple[tuple, int]], position: int) -> list[tuple]:
    """(value, count) by the value at `position` of grouped counts."""
    counts: dict = {}
    for key, count in grouped:
        counts[key[position]] = counts.get(key[position], 0) + count
    return list(counts.items())


def _named_rows(counts: list[tuple], names: dict) -> list[dict]:
    """[{"key", "name", "name_fr", "count"}], largest first; a missing key is not identified."""
    rows = []
    for key, count in counts:
        english, french = names.get(key, (None, None))
        rows.append({"key": key, "name": english, "name_fr": french or english, "count": count})
    rows.sort(key=lambda row: (-row["count"], row["name"] is None, row["name"] or ""))
    return rows


def _names(model, ids, english, french=None) -> dict:
    ids = [key for key in ids if key is not None]
    if not ids:
        return {}
    columns = [model.__mapper__.primary_key[0], english] + ([french] if french is not None else [])
    return {row[0]: (row[1], row[2] if french is not None else row[1])
            for row in db.session.execute(select(*columns).where(columns[0].in_(ids)))}


def _status_rows(counts) -> list[dict]:
    order = {status.value: index for index, status in enumerate(WeaponStatus)}
    rows = [{"key": getattr(key, "value", key), "name": getattr(key, "value", key),
             "name_fr": None, "count": count} for key, count in counts]
    return sorted(rows, key=lambda row: order.get(row["key"], 99))


def _region_rows(counts, state: str) -> tuple[list[dict], list[dict]]:
    """Counts by ISO 3166-2 subdivision, and the typed regions that match none."""
    matched: dict[str, int] = {}
    unmatched: dict[str, int] = {}
    missing = 0
    for (country_code, text), count in counts:
        if not text or not text.strip():
            missing += count
            continue
        code = match_region(country_code, text)
        if code is None:
            unmatched[text.strip()] = unmatched.get(text.strip(), 0) + count
        else:
            matched[code] = matched.get(code, 0) + count
    rows = []
    for code, count in matched.items():
        item = subdivision(code)
        rows.append({"key": code, "name": item.name_en, "name_fr": item.name_fr, "count": count})
    rows.sort(key=lambda row: (-row["count"], row["name"]))
    if missing:
        rows.append({"key": None, "name": None, "name_fr": None, "count": missing})
    unmatched_rows = [{"text": text, "count": count}
                      for text, count in sorted(unmatched.items(), key=lambda item: (-item[1], item[0]))]
    return rows, unmatched_rows


def _months(filters: Filters, counts: dict) -> list[dict]:
    """Every month of the period, those without record too (a chart shows the gaps)."""
    keys = sorted(key for key in counts if key)
    start = filters.date_from or (date.fromisoformat(keys[0] + "-01") if keys else None)
    end = filters.date_to or (date.fromisoformat(keys[-1] + "-01") if keys else None)
    if start is None or end is None:
        return []
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month) and len(months) < 600:
        key = f"{year:04d}-{month:02d}"
        months.append({"key": key, "name": key, "name_fr": key, "count": counts.get(key, 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _is_antique(marking_year: str | None) -> bool:
    digits = "".join(character for character in (marking_year or "") if character.isdigit())
    return len(digits) == 4 and int(digits) < ANTIQUE_BEFORE


def _established_weapons():
    """Ids of records a trace request about them answered "traced" or "partially traced"."""
    return (select(TraceWeapon.weapon_id).join(TraceRequest, TraceRequest.id == TraceWeapon.trace_request_id)
            .where(TraceRequest.outcome.in_(list(ESTABLISHED_OUTCOMES))))


def _traced_weapons(answered: bool = False):
    statement = (select(TraceWeapon.weapon_id)
                 .join(TraceRequest, TraceRequest.id == TraceWeapon.trace_request_id)
                 .where(TraceRequest.sent_at.is_not(None)))
    if answered:
        statement = statement.where(TraceRequest.answered_at.is_not(None))
    return statement


def _share(condition):
    from sqlalchemy import case

    return func.sum(case((condition, 1), else_=0))


# What a record is, in the scan of `_what`: its state, status, identification, marking year
# and whether its illicit origin was established.
WHAT = ("country", "status", "type", "calibre", "make", "model", "country_of_manufacture", "marking_year",
        "established")


def _what(statement) -> list[tuple[tuple, int]]:
    """The records of `statement` counted by everything they are (WHAT), in one scan of the
    statistics index: the combinations a registry holds are few, as a model names its make,
    type and calibre, so the page's tables are rolled up from these counts."""
    return _grouped_by(statement, Weapon.country_code, Weapon.status, Weapon.type_id, Weapon.calibre_id,
                       Weapon.make_id, Weapon.model_id, Weapon.manufacture_country_code, Weapon.marking_year,
                       Weapon.id.in_(_established_weapons()).label("established"))


# Where and when, in the scan of `_where_when`: state, typed region, month; then the counts
# of the coverage (records, serial checked, with a hit, traced, answered, could be traced
# and were not).
WHERE_WHEN = ("country", "region", "month")
COVERAGE = ("records", "searched", "hit", "traced", "answered", "untraced")


def _where_when(statement) -> list[tuple]:
    """(state, region as typed, month, *COVERAGE counts) of the records of `statement`, in
    one scan of the statistics index."""
    day = _day().label("day")
    hits = select(Hit.source_weapon_id).where(Hit.source_weapon_id.is_not(None)).union(
        select(Hit.hit_weapon_id))
    traced = Weapon.id.in_(_traced_weapons())
    could_be_traced = and_(Weapon.status.in_(list(RECOVERED_STATUSES)), Weapon.serial_key.is_not(None),
                           or_(Weapon.make_id.is_not(None), Weapon.manufacture_country_code.is_not(None)))
    rows = db.session.execute(statement.with_only_columns(
        Weapon.country_code, Weapon.event_region, day, func.count(Weapon.id),
        _share(Weapon.serial_key.is_not(None)), _share(Weapon.id.in_(hits)), _share(traced),
        _share(Weapon.id.in_(_traced_weapons(answered=True))), _share(and_(could_be_traced, ~traced)),
    ).group_by(Weapon.country_code, Weapon.event_region, day).order_by(None))
    # Grouped by day, cheaper than a month's text made for every record; the months summed here.
    months: dict[tuple, list] = {}
    for country, region, on, *counts in rows:
        entry = months.setdefault((country, region, str(on)[:7]), [0] * len(COVERAGE))
        for index, value in enumerate(counts):
            entry[index] += value or 0
    return [key + tuple(counts) for key, counts in months.items()]


def _untraced(statement):
    """The recovered records of `statement` that could be traced (readable serial, make or
    country of manufacture known) and were not."""
    return statement.where(
        Weapon.status.in_(list(RECOVERED_STATUSES)), Weapon.serial_key.is_not(None),
        or_(Weapon.make_id.is_not(None), Weapon.manufacture_country_code.is_not(None)),
        Weapon.id.not_in(_traced_weapons()))


def sdg_16_4_2(what: list[tuple[tuple, int]]) -> dict:
    """SDG indicator 16.4.2 over the counts of `_what`: numerator, denominator, value."""
    status, year, established = WHAT.index("status"), WHAT.index("marking_year"), WHAT.index("established")
    counted = [(key, count) for key, count in what
               if WeaponStatus(key[status]) in RECOVERED_STATUSES and not _is_antique(key[year])]
    denominator = sum(count for _key, count in counted)
    numerator = sum(count for key, count in counted if key[established])
    return {"numerator": numerator, "denominator": denominator,
            "value": round(numerator / denominator, 4) if denominator else None,
            "definitions": {key: str(text) for key, text in SDG_DEFINITIONS.items()}}


def coverage(statement, filters: Filters, list_untraced: bool, where_when: list[tuple]) -> dict:
    """Per month: records, records with a readable serial (each is checked against other
    states' shared records when recorded), with a hit, in a trace request sent, answered;
    and the recovered records that could be traced and were not (from the counts of
    `_where_when`; their references read from `statement` when `list_untraced`)."""
    by_month: dict[str, dict] = {}
    for row in where_when:
        entry = by_month.setdefault(row[2], {"month": row[2]} | {name: 0 for name in COVERAGE})
        for name, value in zip(COVERAGE, row[3:], strict=True):
            entry[name] += value
    months = []
    for item in _months(filters, {key: value["records"] for key, value in by_month.items()}):
        entry = by_month.get(item["key"]) or {"month": item["key"]} | {name: 0 for name in COVERAGE}
        entry = {name: value for name, value in entry.items() if name != "untraced"}
        for name in ("searched", "hit", "traced", "answered"):
            entry[f"{name}_share"] = round(entry[name] / entry["records"], 4) if entry["records"] else None
        months.append(entry)
    count = sum(entry["untraced"] for entry in by_month.values())
    listed = []
    if list_untraced and count:
        listed = [{"id": weapon_id, "reference": reference} for weapon_id, reference in db.session.execute(
            _untraced(statement).with_only_columns(Weapon.id, Weapon.reference)
            .order_by(Weapon.country_code.desc(), _day().desc(), Weapon.id.desc()).limit(UNTRACED_LISTED))]
    totals = {name: sum(entry[name] for entry in months) for name in
              ("records", "searched", "hit", "traced", "answered")}
    return {"by_month": months, "totals": totals, "untraced_count": count, "untraced": listed}


def tracing(user, state: str, filters: Filters) -> dict:
    """Trace requests of the period (by the day they were sent) the state sent and received:
    how many, answered, origin established, answered within the deadline, median days to
    answer; and the same by partner state."""
    statement = scoped(user, select(TraceRequest), TraceRequest, STATISTICS).with_only_columns(
        TraceRequest.requesting_country_code, TraceRequest.requested_country_code, TraceRequest.sent_at,
        TraceRequest.answered_at, TraceRequest.answer_due, TraceRequest.outcome,
    ).where(TraceRequest.sent_at.is_not(None))
    if state != ALL_STATES:
        statement = statement.where(or_(TraceRequest.requesting_country_code == state,
                                        TraceRequest.requested_country_code == state))
    if filters.date_from:
        statement = statement.where(TraceRequest.sent_at >= _start_of(filters.date_from))
    if filters.date_to:
        statement = statement.where(TraceRequest.sent_at < _start_of(filters.date_to, next_day=True))

    def blank():
        return {"count": 0, "answered": 0, "origin_established": 0, "within_deadline": 0,
                "declined": 0, "_days": []}

    sides = {"sent": blank(), "received": blank()}
    partners: dict[str, dict] = {}
    for requesting, requested, sent_at, answered_at, answer_due, outcome in db.session.execute(statement):
        directions = []
        if state == ALL_STATES or requesting == state:
            directions.append(("sent", requested))
        if state == ALL_STATES or requested == state:
            directions.append(("received", requesting))
        for side, partner in directions:
            for entry in (sides[side], partners.setdefault(partner, {"sent": blank(), "received": blank()})[side]):
                entry["count"] += 1
                if outcome == Outcome.DECLINED:
                    entry["declined"] += 1
                if answered_at is not None:
                    entry["answered"] += 1
                    entry["_days"].append((_aware(answered_at) - _aware(sent_at)).total_seconds() / 86400)
                    if answer_due is None or _aware(answered_at) <= _aware(answer_due):
                        entry["within_deadline"] += 1
                if outcome in ESTABLISHED_OUTCOMES:
                    entry["origin_established"] += 1

    def finish(entry):
        days = entry.pop("_days")
        entry["median_days_to_answer"] = round(stats.median(days), 1) if days else None
        return entry

    names = _names(Country, list(partners), Country.name_en, Country.name_fr)
    by_partner = []
    for code in sorted(partners, key=lambda code: names.get(code, (code,))[0]):
        english, french = names.get(code, (code, code))
        by_partner.append({"key": code, "name": english, "name_fr": french,
                           "sent": finish(partners[code]["sent"]),
                           "received": finish(partners[code]["received"])})
    return {"sent": finish(sides["sent"]), "received": finish(sides["received"]), "by_partner": by_partner}


def _start_of(day: date, next_day: bool = False) -> datetime:
    from datetime import timedelta

    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment + timedelta(days=1) if next_day else moment


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def shared_figures(user, filters: Filters) -> dict:
    """Other states' records shared with the user's state, by owning state and status:
    counted apart, never mixed with the state's own."""
    statement = visible(user, Weapon).where(Weapon.country_code != user.country_code)
    day = _day()
    if filters.date_from:
        statement = statement.where(day >= filters.date_from)
    if filters.date_to:
        statement = statement.where(day <= filters.date_to)
    rows = db.session.execute(statement.with_only_columns(
        Weapon.country_code, Weapon.status, func.count(Weapon.id))
        .group_by(Weapon.country_code, Weapon.status).order_by(None)).all()
    names = _names(Country, {row[0] for row in rows}, Country.name_en, Country.name_fr)
    states: dict[str, dict] = {}
    for code, status, count in rows:
        english, french = names.get(code, (code, code))
        entry = states.setdefault(code, {"key": code, "name": english, "name_fr": french, "total": 0,
                                         "by_status": {}})
        entry["by_status"][getattr(status, "value", status)] = count
        entry["total"] += count
    return {"total": sum(entry["total"] for entry in states.values()),
            "by_state": sorted(states.values(), key=lambda entry: -entry["total"])}


def side_by_side(what: list[tuple[tuple, int]]) -> list[dict]:
    """Every state's records by status (from the counts of `_what`), for who may see them all."""
    rows: dict[tuple, int] = {}
    for key, count in what:
        pair = (key[WHAT.index("country")], key[WHAT.index("status")])
        rows[pair] = rows.get(pair, 0) + count
    names = _names(Country, {code for code, _status in rows}, Country.name_en, Country.name_fr)
    states: dict[str, dict] = {}
    for (code, status), count in rows.items():
        english, french = names.get(code, (code, code))
        entry = states.setdefault(code, {"key": code, "name": english, "name_fr": french, "total": 0,
                                         "by_status": {}})
        entry["by_status"][getattr(status, "value", status)] = count
        entry["total"] += count
    return sorted(states.values(), key=lambda entry: entry["name"])


DIMENSIONS = ("by_status", "by_type", "by_calibre", "by_make", "by_model", "by_country_of_manufacture",
              "by_region", "by_month")


def statistics(user, filters: Filters, *, audit: bool = True) -> dict:
    """Every figure of the statistics page for the user and filters: the counts by each
    dimension, the tracing figures, SDG 16.4.2, the coverage, and (when asked, or for who
    may see every state) the shared records and the states side by side. Raises
    DomainError for a bad filter; an empty result carries a `notice` saying why."""
    state = resolve_state(user, filters.state)
    scope = _records(user, filters, state)
    statement = scope.statement
    report: dict = {"state": state, "filters": filters.terms(), "region_code": scope.region_code,
                    "notice": scope.notice}
    # Two scans of the statistics index, rolled up here: what the records are, and where
    # and when they were met.
    what = _what(statement)
    report["total"] = sum(count for _key, count in what)
    report["by_status"] = _status_rows(_rolled_up(what, WHAT.index("status")))
    for name, dimension, model, english, french in (
            ("by_type", "type", WeaponType, WeaponType.name_en, WeaponType.name_fr),
            ("by_calibre", "calibre", Calibre, Calibre.name, None),
            ("by_make", "make", Make, Make.name, None),
            ("by_country_of_manufacture", "country_of_manufacture", Country, Country.name_en, Country.name_fr)):
        counts = _rolled_up(what, WHAT.index(dimension))
        report[name] = _named_rows(counts, _names(model, [key for key, _count in counts], english, french))
    model_counts = _rolled_up(what, WHAT.index("model"))
    model_names = {}
    ids = [key for key, _count in model_counts if key is not None]
    if ids:
        model_names = {model_id: (f"{make} {model}",) * 2 for model_id, make, model in db.session.execute(
            select(Model.id, Make.name, Model.name).join(Make, Make.id == Model.make_id).where(Model.id.in_(ids)))}
    report["by_model"] = _named_rows(model_counts, model_names)
    where_when = _where_when(statement)
    report["by_region"], report["unmatched_regions"] = _region_rows(
        [((row[0], row[1]), row[3]) for row in where_when], state)
    report["by_month"] = _months(filters, dict(_rolled_up([(row[:3], row[3]) for row in where_when], 2)))
    report["tracing"] = tracing(user, state, filters)
    report["sdg_16_4_2"] = sdg_16_4_2(what)
    own_state = state != ALL_STATES and state == user.country_code
    report["coverage"] = coverage(statement, filters, own_state, where_when)
    report["shared"] = (shared_figures(user, filters)
                        if filters.include_shared and user.country_code and user.can(Permission.READ_RECORDS)
                        else None)
    report["states"] = side_by_side(what) if state == ALL_STATES else None
    if report["total"] == 0 and report["notice"] is None:
        report["notice"] = _l("No record matches these filters in this period.")
    if report["notice"] is not None:
        report["notice"] = str(report["notice"])
    if audit:
        record("report.statistics", details={"terms": filters.terms(), "state": state,
                                             "total": report["total"]},
               user=user if getattr(user, "id", None) else None)
    return report


# Points of the map: records with coordinates, counted by cells of this many degrees.
POINT_GRID = 0.1


def map_figures(user, filters: Filters, *, audit: bool = True) -> dict:
    """The figures of the map for the user and filters (scoped as the statistics): records
    by ISO 3166-2 region, with how the base map draws each (an area, a point, or not at
    all), the regions typed that match none, and the records with coordinates counted by
    cells of POINT_GRID degrees. Raises DomainError for a bad filter."""
    from registry.reports.maps import drawn_regions
    from registry.reports.regions import subdivisions

    state = resolve_state(user, filters.state)
    scope = _records(user, filters, state)
    statement = scope.statement
    counts = _grouped_by(statement, Weapon.country_code, Weapon.event_region)
    total = sum(count for _key, count in counts)
    by_region, unmatched = _region_rows([(key, count) for key, count in counts], state)
    found = {row["key"]: row for row in by_region if row["key"]}
    if state != ALL_STATES:
        # Every region of the state, those without a record too (the map shows them blank).
        regions = [found.get(item.code) or {"key": item.code, "name": item.name_en, "name_fr": item.name_fr,
                                            "count": 0} for item in subdivisions(state)]
        regions.sort(key=lambda row: (-row["count"], row["name"]))
        regions += [row for row in by_region if not row["key"]]
        states = (state,)
    else:
        regions = by_region
        states = tuple(sorted({code for (code, _text), _count in counts}))
    drawn = {}
    for code in states:
        drawn.update(drawn_regions(code))
    for row in regions:
        row["drawn"] = drawn.get(row["key"]) if row["key"] else None
    latitude = (func.round(Weapon.latitude / POINT_GRID) * POINT_GRID).label("latitude")
    longitude = (func.round(Weapon.longitude / POINT_GRID) * POINT_GRID).label("longitude")
    points = [{"latitude": float(y), "longitude": float(x), "count": count} for y, x, count in db.session.execute(
        statement.where(Weapon.latitude.is_not(None), Weapon.longitude.is_not(None))
        .with_only_columns(latitude, longitude, func.count(Weapon.id)).group_by(latitude, longitude)
        .order_by(None))]
    notice = scope.notice
    if total == 0 and notice is None:
        notice = _l("No record matches these filters in this period.")
    if audit:
        record("report.map", details={"terms": filters.terms(), "state": state, "total": total},
               user=user if getattr(user, "id", None) else None)
    return {"state": state, "states": states, "filters": filters.terms(), "region_code": scope.region_code,
            "notice": str(notice) if notice is not None else None, "total": total, "regions": regions,
            "unmatched_regions": unmatched, "points": points,
            "located": sum(point["count"] for point in points), "drawn": drawn}


def summary(user, filters: Filters) -> dict:
    """The figures of `flask reports summary --json`: names as the reference table holds
    them (English), each dimension a name -> count mapping."""
    report = statistics(user, filters)

    def mapping(rows):
        return {str(row["name"] if row["name"] is not None else "unknown"): row["count"] for row in rows}

    tracing_figures = report["tracing"]
    return {
        "total": report["total"],
        "by_status": {row["key"]: row["count"] for row in report["by_status"]},
        "by_type": mapping(report["by_type"]),
        "by_make": mapping(report["by_make"]),
        "by_country_of_manufacture": mapping(report["by_country_of_manufacture"]),
        "by_region": mapping(report["by_region"]),
        "by_month": {row["key"]: row["count"] for row in report["by_month"]},
        "tracing": {"sent": tracing_figures["sent"], "received": tracing_figures["received"],
                    "by_partner": {row["key"]: {"sent": row["sent"], "received": row["received"]}
                                   for row in tracing_figures["by_partner"]}},
        "sdg_16_4_2": {key: report["sdg_16_4_2"][key] for key in ("numerator", "denominator", "value")},
    }


def filter_choices(user, state: str) -> dict:
    """The options of the statistics filters for the user and state (plain values)."""
    from registry.reports.regions import subdivisions

    allowed = states_of(user)
    with_agencies = select(Agency.country_code).distinct()
    states = db.session.execute(select(Country.code, Country.name_en, Country.name_fr)
                                .where(Country.code.in_(with_agencies if allowed is None else allowed or [""]))
                                .order_by(Country.name_en)).all()
    agencies = db.session.execute(
        select(Agency.code, Agency.name).where(Agency.country_code == state).order_by(Agency.name)
    ).all() if state != ALL_STATES else []
    return {
        "all_states": allowed is None,
        "states": [{"key": code, "name": english, "name_fr": french} for code, english, french in states],
        "agencies": [{"key": code, "name": name} for code, name in agencies],
        "regions": [{"key": item.code, "name": item.name_en, "name_fr": item.name_fr}
                    for item in (subdivisions(state) if state != ALL_STATES else ())],
        "types": [{"key": str(key), "name": english, "name_fr": french} for key, english, french in
                  db.session.execute(select(WeaponType.id, WeaponType.name_en, WeaponType.name_fr)
                                     .order_by(WeaponType.name_en))],
        "calibres": [{"key": str(key), "name": name} for key, name in
                     db.session.execute(select(Calibre.id, Calibre.name).order_by(Calibre.name))],
        "makes": [{"key": str(key), "name": name} for key, name in
                  db.session.execute(select(Make.id, Make.name).order_by(Make.name))],
        "countries": [{"key": code, "name": english, "name_fr": french} for code, english, french in
                      db.session.execute(select(Country.code, Country.name_en, Country.name_fr)
                                         .order_by(Country.name_en))],
        "statuses": [status.value for status in WeaponStatus],
        "sources": list(SOURCES),
    }
