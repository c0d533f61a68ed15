"""The weapons and hits API (`/api/v1/weapons`, `/api/v1/hits`): search, read, record, change
and share weapon records; list, read, confirm and dismiss hits.

Every answer about a record goes through registry.weapons.sharing (`visible_fields`): the
owning state sees everything, another state what sharing shows. The search, the records'
changes and the hits' decisions are the services the pages call (registry.weapons.search,
serial_search, service, hits), so that hits are made and met, and audited, the same way.
"""

from flask import abort, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from registry.api.framework import (
    READ,
    VALIDATION_MESSAGES,
    ApiBlueprint,
    ApiError,
    decode_cursor,
    domain_problem,
    encode_cursor,
    loads,
    page_of,
    requires,
    scope,
)
from registry.audit.service import record
from registry.auth.roles import Permission
from registry.auth.scoping import visible
from registry.errors import DomainError
from registry.extensions import db
from registry.reference.models import WeaponType
from registry.weapons import hits as hits_service
from registry.weapons import photos as photos_service
from registry.weapons import search, serial_search, service, sharing
from registry.weapons.models import Hit, HitStatus, HitWay, Weapon, WeaponPhoto
from registry.weapons.schemas import (
    ConfirmSchema,
    DismissSchema,
    HitListQuery,
    HitPageSchema,
    HitSchema,
    PhotoOptionsSchema,
    PhotoSchema,
    PhotoShareSchema,
    PhotoUploadSchema,
    RecordAfterHitSchema,
    SequenceQuery,
    SerialListResultSchema,
    SerialListSchema,
    ShareSchema,
    WeaponCreateSchema,
    WeaponPageSchema,
    WeaponSearchQuery,
    WeaponUpdateSchema,
    WeaponWithHitsSchema,
)

api_blueprint = ApiBlueprint("weapons_api", __name__, url_prefix="/api/v1",
                             description="Weapon records and the hits between states.")

NOT_RECORDER = _l("Your role does not allow recording or changing weapon records.")
NOT_DECIDER = _l("Your role does not allow deciding on hits.")
PARTIAL_MODES = {"contains", "prefix", "suffix"}


# --- Answers ----------------------------------------------------------------------------------


def weapon_json(weapon) -> dict:
    """A record as its reader may see it (the one rule of registry.weapons.sharing)."""
    data = dict(sharing.visible_fields(current_user, weapon))
    month = data.get("event_month")
    if month is not None and not isinstance(month, str):
        data["event_month"] = month.strftime("%Y-%m")
    data["id"] = weapon.id
    data["sees_everything"] = sharing.sees_everything(current_user, weapon)
    data["identified"] = _identified(sharing.for_reader(current_user, weapon))
    return data


def _identified(shown) -> dict:
    """The reference table's make, model, calibre and type of a record (part of what
    sharing shows), by code and name."""

    def entry(item):
        return {"code": item.code, "name": item.name} if item is not None else None

    weapon_type = db.session.get(WeaponType, shown.type_id) if shown.type_id is not None else None
    return {"make": entry(shown.make), "model": entry(shown.model), "calibre": entry(shown.calibre),
            "type": entry(weapon_type), "method": shown.identification_method}


def _other_side(hit: Hit) -> dict:
    """The other state's side of a hit, for the caller's agency: its record as sharing shows
    it, or the search that met the caller's record."""
    mine_is_wanted = hit.owner_agency_id == current_user.agency_id
    other = hit.source_weapon if mine_is_wanted else hit.hit_weapon
    if other is None:
        return {"weapon_id": None, "reference": None, "country": hit.searcher_agency.country_code,
                "agency": hit.searcher_agency.code, "status": None}
    shown = sharing.visible_fields(current_user, other)
    return {"weapon_id": other.id, "reference": shown.get("reference"), "country": shown.get("country_code"),
            "agency": shown.get("agency"), "status": shown.get("status")}


def hit_summary_json(hit: Hit) -> dict:
    return {"id": hit.id, "status": hit.status.value, "match": hit.match, "score": hit.score,
            "match_label": hit.match_label, "times_met": hit.times_met, "last_met_at": hit.last_met_at,
            "other": _other_side(hit)}


