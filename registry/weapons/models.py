"""Weapon records, their photos and history, the reference counter and hits."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.auth.models import enum_column
from registry.extensions import UTCDateTime, db, utcnow
from registry.weapons.serials import SerialState

__all__ = ["Hit", "HitMeeting", "HitStatus", "HitWay", "ReferenceCounter", "SerialState", "Sharing", "Weapon",
           "WeaponChange", "WeaponPhoto", "WeaponStatus"]


class WeaponStatus(enum.StrEnum):
    SEIZED = "seized"
    FOUND = "found"
    SURRENDERED = "surrendered"
    LOST = "lost"
    STOLEN = "stolen"
    TRAFFICKED = "trafficked"
    DESTROYED = "destroyed"
    RETURNED = "returned"

    @property
    def label(self):
        return WEAPON_STATUS_LABELS[self]


WEAPON_STATUS_LABELS = {
    WeaponStatus.SEIZED: _l("Seized"),
    WeaponStatus.FOUND: _l("Found"),
    WeaponStatus.SURRENDERED: _l("Surrendered"),
    WeaponStatus.LOST: _l("Lost"),
    WeaponStatus.STOLEN: _l("Stolen"),
    WeaponStatus.TRAFFICKED: _l("Trafficked or smuggled"),
    WeaponStatus.DESTROYED: _l("Destroyed"),
    WeaponStatus.RETURNED: _l("Returned"),
}
# A record in one of these states is looked for by other states: a match is a hit.
WANTED_STATUSES = (WeaponStatus.LOST, WeaponStatus.STOLEN, WeaponStatus.TRAFFICKED)


class Sharing(enum.StrEnum):
    NATIONAL = "national"
    PARTNERS = "partners"
    ALL = "all"

    @property
    def label(self):
        return SHARING_LABELS[self]


SHARING_LABELS = {
    Sharing.NATIONAL: _l("National: my country only"),
    Sharing.PARTNERS: _l("Partner states of my agency"),
    Sharing.ALL: _l("All states of the registry"),
}


class Weapon(db.Model):
    __tablename__ = "weapon"
    __table_args__ = (
        Index("ix_weapon_country_created", "country_code", "created_at"),
        # The list every user opens first (newest first) walks this index page by page.
        Index("ix_weapon_created_id", "created_at", "id"),
        Index("ix_weapon_reference_id", "reference", "id"),
        # Every column of the sharing condition: a list's count reads this index, not the rows.
        Index("ix_weapon_visibility", "country_code", "sharing", "agency_id", "deleted_at"),
        # Partial serials (contains, ends with) on PostgreSQL; SQLite keeps an FTS5 trigram
        # table of the keys instead, kept by triggers (migration 0015).
        Index("ix_weapon_serial_key_trigram", "serial_key", postgresql_using="gin",
              postgresql_ops={"serial_key": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_weapon_sharing_created", "sharing", "created_at"),
        Index("ix_weapon_status_created", "status", "created_at"),
        # One key for the agency and its state: a record's country is its agency's, and the
        # database checks one foreign key per record instead of two (the check of a country
        # code cost three times that of an agency id in a bulk insert).
        ForeignKeyConstraint(["agency_id", "country_code"], ["agency.id", "agency.country_code"],
                             name="fk_weapon_agency_id_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    agency_id: Mapped[int] = mapped_column(Integer, index=True)
    country_code: Mapped[str] = mapped_column(String(2))
    status: Mapped[WeaponStatus] = mapped_column(enum_column(WeaponStatus))
    sharing: Mapped[Sharing] = mapped_column(enum_column(Sharing), default=Sharing.NATIONAL)

    raw_make: Mapped[str | None] = mapped_column(String(200))
    raw_model: Mapped[str | None] = mapped_column(String(200))
    raw_calibre: Mapped[str | None] = mapped_column(String(100))
    raw_type: Mapped[str | None] = mapped_column(String(100))
    raw_serial: Mapped[str | None] = mapped_column(String(100))
    serial_key: Mapped[str | None] = mapped_column(String(100), index=True)
    serial_state: Mapped[SerialState] = mapped_column(enum_column(SerialState),
                                                      default=SerialState.READABLE)

    make_id: Mapped[int | None] = mapped_column(ForeignKey("reference_make.id"), index=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("reference_model.id"))
    calibre_id: Mapped[int | None] = mapped_column(ForeignKey("reference_calibre.id"))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("reference_weapon_type.id"))
    identification_method: Mapped[str | None] = mapped_column(String(32))
    identification_confidence: Mapped[dict | None] = mapped_column(JSON)

    marking_importer: Mapped[str | None] = mapped_column(String(200))
    marking_proof: Mapped[str | None] = mapped_column(String(200))
    marking_year: Mapped[str | None] = mapped_column(String(20))
    marking_other: Mapped[str | None] = mapped_column(String(500))
    manufacture_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    last_import_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))

    event_date: Mapped[date | None] = mapped_column(Date, index=True)
    event_town: Mapped[str | None] = mapped_column(String(200))
    event_region: Mapped[str | None] = mapped_column(String(200))
    event_country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    case_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    legal_ground: Mapped[str | None] = mapped_column(String(200))
    criminal_context: Mapped[str | None] = mapped_column(String(200))
    circumstances: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # The import row a record came from: a second commit of the same row finds it here.
    import_row_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who last changed the record: empty until its first change (a record's creation is
    # created_by's; leaving it empty also spares a bulk insert one foreign-key check per row).
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(Text)

    agency = relationship("Agency", lazy="joined")
    make = relationship("registry.reference.models.Make", lazy="joined")
    model = relationship("registry.reference.models.Model", lazy="joined")
    calibre = relationship("registry.reference.models.Calibre", lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    # Countries named on the record page (a few small rows, from the session once loaded).
    country = relationship("Country", primaryjoin="foreign(Weapon.country_code) == Country.code", viewonly=True)
    manufacture_country = relationship("Country", foreign_keys=[manufacture_country_code], viewonly=True)
    last_import_country = relationship("Country", foreign_keys=[last_import_country_code], viewonly=True)
    event_country = relationship("Country", foreign_keys=[event_country_code], viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    # A record read through registry.weapons.sharing by another state is a SharedRecord.
    is_shared_view = False

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def event_month(self) -> date | None:
        """The month of the event (its first day): what another state knows of its date."""
        return self.event_date.replace(day=1) if self.event_date else None

    @property
    def tracing_contact(self) -> str | None:
        return self.agency.tracing_contact if self.agency else None

    @property
    def is_wanted(self) -> bool:
        return self.status in WANTED_STATUSES

    @property
    def make_label(self) -> str:
        """The identified make, or what was typed when it is not identified."""
        return self.make.name if self.make is not None else (self.raw_make or "")

    @property
    def model_label(self) -> str:
        return self.model.name if self.model is not None else (self.raw_model or "")

    @property
    def calibre_label(self) -> str:
        return self.calibre.name if self.calibre is not None else (self.raw_calibre or "")

    def __repr__(self) -> str:
        return f"<Weapon {self.reference}>"


def event_day():
    """A record's day in the statistics: its event date, or the day it was recorded when
    the event date is not known. date() of a timestamp is the same on SQLite and
    PostgreSQL (where it is immutable), so one expression serves the index below and the
    queries of registry/reports, which must write it the same way to use the index."""
    return func.coalesce(Weapon.event_date, func.date(Weapon.created_at))


# The statistics and the map of a state over a period read this index, not the rows: it
# holds every column they count or filter by (registry/reports/service.py), and the id
# (SQLite's rowid is in every index; PostgreSQL reads only the index when it is there too),
# records not deleted only.
Index("ix_weapon_statistics", Weapon.country_code, event_day(), Weapon.status, Weapon.agency_id,
      Weapon.model_id, Weapon.type_id, Weapon.calibre_id, Weapon.make_id, Weapon.manufacture_country_code,
      Weapon.import_row_id, Weapon.marking_year, Weapon.serial_key, Weapon.event_region, Weapon.latitude,
      Weapon.longitude, Weapon.event_date, Weapon.created_at, Weapon.id, Weapon.deleted_at,
      sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"))
# The dashboard's records of this month and year by status (by event date, as the list).
# Both hold deleted_at, which their condition names: SQLite reads the rows for a column the
# query names that its index does not hold, even one its partial index's condition fixes.
Index("ix_weapon_country_event_status", Weapon.country_code, Weapon.event_date, Weapon.status,
      Weapon.deleted_at, sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"))


class WeaponPhoto(db.Model):
    __tablename__ = "weapon_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapon.id"), index=True)
    # Name of the file under UPLOAD_FOLDER/weapons/: random, never what was uploaded.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(String(200))
    # Marked by the owner: seen by the other states the record is shared with.
    shareable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    weapon: Mapped[Weapon] = relationship()


class WeaponChange(db.Model):
    """One field of a record changed: who, when, the value before and after."""

    __tablename__ = "weapon_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapon.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    user = relationship("User", lazy="joined")


class ReferenceCounter(db.Model):
    """The last reference number given per country and year (ML-2026-000123). Numbers are
    reserved by `UPDATE ... SET last = last + n` inside the creating transaction, so two
    writers never get the same number; a rolled-back block leaves a gap, which is fine."""

    __tablename__ = "weapon_reference_counter"

    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class HitStatus(enum.StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

    @property
    def label(self):
        return HIT_STATUS_LABELS[self]


HIT_STATUS_LABELS = {
    HitStatus.NEW: _l("New"),
    HitStatus.CONFIRMED: _l("Confirmed"),
    HitStatus.DISMISSED: _l("Dismissed"),
}


class Hit(db.Model):
    """A search or a record of one state matched another state's wanted record.

    One hit per pair of records, and one per wanted record and searching agency for
    searches; each later search or save that meets it again is a HitMeeting."""

    __tablename__ = "weapon_hit"
    __table_args__ = (
        UniqueConstraint("source_weapon_id", "hit_weapon_id"),
        # A search hit has no source record: the pair above cannot keep it single.
        Index("uq_weapon_hit_search", "hit_weapon_id", "searcher_agency_id", unique=True,
              sqlite_where=text("source_weapon_id IS NULL"),
              postgresql_where=text("source_weapon_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_weapon_id: Mapped[int] = mapped_column(ForeignKey("weapon.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    # Either a record of the searching state matched, or a search did.
    source_weapon_id: Mapped[int | None] = mapped_column(ForeignKey("weapon.id"))
    searcher_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    searcher_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    search_terms: Mapped[dict | None] = mapped_column(JSON)
    serial_key: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[HitStatus] = mapped_column(enum_column(HitStatus), default=HitStatus.NEW)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who was told, and when: [{"agency_id": .., "user_id": ..}], and the moment.
    notified: Mapped[list | None] = mapped_column(JSON)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many times it was met (the first time included), and the last: for the lists.
    times_met: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hit_weapon: Mapped[Weapon] = relationship(foreign_keys=[hit_weapon_id], lazy="joined")
    source_weapon: Mapped[Weapon | None] = relationship(foreign_keys=[source_weapon_id])
    owner_agency = relationship("Agency", foreign_keys=[owner_agency_id])
    searcher_agency = relationship("Agency", foreign_keys=[searcher_agency_id])
    searcher_user = relationship("User", foreign_keys=[searcher_user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    meetings = relationship("HitMeeting", order_by="HitMeeting.id.desc()", viewonly=True)

    @property
    def match(self) -> str:
        """"exact" when the serial keys are the same, "near" otherwise."""
        return "exact" if self.hit_weapon is None or self.serial_key == self.hit_weapon.serial_key else "near"

    @property
    def match_label(self) -> str:
        """What the score means, in the same words on every page that shows it."""
        percent = int(round(self.score * 100))
        if self.match == "near":
            return str(_l("Near serial (%(percent)d %%)", percent=percent))
        if self.score >= 1:
            return str(_l("Exact serial, same make"))
        if self.score >= 0.9:
            return str(_l("Exact serial, make written alike (%(percent)d %%)", percent=percent))
        return str(_l("Exact serial, make unknown on one side (%(percent)d %%)", percent=percent))


class HitWay(enum.StrEnum):
    """How a hit was met: a search, a record saved by form, by import or by the API."""

    SEARCH = "search"
    FORM = "form"
    IMPORT = "import"
    API = "api"

    @property
    def label(self):
        return HIT_WAY_LABELS[self]


HIT_WAY_LABELS = {
    HitWay.SEARCH: _l("search"),
    HitWay.FORM: _l("record saved by form"),
    HitWay.IMPORT: _l("record imported"),
    HitWay.API: _l("record saved through the API"),
}


class HitMeeting(db.Model):
    """One time a hit was met: when, by whom, how (a search and its terms, a save)."""

    __tablename__ = "weapon_hit_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("weapon_hit.id"), index=True)
    met_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    way: Mapped[HitWay] = mapped_column(enum_column(HitWay))
    details: Mapped[dict | None] = mapped_column(JSON)

    user = relationship("User", lazy="joined")


from registry.weapons import scoping  # noqa: E402,F401  (registers the scope rules)
