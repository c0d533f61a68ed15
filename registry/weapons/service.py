"""Weapon records: create, edit, delete, and bulk creation for imports (each runs the hit
check of registry.weapons.hits).

Functions take plain values and the acting user, never the request; they do not commit
(the request, the CLI command or the job does).
"""

import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Select,
    String,
    any_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from registry.audit.service import record
from registry.auth.models import Agency, Country, User
from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed, Problems
from registry.extensions import UTCDateTime, db, utcnow
from registry.inputs import parse_date, parse_decimal
from registry.weapons.hits import HIT_KEY_COLUMNS, HitKey, check_hits
from registry.weapons.models import (
    WANTED_STATUSES,
    Hit,
    HitWay,
    ReferenceCounter,
    Sharing,
    Weapon,
    WeaponChange,
    WeaponStatus,
)
from registry.weapons.serials import SerialState, detect_serial_state, serial_key

# Fields an officer gives; the rest (reference, owner, identification, audit columns) the
# registry fills.
TEXT_FIELDS = {
    "raw_make": 200, "raw_model": 200, "raw_calibre": 100, "raw_type": 100, "raw_serial": 100,
    "marking_importer": 200, "marking_proof": 200, "marking_year": 20, "marking_other": 500,
    "event_town": 200, "event_region": 200, "case_reference": 100, "legal_ground": 200,
    "criminal_context": 200, "circumstances": 10_000, "notes": 10_000,
}
COUNTRY_FIELDS = ("manufacture_country_code", "last_import_country_code", "event_country_code")
EDITABLE_FIELDS = (
    ("status", "sharing", "serial_state") + tuple(TEXT_FIELDS) + COUNTRY_FIELDS
    + ("event_date", "latitude", "longitude")
)
IDENTIFIED_FIELDS = ("make_id", "model_id", "calibre_id", "type_id", "identification_method",
                     "identification_confidence")
EARLIEST_EVENT_DATE = date(1850, 1, 1)
BULK_BATCH_SIZE = 1000
IN_CHUNK = 500  # values per IN (...) list


class StaleRecord(DomainError):
    """The record changed since the form was opened; `changes` says how."""

    def __init__(self, weapon: Weapon, changes: list[WeaponChange]):
        super().__init__(_l("Someone else changed this record while you were editing it. Your "
                            "changes were not saved: check the changes below, then save again."))
        self.weapon = weapon
        self.changes = changes


# --- Validation -------------------------------------------------------------------------


def _enum_value(enum_class, value, field: str, message):
    if isinstance(value, enum_class):
        return value
    try:
        return enum_class(str(value or "").strip())
    except ValueError:
        raise DomainError(message, field=field) from None


def _clean_date(value) -> date | None:
    value = parse_date(value, "event_date")
    if value is None:
        return None
    if value > date.today():
        raise DomainError(_l("The date is in the future."), field="event_date")
    if value < EARLIEST_EVENT_DATE:
        raise DomainError(_l("The date is before 1850: check the year."), field="event_date")
    return value


def _clean_coordinate(value, field: str, limit: float) -> float | None:
    number = parse_decimal(value, field)
    if number is not None and not -limit <= number <= limit:
        raise DomainError(_l("Out of range: from -%(limit)d to %(limit)d.", limit=int(limit)),
                          field=field)
    return number


def _clean_text(fields: dict, name: str, length: int) -> str | None:
    value = fields.get(name)
    value = unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""
    if len(value) > length:
        raise DomainError(_l("At most %(length)d characters.", length=length), field=name)
    return value or None


