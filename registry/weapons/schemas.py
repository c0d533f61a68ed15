"""What the weapons and hits API takes and gives (the OpenAPI document is made from these).

A weapon's answer holds the fields its reader may see (registry.weapons.sharing): every
field for the owning state, identification, status, month and country of the event and
the owning agency's tracing contact for another state. The schema names every field a
reader may get; the ones withheld are absent from the answer, not null.
"""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from registry.api.framework import CursorQuery
from registry.weapons import sharing
from registry.weapons.models import HitStatus, HitWay, Sharing, WeaponStatus
from registry.weapons.serials import SerialState
from registry.weapons.service import TEXT_FIELDS

STATUSES = [item.value for item in WeaponStatus]
SHARINGS = [item.value for item in Sharing]
SERIAL_STATES = [item.value for item in SerialState]
HIT_STATUSES = [item.value for item in HitStatus]
COUNTRY = validate.Length(equal=2)
SERIAL_MATCHES = ["near", "exact", "contains", "prefix", "suffix"]


# --- What a caller sends ----------------------------------------------------------------------


def _record_fields(required_status: bool) -> dict:
    """The fields of a record an officer gives, as the form has them."""
    given = {
        "status": fields.String(required=required_status, validate=validate.OneOf(STATUSES)),
        "sharing": fields.String(validate=validate.OneOf(SHARINGS), metadata={
            "description": "national (own country), partners (the agency's partner states), all; "
                           "national by default"}),
        "serial_state": fields.String(allow_none=True, validate=validate.OneOf(SERIAL_STATES), metadata={
            "description": "Left out: read from the serial (words such as “limé” or “illisible”)"}),
        "event_date": fields.Date(allow_none=True, metadata={"description": "Not in the future, not before 1850"}),
        "latitude": fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-90, 90)),
        "longitude": fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-180, 180)),
    }
    for name in ("manufacture_country_code", "last_import_country_code", "event_country_code"):
        given[name] = fields.String(allow_none=True, validate=COUNTRY, metadata={
            "description": "ISO 3166-1 alpha-2"})
    for name, length in TEXT_FIELDS.items():
        given[name] = fields.String(allow_none=True, validate=validate.Length(max=length))
    given["raw_serial"].metadata["description"] = (
        "As stamped, spaces and dashes included: the comparison ignores them")
    return given


WeaponCreateSchema = Schema.from_dict(_record_fields(required_status=True), name="WeaponCreate")
WeaponUpdateSchema = Schema.from_dict(_record_fields(required_status=False) | {
    "version": fields.Integer(strict=True, metadata={
        "description": "Required: the `version` of the record as it was read. Someone else's change "
                       "since then answers 409 and changes nothing"}),
}, name="WeaponUpdate")


class ShareSchema(Schema):
    sharing = fields.String(required=True, validate=validate.OneOf(SHARINGS))
    version = fields.Integer(strict=True, metadata={
        "description": "The `version` read; left out, the record's current one"})


class WeaponSearchQuery(CursorQuery):
    serial = fields.String(validate=validate.Length(max=200), metadata={
        "description": "A serial as typed; the answer then names the hits it made or met"})
    match = fields.String(load_default="near", validate=validate.OneOf(SERIAL_MATCHES), metadata={
        "description": "near: the same serial, then one look-alike or typing slip away (as the list "
                       "page); exact: the same serial only; contains, prefix, suffix: part of a "
                       "serial, at least 4 letters or digits"})
    make = fields.String(validate=validate.Length(max=200))
    model = fields.String(validate=validate.Length(max=200))
    calibre = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(STATUSES))
    sharing = fields.String(validate=validate.OneOf(SHARINGS))
    country = fields.String(validate=COUNTRY, metadata={"description": "The owning state"})
    agency = fields.String(validate=validate.Length(max=32), metadata={"description": "The owning agency's code"})
    date_from = fields.Date(metadata={"description": "Events from this day"})
    date_to = fields.Date(metadata={"description": "Events until this day"})
    place = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Town, region or country of the event"})
    case_reference = fields.String(validate=validate.Length(max=100))
    sort = fields.String(load_default="created", validate=validate.OneOf(["created", "reference"]), metadata={
        "description": "Without a serial: by date recorded or by reference"})
    direction = fields.String(load_default="desc", validate=validate.OneOf(["desc", "asc"]))


class PhotoUploadSchema(Schema):
    photo = Upload(required=True, metadata={"description": "JPEG, PNG or WebP, at most 5 MB; 6 per record"})


class PhotoOptionsSchema(Schema):
    caption = fields.String(load_default="", validate=validate.Length(max=200))
    shareable = fields.Boolean(load_default=False, metadata={
        "description": "Shown to the states the record is shared with"})