def hit_json(hit: Hit) -> dict:
    """A hit with both records as the caller may see them, its decision and its meetings."""
    return hit_summary_json(hit) | {
        "created_at": hit.created_at, "decided_at": hit.decided_at, "decision_reason": hit.decision_reason,
        "owner_agency": hit.owner_agency.code, "owner_country": hit.owner_agency.country_code,
        "searcher_agency": hit.searcher_agency.code, "searcher_country": hit.searcher_agency.country_code,
        "wanted": weapon_json(hit.hit_weapon),
        "source": weapon_json(hit.source_weapon) if hit.source_weapon is not None else None,
        "meetings": [{"at": meeting.met_at, "way": meeting.way.value} for meeting in hit.meetings],
    }


def photo_json(photo: WeaponPhoto) -> dict:
    return {"id": photo.id, "weapon_id": photo.weapon_id, "caption": photo.caption,
            "content_type": photo.content_type, "width": photo.width, "height": photo.height,
            "shareable": photo.shareable,
            "url": url_for("weapons_api.photo", photo_id=photo.id),
            "thumbnail_url": url_for("weapons_api.photo_thumbnail", photo_id=photo.id)}


def _record_answer(weapon: Weapon) -> dict:
    """A record, every hit it is a side of and every photo of it that the caller may see."""
    photos = db.session.scalars(visible(current_user, WeaponPhoto).where(WeaponPhoto.weapon_id == weapon.id)
                                .order_by(WeaponPhoto.id))
    return weapon_json(weapon) | {
        "hits": [hit_summary_json(hit) for hit in hits_service.hits_of_records(current_user, [weapon.id])],
        "photos": [photo_json(photo) for photo in photos]}


# --- Weapons ----------------------------------------------------------------------------------


def _criteria(args: dict, with_serial: bool) -> search.Criteria:
    values = {name: args[name] for name in search.Criteria.__dataclass_fields__ if args.get(name)}
    for name in ("date_from", "date_to"):
        if name in values:
            values[name] = values[name].isoformat()
    if not with_serial:
        values.pop("serial", None)
    return search.Criteria.from_mapping(values)


def _serial_page_number(list_name: str, args: dict) -> int:
    """The page a serial search's cursor asks for, read before the search runs: a changed
    cursor is refused before anything is searched or recorded."""
    page = decode_cursor(list_name, args.get("cursor")) or 1
    return page if isinstance(page, int) and page >= 1 else 1


def _serial_page(args: dict, list_name: str, page: int, weapons: list,
                 scores: dict | None = None) -> tuple[list, str | None]:
    """One page of a serial search's ranked results (at most 200), by a cursor that counts pages."""
    limit = args["limit"]
    start = (page - 1) * limit
    window = weapons[start:start + limit]
    next_cursor = encode_cursor(list_name, page + 1) if len(weapons) > start + limit else None
    return [weapon_json(weapon) | {"score": (scores or {}).get(weapon.id)} for weapon in window], next_cursor


@api_blueprint.route("/weapons", methods=["GET"])
@api_blueprint.arguments(WeaponSearchQuery, location="query")
@api_blueprint.response(200, WeaponPageSchema)
def list_weapons(args: dict):
    """Search weapon records: by serial (the same, near, or part of it) and the list's filters.

    Without a serial, the records the caller may see, newest first (or by reference), page
    by page. With one, the records of that serial ranked by how close they are, and the
    hits the search made or met again on other states' wanted records: the same search as
    the list page, recorded and announced the same way."""
    serial = (args.get("serial") or "").strip()
    match = args["match"]
    try:
        list_name = f"weapons:{match}:{serial}"
        if serial and match in PARTIAL_MODES:
            page = _serial_page_number(list_name, args)
            criteria = _criteria(args, with_serial=False)
            result = serial_search.partial_search(current_user, serial, match, criteria)
            key = serial_search.partial_key(serial, match)
            items, next_cursor = _serial_page(args, list_name, page, result.weapons)
            return {"items": items, "next_cursor": next_cursor, "count": len(result.weapons),
                    "count_is_lower_bound": result.truncated, "serial_key": key,
                    "hits": [hit_summary_json(hit) for hit in result.hits]}
        if serial:
            page = _serial_page_number(list_name, args)
            criteria = _criteria(args, with_serial=True)
            found = search.search(current_user, criteria, 1, page_size=search.SERIAL_RESULTS_LIMIT,
                                  near=match == "near")
            items, next_cursor = _serial_page(args, list_name, page, found.weapons, found.scores)
            return {"items": items, "next_cursor": next_cursor, "count": found.count,
                    "count_is_lower_bound": found.count_is_lower_bound, "serial_key": found.key,
                    "hits": [hit_summary_json(hit) for hit in found.hits]}
        criteria = _criteria(args, with_serial=False)
        list_name = f"weapons:list:{criteria.sort}:{criteria.direction}"
        after = decode_cursor(list_name, args.get("cursor"))
        found = search.search(current_user, criteria, 1, page_size=args["limit"], after=after)
    except DomainError as error:
        raise domain_problem(error) from None
    next_cursor = encode_cursor(list_name, found.next_cursor) if found.next_cursor else None
    return {"items": [weapon_json(weapon) | {"score": None} for weapon in found.weapons],
            "next_cursor": next_cursor, "count": found.count,
            "count_is_lower_bound": found.count_is_lower_bound, "serial_key": None, "hits": []}