def clean_fields(fields: dict, partial: bool = False) -> dict:
    """Check and normalise what an officer gave; raise DomainError naming the field, or
    FieldErrors naming each field wrong when there are several."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_l("Unknown field: %(name)s.", name=sorted(unknown)[0]))
    problems = Problems()
    cleaned: dict = {}
    if "status" in fields or not partial:
        cleaned["status"] = problems.check(_enum_value, WeaponStatus, fields.get("status"), "status",
                                           _l("Choose a status from the list."))
    if "sharing" in fields or not partial:
        cleaned["sharing"] = problems.check(_enum_value, Sharing, fields.get("sharing") or Sharing.NATIONAL,
                                            "sharing", _l("Choose a sharing from the list."))
    for name, length in TEXT_FIELDS.items():
        if name in fields or not partial:
            cleaned[name] = problems.check(_clean_text, fields, name, length)
    if "event_date" in fields or not partial:
        cleaned["event_date"] = problems.check(_clean_date, fields.get("event_date"))
    if "latitude" in fields or not partial:
        cleaned["latitude"] = problems.check(_clean_coordinate, fields.get("latitude"), "latitude", 90)
    if "longitude" in fields or not partial:
        cleaned["longitude"] = problems.check(_clean_coordinate, fields.get("longitude"), "longitude", 180)
    codes = {}
    for name in COUNTRY_FIELDS:
        if name in fields or not partial:
            code = (fields.get(name) or "").strip().upper() or None
            cleaned[name] = code
            if code:
                codes.setdefault(code, []).append(name)
    if codes:
        known = set(db.session.scalars(select(Country.code).where(Country.code.in_(codes))))
        for code, names in codes.items():
            if code not in known:
                for name in names:
                    problems.add(_l("Unknown country code: %(code)s.", code=code), field=name)
    if "raw_serial" in cleaned or "serial_state" in fields:
        serial = problems.check(_serial_fields, cleaned.get("raw_serial", fields.get("raw_serial")),
                                fields.get("serial_state"))
        cleaned.update(serial or {})
    problems.raise_if_any()
    return cleaned


def _serial_fields(raw: str | None, state) -> dict:
    """The serial as typed, its state (given, or read from words like "limé") and its key."""
    state = (_enum_value(SerialState, state, "serial_state", _l("Choose a serial state from the list."))
             if state else detect_serial_state(raw))
    key = serial_key(raw) if state is SerialState.READABLE else None
    if state is SerialState.READABLE and key is None:
        raise DomainError(_l("The serial has no letter or digit. Type it as stamped, or choose "
                             "“obliterated”, “unreadable” or “no serial number”."), field="raw_serial")
    return {"raw_serial": raw, "serial_state": state, "serial_key": key}


# --- Identification (the reference engine, when present) -------------------------------


def identification_fields(country_code: str, make, model, calibre, type_) -> dict:
    """Identified ids, method and confidence from the reference engine; nothing when the
    engine is not installed (the raw values then stand)."""
    try:
        from registry.reference.engine import identify
    except ImportError:
        return {}
    if not any((make, model, calibre, type_)):
        return dict.fromkeys(IDENTIFIED_FIELDS)
    result = identify(make, model, calibre=calibre, type=type_, country=country_code)
    return {
        "make_id": result.make_id, "model_id": result.model_id, "calibre_id": result.calibre_id,
        "type_id": result.type_id, "identification_method": result.method,
        "identification_confidence": dict(result.confidence),
    }


# --- Reference numbers ------------------------------------------------------------------


def reserve_references(country_code: str, count: int, year: int | None = None) -> list[str]:
    """`count` new public references (ML-2026-000123), unique under concurrent writers."""
    year, first = reserve_numbers(country_code, count, year)
    return [f"{country_code}-{year}-{number:06d}" for number in range(first, first + count)]


def reserve_numbers(country_code: str, count: int, year: int | None = None, session=None) -> tuple[int, int]:
    """(year, first number) of a block of `count` reference numbers of the country, in
    `session` (the request's or job's by default).

    `UPDATE ... SET last = last + count RETURNING last` locks the counter row until the
    transaction ends (SQLite: the write lock; PostgreSQL: the row lock). The first number
    of a year inserts the row; two first writers collide on the primary key and the loser
    retries the update.
    """
    session = session if session is not None else db.session
    year = year or utcnow().year
    increment = (
        update(ReferenceCounter)
        .where(ReferenceCounter.country_code == country_code, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + count)
        .returning(ReferenceCounter.last)
        .execution_options(synchronize_session=False)
    )
    last = session.execute(increment).scalar_one_or_none()
    if last is None:
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(
                    country_code=country_code, year=year, last=count))
            last = count
        except IntegrityError:
            last = session.execute(increment).scalar_one()
    return year, last - count + 1


def reserve_numbers_apart(country_code: str, count: int) -> tuple[int, int]:
    """reserve_numbers() in a transaction of its own, committed at once: for records written
    by several connections at the same time, which would otherwise wait on one another for
    the counter. A block whose records are never written (a crash) leaves a gap."""
    from sqlalchemy.orm import Session

    with Session(db.engine) as session, session.begin():
        return reserve_numbers(country_code, count, session=session)


# --- Create, edit, delete ----------------------------------------------------------------


def _history_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value.value if hasattr(value, "value") else value)


def create_weapon(actor: User, way: HitWay = HitWay.FORM, **fields) -> Weapon:
    """Record a weapon for the actor's agency; identify it; look for hits (met `way`: by
    form, by the API)."""
    if not actor.can(Permission.WRITE_RECORDS):
        raise NotAllowed(_l("Your role does not allow recording weapons."))
    cleaned = clean_fields(fields)
    agency = actor.agency
    cleaned.update(identification_fields(agency.country_code, cleaned["raw_make"], cleaned["raw_model"],
                                         cleaned["raw_calibre"], cleaned["raw_type"]))
    now = utcnow()
    weapon = Weapon(
        reference=reserve_references(agency.country_code, 1)[0], agency_id=agency.id,
        country_code=agency.country_code, created_by_id=actor.id, created_at=now,
        updated_at=now, **cleaned,
    )
    db.session.add(weapon)
    db.session.flush()  # the history tab reads the creation from created_at and created_by
    record("weapon.create", "weapon", weapon.id, {"reference": weapon.reference}, user=actor)
    check_hits(actor, [weapon], way)
    return weapon


def changes_since(weapon: Weapon, version: int) -> list[WeaponChange]:
    return list(db.session.scalars(
        select(WeaponChange).where(WeaponChange.weapon_id == weapon.id, WeaponChange.version > version)
        .order_by(WeaponChange.id)))


def update_weapon(actor: User, weapon: Weapon, expected_version: int, way: HitWay = HitWay.FORM,
                  **fields) -> Weapon:
    """Change a record if nobody changed it since `expected_version`; one history row per
    changed field. A stale edit raises StaleRecord with the changes made meanwhile."""
    if not actor.can(Permission.WRITE_RECORDS) or weapon.agency_id != actor.agency_id:
        raise NotAllowed(_l("Only the agency that recorded this weapon may change it."))
    if weapon.is_deleted:
        raise DomainError(_l("This record was deleted: it can no longer be changed."))
    cleaned = clean_fields(fields, partial=True)
    if int(expected_version) != weapon.version:
        raise StaleRecord(weapon, changes_since(weapon, int(expected_version)))
    names = ("raw_make", "raw_model", "raw_calibre", "raw_type")
    if any(name in cleaned and cleaned[name] != getattr(weapon, name) for name in names):
        values = {name: cleaned.get(name, getattr(weapon, name)) for name in names}
        cleaned.update(identification_fields(weapon.country_code, *values.values()))
    changed = {name: value for name, value in cleaned.items() if getattr(weapon, name) != value}
    if not changed:
        return weapon
    now = utcnow()
    new_version = weapon.version + 1
    for name, value in changed.items():
        if name in ("serial_key", "identification_confidence"):
            setattr(weapon, name, value)
            continue  # derived: no history row, shown through the fields they come from
        db.session.add(WeaponChange(weapon_id=weapon.id, user_id=actor.id, changed_at=now,
                                    version=new_version, field=name,
                                    old_value=_history_value(getattr(weapon, name)),
                                    new_value=_history_value(value)))
        setattr(weapon, name, value)
    weapon.updated_by_id = actor.id
    weapon.updated_at = now
    db.session.flush()  # the version column makes a concurrent writer fail here
    record("weapon.update", "weapon", weapon.id,
           {"reference": weapon.reference, "fields": sorted(changed)}, user=actor)
    if {"raw_serial", "serial_key", "make_id", "raw_make", "status", "sharing"} & set(changed):
        check_hits(actor, [weapon], way)
    return weapon


def delete_weapon(actor: User, weapon: Weapon, reason: str) -> Weapon:
    """Soft-delete a record of the actor's agency, with the reason (its supervisors only:
    records belong to the agency that holds them, not to every agency of its state)."""
    if not actor.can(Permission.DELETE_RECORDS) or weapon.agency_id != actor.agency_id:
        raise NotAllowed(_l("Only a supervisor of the agency that recorded it may delete it."))
    if weapon.is_deleted:
        raise DomainError(_l("This record was already deleted."))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_l("Say why the record is deleted (at least 5 characters)."), field="reason")
    now = utcnow()
    weapon.deleted_at = now
    weapon.deleted_reason = reason[:2000]
    weapon.updated_by_id = actor.id
    weapon.updated_at = now
    db.session.flush()
    db.session.add(WeaponChange(weapon_id=weapon.id, user_id=actor.id, changed_at=now,
                                version=weapon.version, field="deleted", old_value=None,
                                new_value=weapon.deleted_reason))
    record("weapon.delete", "weapon", weapon.id, {"reference": weapon.reference, "reason": reason},
           user=actor)
    return weapon


# --- Bulk creation for imports -----------------------------------------------------------


def existing_serial_keys(country_code: str, keys: set[str]) -> set[tuple[str, int | None]]:
    """(serial_key, make_id) of the country's live records among `keys`: duplicates."""
    found: set[tuple[str, int | None]] = set()
    keys = sorted(key for key in keys if key)
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start:start + IN_CHUNK]
        found.update(db.session.execute(
            select(Weapon.serial_key, Weapon.make_id).where(
                Weapon.country_code == country_code, Weapon.serial_key.in_(chunk),
                Weapon.deleted_at.is_(None))))
    return found