class PhotoShareSchema(Schema):
    shareable = fields.Boolean(required=True, metadata={
        "description": "true: the states the record is shared with see it; false: the owning state only"})


class PhotoSchema(Schema):
    id = fields.Integer(required=True)
    weapon_id = fields.Integer(required=True)
    caption = fields.String(allow_none=True, required=True)
    content_type = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    shareable = fields.Boolean(required=True, metadata={"description": "Seen by the states the record is shared with"})
    url = fields.String(required=True, metadata={"description": "The image (GET, with the same token)"})
    thumbnail_url = fields.String(required=True, metadata={"description": "A JPEG of at most 320 pixels"})


class SequenceQuery(CursorQuery):
    make = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "A sequence is of one make"})
    first = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "example": "AB 1200"})
    last = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The same letters as `first`, at most 10,000 numbers further", "example": "AB 1450"})


class SerialListSchema(Schema):
    serials = fields.List(fields.String(validate=validate.Length(max=200)), required=True, metadata={
        "description": "Up to 500 serials as typed (blank ones left out)"})


class HitListQuery(CursorQuery):
    status = fields.String(validate=validate.OneOf(HIT_STATUSES))
    side = fields.String(validate=validate.OneOf(["searcher", "owner"]), metadata={
        "description": "searcher: hits the caller's agency's searches and records made; owner: hits "
                       "on its wanted records. Either when left out"})


class ConfirmSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000), metadata={
        "description": "Optional: what shows it is the same weapon"})
    linked_reference = fields.String(load_default="", validate=validate.Length(max=32), metadata={
        "description": "A search's hit, confirmed by the agency that searched: the reference of its own "
                       "record of the weapon, which the hit then links"})


class RecordAfterHitSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["seized", "returned"]), metadata={
        "description": "What became of the wanted weapon: seized abroad, returned"})
    version = fields.Integer(strict=True, metadata={
        "description": "The `version` of the wanted record as read; left out, its current one"})


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=2000), metadata={
        "description": "Why it is not the same weapon (at least 5 characters)"})


# --- What the registry answers -----------------------------------------------------------------


class ReferenceEntrySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Its stable code in the reference table"})
    name = fields.String(required=True)


class IdentifiedSchema(Schema):
    make = fields.Nested(ReferenceEntrySchema, allow_none=True, required=True)
    model = fields.Nested(ReferenceEntrySchema, allow_none=True, required=True)
    calibre = fields.Nested(ReferenceEntrySchema, allow_none=True, required=True)
    type = fields.Nested(ReferenceEntrySchema, allow_none=True, required=True)
    method = fields.String(allow_none=True, required=True, metadata={
        "description": "How the registry identified it (exact name, alias, fuzzy...); null when not identified"})


def weapon_fields() -> dict:
    """The fields of a record's answer: every field a reader may get. Those that sharing
    withholds from another state (registry.weapons.sharing) are documented as not always
    present: the owning state gets them, another state never."""
    def text(**kwargs):
        return fields.String(allow_none=True, **kwargs)

    given = {
        "id": fields.Integer(),
        "reference": fields.String(metadata={"example": "ML-2026-000123"}),
        "country_code": fields.String(metadata={"description": "The owning state"}),
        "agency": fields.String(metadata={"description": "The owning agency (code)"}),
        "agency_name": text(),
        "status": fields.String(validate=validate.OneOf(STATUSES)),
        "sharing": fields.String(validate=validate.OneOf(SHARINGS)),
        "serial_key": text(metadata={"description": "The serial as compared"}),
        "serial_state": fields.String(validate=validate.OneOf(SERIAL_STATES)),
        "manufacture_country_code": text(),
        "last_import_country_code": text(),
        "event_date": fields.Date(allow_none=True),
        "event_month": text(metadata={"description": "YYYY-MM: what another state knows of the date"}),
        "event_country_code": text(),
        "latitude": fields.Float(allow_none=True),
        "longitude": fields.Float(allow_none=True),
        "tracing_contact": text(metadata={"description": "Who answers about the owner's records"}),
        "created_at": fields.DateTime(),
        "updated_at": fields.DateTime(),
        "version": fields.Integer(metadata={"description": "Send it back with a change"}),
        "sees_everything": fields.Boolean(metadata={
            "description": "The caller is of the owning state and sees every field"}),
        "identified": fields.Nested(IdentifiedSchema, metadata={
            "description": "The reference table's entries the raw values were identified as"}),
    }
    for name in TEXT_FIELDS:
        given.setdefault(name, text())
    for name, field in given.items():
        field.required = name in ("id", "sees_everything") or not sharing.is_withheld(name)
        if not field.required:
            field.metadata["description"] = "For the owning state only"
    return given