@api_blueprint.route("/weapons/sequence", methods=["GET"])
@api_blueprint.arguments(SequenceQuery, location="query")
@api_blueprint.response(200, WeaponPageSchema)
def sequence(args: dict):
    """The records of one make whose serials share their letters and whose numbers lie between
    `first` and `last` (the weapons of one shipment), in the order of their serials, with the
    hits met on other states' wanted records."""
    list_name = f"weapons:sequence:{args['make']}:{args['first']}:{args['last']}"
    page = _serial_page_number(list_name, args)
    try:
        result = serial_search.sequence_search(current_user, args["make"], args["first"], args["last"],
                                               search.Criteria())
    except DomainError as error:
        raise domain_problem(error) from None
    items, next_cursor = _serial_page(args, list_name, page, result.weapons)
    return {"items": items, "next_cursor": next_cursor, "count": len(result.weapons),
            "count_is_lower_bound": result.truncated, "serial_key": None,
            "hits": [hit_summary_json(hit) for hit in result.hits]}


@api_blueprint.route("/weapons/serial-list", methods=["POST"])
@scope(READ)
@api_blueprint.arguments(SerialListSchema)
@api_blueprint.response(200, SerialListResultSchema)
def serial_list(data: dict):
    """Search a list of serials at once (up to 500): each with the records of its serial, in
    the order sent, and the hits met. Changes nothing (the `read` scope is enough)."""
    try:
        result = serial_search.list_search(current_user, "\n".join(data["serials"]), search.Criteria())
    except DomainError as error:
        raise domain_problem(error) from None
    return {"lines": [{"typed": line.typed, "serial_key": line.key,
                       "items": [weapon_json(weapon) for weapon in line.weapons]} for line in result.lines],
            "matched": result.matched, "truncated": result.truncated,
            "hits": [hit_summary_json(hit) for hit in result.hits]}