BULK_COLUMNS = set(EDITABLE_FIELDS) | set(IDENTIFIED_FIELDS) | {"import_row_id", "serial_key"}
MAX_ID_RUNS = 32  # beyond this many runs of consecutive ids, a batch is named by its list of ids


def id_condition(column, ids: list[int]):
    """`column` among `ids`, as a few BETWEEN ranges: the ids one INSERT returns follow each
    other (unless another writer took numbers in between), and a range costs one parameter
    pair where an IN list costs one per id. When two writers took numbers in turn (the
    side-by-side commit), PostgreSQL gets the ids as one array parameter: an IN list of
    5,000 parameters cost the driver more time to prepare than the database to run."""
    ordered = sorted(ids)
    runs: list[list[int]] = []
    for value in ordered:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    if len(runs) > MAX_ID_RUNS:
        if db.session.get_bind().dialect.name == "postgresql":
            return column == any_(bindparam(None, ordered, type_=ARRAY(Integer)))
        return column.in_(ordered)
    return or_(*(column.between(low, high) for low, high in runs))


def _padded_number(number, dialect_name: str):
    """The SQL of f"{number:06d}" on this database."""
    if dialect_name == "sqlite":
        return func.printf("%06d", number)
    text = cast(number, String)
    return case((number < 1_000_000, func.lpad(text, 6, "0")), else_=text)