class OtherRecordSchema(Schema):
    """The other side of a hit, as its reader may see it."""

    weapon_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Null when the other side is a search, not a record"})
    reference = fields.String(allow_none=True, required=True, metadata={"example": "BF-2026-000012"})
    country = fields.String(required=True, metadata={"description": "The other side's state"})
    agency = fields.String(required=True, metadata={"description": "The other side's agency (code)"})
    status = fields.String(allow_none=True, required=True, validate=validate.OneOf(STATUSES))


class HitSummarySchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(HIT_STATUSES), metadata={
        "description": "new, confirmed (the same weapon), dismissed (not the same)"})
    match = fields.String(required=True, validate=validate.OneOf(["exact", "near"]))
    score = fields.Float(required=True, metadata={"description": "1: same serial and make; less when "
                                                                  "the make is written otherwise or unknown"})
    match_label = fields.String(required=True, metadata={"description": "What the score means, in words"})
    times_met = fields.Integer(required=True, metadata={"description": "Searches and saves that met it"})
    last_met_at = fields.DateTime(allow_none=True, required=True)
    other = fields.Nested(OtherRecordSchema, required=True, metadata={
        "description": "The record (or search) of the other state"})


WeaponSchema = Schema.from_dict(weapon_fields(), name="Weapon")
WeaponWithHitsSchema = Schema.from_dict(weapon_fields() | {
    "hits": fields.List(fields.Nested(HitSummarySchema), required=True, metadata={
        "description": "The hits this record is a side of, met again at this save if any"}),
    "photos": fields.List(fields.Nested(PhotoSchema), required=True, metadata={
        "description": "Its photos the caller may see: another state sees those marked shareable"}),
}, name="WeaponWithHits")
WeaponItemSchema = Schema.from_dict(weapon_fields() | {
    "score": fields.Float(allow_none=True, required=True, metadata={
        "description": "Serial search: 1 for the same serial, less for a near one; null otherwise"}),
}, name="WeaponItem")
WeaponPageSchema = Schema.from_dict({
    "items": fields.List(fields.Nested(WeaponItemSchema), required=True),
    "next_cursor": fields.String(allow_none=True, required=True, metadata={
        "description": "Pass it as `cursor` for the next page; null on the last page"}),
    "count": fields.Integer(required=True, metadata={"description": "How many records matched"}),
    "count_is_lower_bound": fields.Boolean(required=True, metadata={
        "description": "More than `count` records matched"}),
    "serial_key": fields.String(allow_none=True, required=True, metadata={
        "description": "The serial as compared (upper case, no spaces or dashes, look-alikes folded)"}),
    "hits": fields.List(fields.Nested(HitSummarySchema), required=True, metadata={
        "description": "The other states' wanted records this serial search met (empty without a serial)"}),
}, name="WeaponPage")
class HitMeetingSchema(Schema):
    at = fields.DateTime(required=True)
    way = fields.String(required=True, validate=validate.OneOf([way.value for way in HitWay]))


class HitSchema(HitSummarySchema):
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    decision_reason = fields.String(allow_none=True, required=True)
    owner_agency = fields.String(required=True, metadata={"description": "The wanted record's agency"})
    owner_country = fields.String(required=True)
    searcher_agency = fields.String(required=True, metadata={"description": "The agency that searched or recorded"})
    searcher_country = fields.String(required=True)
    wanted = fields.Nested(WeaponSchema, required=True, metadata={"description": "The wanted record"})
    source = fields.Nested(WeaponSchema, allow_none=True, required=True, metadata={
        "description": "The record that met it; null for a search"})
    meetings = fields.List(fields.Nested(HitMeetingSchema), required=True, metadata={
        "description": "Each time it was met, newest first"})


HitPageSchema = Schema.from_dict({
    "items": fields.List(fields.Nested(HitSchema), required=True),
    "next_cursor": fields.String(allow_none=True, required=True),
}, name="HitPage")


class SerialListLineSchema(Schema):
    typed = fields.String(required=True, metadata={"description": "The serial as sent"})
    serial_key = fields.String(allow_none=True, required=True, metadata={"description": "As compared"})
    items = fields.List(fields.Nested(WeaponSchema), required=True, metadata={
        "description": "The records of that serial the caller may see"})


class SerialListResultSchema(Schema):
    lines = fields.List(fields.Nested(SerialListLineSchema), required=True)
    matched = fields.Integer(required=True, metadata={"description": "Serials that matched a record"})
    truncated = fields.Boolean(required=True, metadata={"description": "More than 5,000 records matched: "
                                                                         "the first 5,000 are given"})
    hits = fields.List(fields.Nested(HitSummarySchema), required=True, metadata={
        "description": "The other states' wanted records the list met"})