@api_blueprint.route("/weapons", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@api_blueprint.arguments(WeaponCreateSchema)
@api_blueprint.response(201, WeaponWithHitsSchema)
def create_weapon(data: dict):
    """Record a weapon for the caller's agency; the answer names the hits it made.

    The record is identified against the reference table and its serial compared with
    other states' wanted records, as when it is recorded by form."""
    try:
        weapon = service.create_weapon(current_user, way=HitWay.API, **data)
    except DomainError as error:
        raise domain_problem(error) from None
    return _record_answer(weapon)


@api_blueprint.route("/weapons/<int:weapon_id>", methods=["GET"])
@loads(Weapon, "weapon_id", "weapon")
@api_blueprint.response(200, WeaponWithHitsSchema)
def show_weapon(weapon: Weapon):
    """One record, with the fields the caller may see, and its hits."""
    record("weapon.view", "weapon", weapon.id, {"reference": weapon.reference})
    return _record_answer(weapon)


def _stale(version: int, fields_changed: list[str]) -> ApiError:
    db.session.rollback()
    return ApiError(409, "stale-record", _(
        "Someone else changed this record since version %(version)s (%(fields)s): nothing was "
        "changed. Read it again, then send your changes with its current version.",
        version=version, fields=", ".join(fields_changed) or "—"), field="version")


def _change(weapon: Weapon, version: int, values: dict) -> dict:
    """Change a record through the service (the form's path) and answer it with its hits."""
    try:
        service.update_weapon(current_user, weapon, version, way=HitWay.API, **values)
    except service.StaleRecord as stale:
        raise _stale(version, sorted({change.field for change in stale.changes})) from None
    except StaleDataError:
        raise _stale(version, []) from None
    except DomainError as error:
        raise domain_problem(error) from None
    return _record_answer(weapon)


@api_blueprint.route("/weapons/<int:weapon_id>", methods=["PATCH"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@loads(Weapon, "weapon_id", "weapon")
@api_blueprint.arguments(WeaponUpdateSchema)
@api_blueprint.response(200, WeaponWithHitsSchema)
def update_weapon(data: dict, weapon: Weapon):
    """Change some fields of a record of the caller's agency, given the `version` it read.

    Only the fields sent change, each with its history row; a change of the serial, make,
    status or sharing compares the record again with other states' records."""
    version = data.pop("version", None)
    if version is None:
        raise ApiError(400, "invalid-body", _("Give the version of the record you read (field “version”)."),
                       field="version", errors={"version": [str(VALIDATION_MESSAGES["Missing data for required field."])]})
    return _change(weapon, version, data)


@api_blueprint.route("/weapons/<int:weapon_id>/share", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@loads(Weapon, "weapon_id", "weapon")
@api_blueprint.arguments(ShareSchema)
@api_blueprint.response(200, WeaponWithHitsSchema)
def share_weapon(data: dict, weapon: Weapon):
    """Change with whom a record of the caller's agency is shared: national, partners, all."""
    return _change(weapon, data.get("version", weapon.version), {"sharing": data["sharing"]})


# --- Photos -------------------------------------------------------------------------------------

IMAGE_RESPONSE = {"200": {"description": "The image", "content": {
    media_type: {"schema": {"type": "string", "format": "binary"}}
    for media_type in ("image/jpeg", "image/png", "image/webp")}}}


@api_blueprint.route("/weapons/<int:weapon_id>/photos", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@loads(Weapon, "weapon_id", "weapon")
@api_blueprint.arguments(PhotoUploadSchema, location="files")
@api_blueprint.arguments(PhotoOptionsSchema, location="form")
@api_blueprint.response(201, PhotoSchema)
def add_photo(files: dict, options: dict, weapon: Weapon):
    """Add a photo to a record of the caller's agency (multipart: `photo`, `caption`, `shareable`)."""
    upload = files["photo"]
    data = upload.read(photos_service.MAX_PHOTO_BYTES + 1)
    try:
        photo = photos_service.add_photo(current_user, weapon, data, upload.filename or "", options["caption"],
                                         options["shareable"])
    except DomainError as error:
        raise domain_problem(error) from None
    return photo_json(photo)


@api_blueprint.route("/weapons/photos/<int:photo_id>/share", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@loads(WeaponPhoto, "photo_id", "photo")
@api_blueprint.arguments(PhotoShareSchema)
@api_blueprint.response(200, PhotoSchema)
def share_photo(data: dict, photo: WeaponPhoto):
    """Show a photo to the states its record is shared with, or keep it in the owning state."""
    try:
        photos_service.set_shareable(current_user, photo, data["shareable"])
    except DomainError as error:
        raise domain_problem(error) from None
    return photo_json(photo)


def _send_photo(photo: WeaponPhoto, thumbnail: bool):
    path = photos_service.photo_path(photo, thumbnail=thumbnail)
    if not path.is_file():
        abort(404)
    # A photo is a read of the record like its page: each download is in the audit log.
    record("weapon.photo_thumbnail" if thumbnail else "weapon.photo_download", "weapon", photo.weapon_id,
           {"photo": photo.id})
    return send_file(path, mimetype="image/jpeg" if thumbnail else photo.content_type, max_age=0)


@api_blueprint.route("/weapons/photos/<int:photo_id>", methods=["GET"])
@loads(WeaponPhoto, "photo_id", "photo")
@api_blueprint.doc(responses=IMAGE_RESPONSE)
def photo(photo: WeaponPhoto):
    """A photo of a record, as uploaded (another state: the photos marked shareable only)."""
    return _send_photo(photo, thumbnail=False)


@api_blueprint.route("/weapons/photos/<int:photo_id>/thumbnail", methods=["GET"])
@loads(WeaponPhoto, "photo_id", "photo")
@api_blueprint.doc(responses={"200": {"description": "A JPEG of at most 320 pixels", "content": {
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
def photo_thumbnail(photo: WeaponPhoto):
    """The thumbnail of a photo."""
    return _send_photo(photo, thumbnail=True)


# --- Hits ---------------------------------------------------------------------------------------


def _hit_statement():
    return visible(current_user, Hit).options(
        selectinload(Hit.source_weapon), selectinload(Hit.owner_agency), selectinload(Hit.searcher_agency),
        selectinload(Hit.meetings))


@api_blueprint.route("/hits", methods=["GET"])
@api_blueprint.arguments(HitListQuery, location="query")
@api_blueprint.response(200, HitPageSchema)
def list_hits(args: dict):
    """The hits of the caller's agency, either side, newest first, page by page."""
    statement = _hit_statement()
    status, side = args.get("status"), args.get("side")
    if status:
        statement = statement.where(Hit.status == HitStatus(status))
    if side:
        statement = statement.where(hits_service.hit_side_condition(current_user, side))
    found, next_cursor = page_of(f"hits:{status or ''}:{side or ''}", statement, Hit.id, args)
    record("weapon.hit_list", "hit", None, {"status": status, "side": side, "count": len(found)})
    return {"items": [hit_json(hit) for hit in found], "next_cursor": next_cursor}


@api_blueprint.route("/hits/<int:hit_id>", methods=["GET"])
@loads(Hit, "hit_id", "hit")
@api_blueprint.response(200, HitSchema)
def show_hit(hit: Hit):
    """One hit: both records as the caller may see them, its decision, each time it was met."""
    record("weapon.hit_view", "hit", hit.id)
    return hit_json(hit)


def _decide(hit: Hit, confirm: bool, reason: str, linked_reference: str = "") -> dict:
    try:
        hits_service.decide_hit(current_user, hit, confirm, reason, linked_reference or None)
    except DomainError as error:
        raise domain_problem(error) from None
    return hit_json(hit)


@api_blueprint.route("/hits/<int:hit_id>/confirm", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_DECIDER)
@loads(Hit, "hit_id", "hit")
@api_blueprint.arguments(ConfirmSchema)
@api_blueprint.response(200, HitSchema)
def confirm_hit(data: dict, hit: Hit):
    """Confirm a hit: it is the same weapon. The owner is asked to update its record; the
    other agency is told."""
    return _decide(hit, True, data["reason"], data["linked_reference"])


@api_blueprint.route("/hits/<int:hit_id>/dismiss", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_DECIDER)
@loads(Hit, "hit_id", "hit")
@api_blueprint.arguments(DismissSchema)
@api_blueprint.response(200, HitSchema)
def dismiss_hit(data: dict, hit: Hit):
    """Dismiss a hit, saying why: not the same weapon. The other agency is told."""
    return _decide(hit, False, data["reason"])


@api_blueprint.route("/hits/<int:hit_id>/update-record", methods=["POST"])
@requires(Permission.WRITE_RECORDS, NOT_RECORDER)
@loads(Hit, "hit_id", "hit")
@api_blueprint.arguments(RecordAfterHitSchema)
@api_blueprint.response(200, HitSchema)
def update_record_after_hit(data: dict, hit: Hit):
    """The owner, after a confirmed hit, says what became of its wanted weapon (seized
    abroad, returned): its record changes as by the form, with its history."""
    wanted = hit.hit_weapon
    version = data.get("version", wanted.version)
    try:
        hits_service.update_record_after_hit(current_user, hit, data["status"], version)
    except service.StaleRecord as stale:
        raise _stale(version, sorted({change.field for change in stale.changes})) from None
    except StaleDataError:
        raise _stale(version, []) from None
    except DomainError as error:
        raise domain_problem(error) from None
    return hit_json(hit)