def create_weapons_from_select(actor: User, agency: Agency, source: Select, count: int,
                               details: dict | None = None,
                               numbers: tuple[int, int] | None = None) -> list[int]:
    """Create `count` records of `agency` from `source` in one INSERT ... SELECT, so that no
    value passes through Python and the statements do not grow with the rows: the path
    of an import's commit.

    `source` selects Weapon columns by name (among BULK_COLUMNS, `status` and
    `serial_state` included) and `ordinal`, numbering its rows 1 to `count`, which orders
    the block of references reserved for them (in this transaction, or before it when
    `numbers` gives the block's (year, first number)). Writes one audit event (with
    `details`) and runs the hit check. Answers the new records' ids. (A record's creation
    needs no history row: its history shows created_at and created_by.)
    """
    if not actor.can(Permission.IMPORT_RECORDS) or actor.agency.country_code != agency.country_code:
        raise NotAllowed(_l("Your role does not allow importing records for this agency."))
    if count <= 0:
        return []
    rows = source.subquery("source")
    names = [column.name for column in rows.c if column.name != "ordinal"]
    unknown = set(names) - BULK_COLUMNS
    if unknown or not {"status", "serial_state"} <= set(names):
        raise ValueError(f"a bulk source needs status and serial_state, and no other column: {sorted(unknown)}")
    dialect_name = db.session.get_bind().dialect.name
    year, first = numbers if numbers is not None else reserve_numbers(agency.country_code, count)
    prefix = f"{agency.country_code}-{year}-"
    now = utcnow()
    filled = {
        "reference": literal(prefix, String).concat(_padded_number(rows.c.ordinal + (first - 1), dialect_name)),
        "agency_id": literal(agency.id, Integer), "country_code": literal(agency.country_code, String),
        "created_by_id": literal(actor.id, Integer), "created_at": literal(now, UTCDateTime),
        "updated_at": literal(now, UTCDateTime),
        "version": literal(1, Integer),
    }
    if "sharing" not in names:
        filled["sharing"] = literal(Sharing.NATIONAL.value, String)
    weapon = Weapon.__table__
    ids = list(db.session.execute(
        insert(weapon).from_select(names + list(filled), select(*(rows.c[name] for name in names),
                                                                  *filled.values()))
        .returning(weapon.c.id)).scalars())
    if len(ids) != count:
        raise RuntimeError(f"{count} records were expected from the bulk source, {len(ids)} were written")
    record("weapon.bulk_create", "agency", agency.id,
           {"count": count, "first": f"{prefix}{first:06d}", "last": f"{prefix}{first + count - 1:06d}",
            **(details or {})}, user=actor, agency_id=agency.id)
    _check_new_records(actor, ids, agency.country_code,
                       {"import": details["import"]} if details and "import" in details else None)
    return ids


