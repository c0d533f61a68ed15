"""What sharing shows: the one rule of what a reader sees of a weapon record.

The owning state's users see everything. Another state's user, to whom the record is
shared (registry.weapons.scoping decides that), sees the weapon's identification (make,
model, calibre, type, serial and its readings, markings, countries of manufacture and of
last legal import), its status, the month and country of the event, the owning agency and
its tracing contact, and the photos the owner marked shareable. Never the notes, the
circumstances, the criminal context, the case reference, the town, the region, the
coordinates, the legal ground, the history or the names of the owner's staff.

Every place that shows a record (list, record page, search, hits, export, API) goes
through `for_reader()` (an object for templates) or `visible_fields()` (a mapping for
exports and the API); searches filter on a withheld field through `withheld_filter()`, so
that a filter never tells what it would not show.
"""

from calendar import monthrange
from datetime import date

from sqlalchemy import and_, or_

from registry.auth.models import User
from registry.weapons.models import Weapon

# What another state sees, as attributes of a Weapon (relationships included).
SHARED = frozenset({
    "id", "reference", "status", "sharing", "country_code", "country", "agency_id", "agency",
    "raw_make", "raw_model", "raw_calibre", "raw_type", "raw_serial", "serial_key", "serial_state",
    "make_id", "model_id", "calibre_id", "type_id", "make", "model", "calibre",
    "make_label", "model_label", "calibre_label", "identification_method",
    "marking_importer", "marking_proof", "marking_year", "marking_other",
    "manufacture_country_code", "manufacture_country", "last_import_country_code",
    "last_import_country", "event_country_code", "event_country", "event_month",
    "is_wanted", "is_deleted", "deleted_at", "version", "created_at", "updated_at",
})
# What it never sees: each reads as empty on another state's copy.
WITHHELD = frozenset({
    "event_date", "event_town", "event_region", "latitude", "longitude", "case_reference",
    "legal_ground", "criminal_context", "circumstances", "notes", "deleted_reason",
    "identification_confidence", "import_row_id", "created_by_id", "created_by",
    "updated_by_id", "updated_by",
})

# The fields of a record, in the order exports and the API give them.
FIELDS = (
    "reference", "country_code", "agency", "status", "sharing",
    "raw_make", "raw_model", "raw_calibre", "raw_type", "raw_serial", "serial_key", "serial_state",
    "marking_importer", "marking_proof", "marking_year", "marking_other",
    "manufacture_country_code", "last_import_country_code",
    "event_date", "event_month", "event_town", "event_region", "event_country_code",
    "latitude", "longitude", "case_reference", "legal_ground", "criminal_context",
    "circumstances", "notes", "tracing_contact", "created_at", "updated_at", "version",
)


def sees_everything(user: User, weapon: Weapon) -> bool:
    """Whether `user` belongs to the state that owns the record (and so sees all of it)."""
    return user.country_code == weapon.country_code


class SharedRecord:
    """Another state's view of a record: the shared attributes as they are, the withheld
    ones empty; an attribute named in neither list is an error, never a leak."""

    is_shared_view = True

    def __init__(self, weapon: Weapon):
        self._weapon = weapon

    def __getattr__(self, name: str):
        if name in SHARED:
            return getattr(self._weapon, name)
        if name in WITHHELD:
            return None
        raise AttributeError(f"{name!r} is not part of what sharing shows")

    @property
    def tracing_contact(self) -> str | None:
        return self._weapon.agency.tracing_contact if self._weapon.agency else None

    def __repr__(self) -> str:
        return f"<SharedRecord {self._weapon.reference}>"


def for_reader(user: User, weapon: Weapon):
    """The record as `user` may see it: the record itself for its own state, its shared
    part for another."""
    if weapon is None or isinstance(weapon, SharedRecord) or sees_everything(user, weapon):
        return weapon
    return SharedRecord(weapon)


def all_for_reader(user: User, weapons) -> list:
    return [for_reader(user, weapon) for weapon in weapons]


def visible_fields(user: User, weapon: Weapon) -> dict:
    """Field name -> value of what `user` may see of the record, in FIELDS order; a withheld
    field is left out (not given as empty), the event's month given in place of its date."""
    shown = for_reader(user, weapon)
    whole = not getattr(shown, "is_shared_view", False)
    values = {}
    for name in FIELDS:
        if not whole and name in WITHHELD:
            continue
        if name == "agency":
            values["agency"] = weapon.agency.code if weapon.agency else None
            values["agency_name"] = weapon.agency.name if weapon.agency else None
        elif name == "tracing_contact":
            values[name] = weapon.agency.tracing_contact if weapon.agency else None
        else:
            values[name] = getattr(shown, name)
    return values


def is_withheld(field: str) -> bool:
    return field in WITHHELD


# --- Searching on a withheld field -------------------------------------------------------------


def withheld_filter(user: User, condition):
    """`condition` on a withheld field holds for the reader's own state's records only: another
    state's record never matches, whatever it holds."""
    return and_(Weapon.country_code == user.country_code, condition)


def event_date_filter(user: User, since: date | None, until: date | None):
    """A period on the event date: exact for the reader's own records, by month for another
    state's (of which the reader knows the month only)."""
    own, other = [], []
    if since:
        own.append(Weapon.event_date >= since)
        other.append(Weapon.event_date >= since.replace(day=1))
    if until:
        own.append(Weapon.event_date <= until)
        other.append(Weapon.event_date <= until.replace(day=monthrange(until.year, until.month)[1]))
    if not own:
        return None
    return or_(and_(Weapon.country_code == user.country_code, *own),
               and_(Weapon.country_code != user.country_code, *other))