def _check_new_records(actor: User, ids: list[int], country_code: str,
                       details: dict | None = None) -> list[Hit]:
    """The hit check of records of `country_code` just written in bulk: one query finds
    the few serial keys that another state's live record shares (wanted on either side),
    looked up by the serial key index, and only the new records with those keys go
    through check_hits."""
    new = Weapon.__table__.alias("new")
    batch = id_condition(new.c.id, ids)
    keys_of_batch = select(new.c.serial_key).where(batch, new.c.serial_key.is_not(None))
    keys_of_wanted = keys_of_batch.where(new.c.status.in_(WANTED_STATUSES))
    keys = list(db.session.scalars(
        select(Weapon.serial_key).distinct().where(
            Weapon.serial_key.in_(keys_of_batch), Weapon.country_code != country_code,
            Weapon.deleted_at.is_(None),
            or_(Weapon.status.in_(WANTED_STATUSES), Weapon.serial_key.in_(keys_of_wanted)))))
    if not keys:
        return []
    found: list[HitKey] = []
    for start in range(0, len(keys), IN_CHUNK):
        found.extend(HitKey(*row) for row in db.session.execute(select(*HIT_KEY_COLUMNS).where(
            id_condition(Weapon.id, ids), Weapon.serial_key.in_(keys[start:start + IN_CHUNK]))))
    return check_hits(actor, found, HitWay.IMPORT, details)
