import io

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from registry.audit.service import record
from registry.auth.countries import country_choices
from registry.auth.decorators import permission_required
from registry.auth.models import Country
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, get_visible_or_404, visible
from registry.errors import DomainError, errors_by_field
from registry.extensions import db
from registry.reference.engine import get_identifier
from registry.reference.service import weapon_type_names
from registry.weapons import hits as hits_service
from registry.weapons import identification, photos, search, serial_search, service, sharing
from registry.weapons.export import weapons_csv, weapons_workbook
from registry.weapons.forms import (
    DeleteForm,
    HitDecisionForm,
    HitRecordUpdateForm,
    PhotoForm,
    SerialListForm,
    WeaponForm,
)
from registry.weapons.models import (
    Hit,
    HitStatus,
    Sharing,
    Weapon,
    WeaponChange,
    WeaponPhoto,
    WeaponStatus,
)
from registry.weapons.serials import SerialState
from registry.web import COUNTERS, NAVIGATION

blueprint = Blueprint("weapons", __name__, url_prefix="/weapons")
# The JSON API of records and hits lives in registry/weapons/api.py; create_app() finds it here.
from registry.weapons.api import api_blueprint  # noqa: E402,F401

NAVIGATION.append(("weapons.index", _l("Weapons"), Permission.READ_RECORDS, None))
NAVIGATION.append(("weapons.hits", _l("Hits"), Permission.READ_RECORDS, "hits"))


def _new_hits(user) -> int:
    from sqlalchemy import func

    if not user.can(Permission.READ_RECORDS):
        return 0
    statement = visible(user, Hit).where(Hit.status == HitStatus.NEW).with_only_columns(func.count(Hit.id))
    return db.session.scalar(statement) or 0


COUNTERS["hits"] = _new_hits


def _weapon_form(**kwargs) -> WeaponForm:
    form = WeaponForm(**kwargs)
    # The ways of writing a country, as identification keeps them (built once per version).
    form.set_choices(country_choices(), get_identifier(current_user.country_code).country_keys)
    return form


def _attach_error(form, error: DomainError, skip_fields_in_error: bool = False) -> None:
    """Each message of the service next to its field (or flashed when it names none)."""
    for name, messages in errors_by_field(error).items():
        field = getattr(form, name, None) if name else None
        if field is None:
            for message in messages:
                flash(message, "error")
        elif not (skip_fields_in_error and field.errors):
            field.errors = list(field.errors) + [m for m in messages if m not in field.errors]


def _check_the_rest(form) -> None:
    """When the form's own checks refused some fields, the service checks the others too,
    so that every error shows at once rather than one group after each save."""
    if form.csrf_token.errors:
        return
    values = {name: value for name, value in form.values().items() if not form[name].errors}
    try:
        service.clean_fields(values, partial=True)
    except DomainError as error:
        _attach_error(form, error, skip_fields_in_error=True)


# --- List, search, export ---------------------------------------------------------------


@blueprint.route("/")
@permission_required(Permission.READ_RECORDS)
def index():
    criteria = search.Criteria.from_mapping(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    try:
        result = search.search(current_user, criteria, page, after=request.args.get("after"),
                               before=request.args.get("before"))
    except DomainError as error:
        flash(str(error.message), "error")
        result = search.SearchResult([], page=page)
        status, problem = 400, {"field": error.field, "message": str(error.message)}
    else:
        status, problem = 200, None
    return render_template("weapons/index.html", result=result, criteria=criteria, problem=problem,
                           statuses=list(WeaponStatus), sharings=list(Sharing),
                           sorts=search.SORTS), status


@blueprint.route("/export.xlsx", defaults={"file_format": "xlsx"})
@blueprint.route("/export.csv", defaults={"file_format": "csv"})
@permission_required(Permission.READ_RECORDS)
def export(file_format: str):
    criteria = search.Criteria.from_mapping(request.args)
    try:
        weapons = search.export_rows(current_user, criteria)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("weapons.index", **request.args))
    record("weapon.export", "weapon", None, {"terms": criteria.terms(), "count": len(weapons),
                                             "format": file_format})
    if file_format == "csv":
        return send_file(io.BytesIO(weapons_csv(current_user, weapons)), as_attachment=True,
                         download_name="weapons.csv", mimetype="text/csv; charset=utf-8")
    return send_file(
        io.BytesIO(weapons_workbook(current_user, weapons)), as_attachment=True,
        download_name="weapons.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- Serial search: part of a serial, a pasted list, a sequence -------------------------------


def _serial_search_page(list_form=None, **context):
    errors = context.pop("errors", {})
    return render_template("weapons/search.html", list_form=list_form or SerialListForm(),
                           modes=serial_search.PARTIAL_MODES, args=request.args, errors=errors,
                           **context)


@blueprint.route("/search")
@permission_required(Permission.READ_RECORDS)
def serial_search_page():
    kind = request.args.get("kind", "")
    criteria = search.Criteria()
    try:
        if kind == "partial":
            result = serial_search.partial_search(current_user, request.args.get("serial", ""),
                                                  request.args.get("mode", "contains"), criteria)
        elif kind == "sequence":
            result = serial_search.sequence_search(current_user, request.args.get("make", ""),
                                                   request.args.get("first", ""), request.args.get("last", ""),
                                                   criteria)
        else:
            return _serial_search_page()
    except DomainError as error:
        return _serial_search_page(kind=kind, errors={f"{kind}.{error.field}": str(error.message)}), 400
    return _serial_search_page(kind=kind, result=result)


@blueprint.route("/search/list", methods=["POST"])
@permission_required(Permission.READ_RECORDS)
def serial_list_search():
    form = SerialListForm()
    if not form.validate_on_submit():
        return _serial_search_page(form, kind="list", errors={"list.serials": " ".join(
            str(error) for errors in form.errors.values() for error in errors)}), 400
    try:
        result = serial_search.list_search(current_user, form.serials.data, search.Criteria())
    except DomainError as error:
        return _serial_search_page(form, kind="list", errors={"list.serials": str(error.message)}), 400
    return _serial_search_page(form, kind="list", list_result=result)


@blueprint.route("/search/list.xlsx", methods=["POST"])
@permission_required(Permission.READ_RECORDS)
def serial_list_export():
    form = SerialListForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(_l("The form had expired. Please send it again."), field="serials")
        workbook = serial_search.export_list(current_user, form.serials.data, search.Criteria())
    except DomainError as error:
        return _serial_search_page(form, kind="list", errors={"list.serials": str(error.message)}), 400
    return send_file(io.BytesIO(workbook), as_attachment=True, download_name="serials.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- Create, view, edit, delete -------------------------------------------------------------


@blueprint.route("/new", methods=["GET", "POST"])
@permission_required(Permission.WRITE_RECORDS)
def create():
    form = _weapon_form()
    if request.method == "GET":
        form.sharing.data = Sharing.NATIONAL.value
    if form.validate_on_submit():
        try:
            weapon = service.create_weapon(current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            flash(_("Weapon recorded as %(reference)s.", reference=weapon.reference), "success")
            _flash_hits(weapon)
            _flash_if_unsure(weapon)
            return redirect(url_for("weapons.view", weapon_id=weapon.id))
    elif request.method == "POST":
        _check_the_rest(form)
    status = 400 if request.method == "POST" else 200
    return render_template("weapons/form.html", form=form, weapon=None,
                           reference_lists=identification.reference_lists()), status


HISTORY_FIELDS = {
    "make_id": _l("Make (reference table)"), "model_id": _l("Model (reference table)"),
    "calibre_id": _l("Calibre (reference table)"), "type_id": _l("Type (reference table)"),
    "identification_method": _l("Identification method"), "deleted": _l("Deleted"), "photo": _l("Photo"),
    "trace_request": _l("Trace request"), "record": _l("Record"),
}
HISTORY_VALUES = {"status": WeaponStatus, "sharing": Sharing, "serial_state": SerialState}


def history_entries(weapon: Weapon) -> list[dict]:
    """The record's history, newest first, in words: field labels as the form shows them,
    statuses and countries by name, and the creation read from the record itself."""
    from wtforms.fields.core import UnboundField

    changes = db.session.scalars(visible(current_user, WeaponChange).where(WeaponChange.weapon_id == weapon.id)
                                 .order_by(WeaponChange.id.desc())).all()
    labels = {name: field.args[0] if field.args else field.kwargs.get("label", name)
              for name, field in vars(WeaponForm).items() if isinstance(field, UnboundField)}
    labels |= HISTORY_FIELDS
    codes = {value for change in changes if change.field.endswith("country_code")
             for value in (change.old_value, change.new_value) if value}
    countries = {country.code: country.name for country in
                 db.session.scalars(select(Country).where(Country.code.in_(codes)))} if codes else {}

    def shown(field: str, value: str | None):
        if value is None:
            return None
        if field in HISTORY_VALUES:
            try:
                return HISTORY_VALUES[field](value).label
            except ValueError:
                return value
        if field.endswith("country_code"):
            return countries.get(value, value)
        return value

    entries = [{"when": change.changed_at, "who": change.user.name if change.user else "",
                "field": labels.get(change.field, change.field), "before": shown(change.field, change.old_value),
                "after": shown(change.field, change.new_value)} for change in changes]
    entries.append({"when": weapon.created_at, "who": weapon.created_by.name if weapon.created_by else "",
                    "field": _("Record"), "before": None,
                    "after": _("Created by an import") if weapon.import_row_id else _("Created")})
    return entries


@blueprint.route("/<int:weapon_id>")
@permission_required(Permission.READ_RECORDS)
def view(weapon_id: int):
    weapon = get_visible_or_404(current_user, Weapon, weapon_id)
    shown = sharing.for_reader(current_user, weapon)
    tab = request.args.get("tab", "details")
    if tab == "history" and shown.is_shared_view:
        tab = "details"  # the history stays with the owning state
    history = history_entries(weapon) if tab == "history" else []
    photo_list = db.session.scalars(visible(current_user, WeaponPhoto).where(WeaponPhoto.weapon_id == weapon.id)
                                    .order_by(WeaponPhoto.id)).all()
    record_hits = hits_service.hits_of_records(current_user, [weapon.id])
    record("weapon.view", "weapon", weapon.id, {"reference": weapon.reference, "tab": tab})
    can_change = weapon.agency_id == current_user.agency_id and current_user.can(Permission.WRITE_RECORDS)
    can_delete = (weapon.agency_id == current_user.agency_id
                  and current_user.can(Permission.DELETE_RECORDS))
    return render_template("weapons/view.html", weapon=shown, tab=tab, history=history,
                           photos=photo_list, can_change=can_change, can_delete=can_delete,
                           record_hits=record_hits,
                           can_trace=current_user.can(Permission.SEND_TRACES),
                           photo_form=PhotoForm(), delete_form=DeleteForm(),
                           identified=identification.record_identification(weapon) if tab == "details" else None)


@blueprint.route("/<int:weapon_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.WRITE_RECORDS)
def edit(weapon_id: int):
    weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
    form = _weapon_form(obj=None if request.method == "POST" else weapon)
    if request.method == "GET":
        form.status.data = weapon.status.value
        form.sharing.data = weapon.sharing.value
        form.serial_state.data = weapon.serial_state.value
        form.event_date.data = weapon.event_date
        for name in ("latitude", "longitude"):
            value = getattr(weapon, name)
            getattr(form, name).data = "" if value is None else str(value)
        form.version.data = str(weapon.version)
    changes = []
    status = 200
    if form.validate_on_submit():
        try:
            expected = int(form.version.data or 0)
            service.update_weapon(current_user, weapon, expected, **form.values())
        except service.StaleRecord as stale:
            db.session.rollback()
            weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
            changes = stale.changes
            # The user's values stay in the form; the next save is checked against now.
            form.version.data = str(weapon.version)
            flash(str(stale.message), "error")
            status = 409
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else saved this record at the same moment. Your changes were not "
                    "saved: save again."), "error")
            weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
            form.version.data = str(weapon.version)
            status = 409
        except (DomainError, ValueError) as error:
            db.session.rollback()
            weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
            _attach_error(form, error if isinstance(error, DomainError) else DomainError(
                _l("The form was not complete: please send it again.")))
            status = 400
        else:
            flash(_("Record %(reference)s saved.", reference=weapon.reference), "success")
            _flash_hits(weapon)
            _flash_if_unsure(weapon)
            return redirect(url_for("weapons.view", weapon_id=weapon.id))
    elif request.method == "POST":
        _check_the_rest(form)
        status = 400
    return render_template("weapons/form.html", form=form, weapon=weapon, changes=changes,
                           reference_lists=identification.reference_lists()), status


def _flash_hits(weapon: Weapon) -> None:
    """The record's open hits, named after each save: a hit is never met silently."""
    open_hits = [hit for hit in hits_service.hits_of_records(current_user, [weapon.id])
                 if hit.status is not HitStatus.DISMISSED]
    if open_hits:
        flash(_("Hit: this record matches %(references)s. Both agencies were notified; see the hits below.",
                references=", ".join(_other_name(hit, weapon) for hit in open_hits)), "warning")


def _other_name(hit: Hit, weapon: Weapon) -> str:
    other = hit.source_weapon if hit.hit_weapon_id == weapon.id else hit.hit_weapon
    if other is None:
        return _("a search from %(country)s", country=hit.searcher_agency.country.name)
    return other.reference


def _flash_if_unsure(weapon: Weapon) -> None:
    if identification.record_identification(weapon)["unsure"]:
        flash(_("The make, model, calibre or type is not identified for sure: check the suggestions "
                "below the identification."), "warning")


# --- Identification as the user types, and confirming a suggestion -------------------------


@blueprint.route("/identify")
@permission_required(Permission.READ_RECORDS)
def identify():
    """The engine's answer for the cells typed so far (the weapon form's script asks it).
    Read-only and about the reference table, not about anyone's records: not audited, or
    every keystroke pause would be an audit event."""
    answer = identification.identify_cells(
        current_user, *(request.args.get(name) for name in ("make", "model", "calibre", "type")))
    return jsonify(answer)


@blueprint.route("/<int:weapon_id>/identification", methods=["POST"])
@permission_required(Permission.WRITE_RECORDS)
def confirm_identification(weapon_id: int):
    """A suggestion is confirmed: the record takes it and the spelling is learnt."""
    weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
    field = request.form.get("field", "")
    try:
        identification.confirm_identification(current_user, weapon, field, request.form.get("target_id", ""))
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else saved this record at the same moment. Nothing was changed: try again."), "error")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        raw = getattr(weapon, identification.RAW_COLUMNS.get(field, "raw_make"))
        if raw:
            flash(_("Identification saved. From now on, “%(text)s” is recognised in your country.",
                    text=raw), "success")
        else:
            flash(_("Identification saved."), "success")
    return redirect(url_for("weapons.view", weapon_id=weapon_id))


@blueprint.route("/<int:weapon_id>/delete", methods=["POST"])
@permission_required(Permission.DELETE_RECORDS)
def delete(weapon_id: int):
    weapon = get_visible_or_404(current_user, Weapon, weapon_id)
    form = DeleteForm()
    try:
        service.delete_weapon(current_user, weapon, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("weapons.view", weapon_id=weapon_id))
    flash(_("Record %(reference)s deleted.", reference=weapon.reference), "success")
    return redirect(url_for("weapons.index"))


# --- Photos ------------------------------------------------------------------------------------


@blueprint.route("/<int:weapon_id>/photos", methods=["POST"])
@permission_required(Permission.WRITE_RECORDS)
def photo_upload(weapon_id: int):
    weapon = get_visible_or_404(current_user, Weapon, weapon_id, CHANGE)
    form = PhotoForm()
    upload = form.photo.data
    data = upload.read(photos.MAX_PHOTO_BYTES + 1) if upload else b""
    try:
        photos.add_photo(current_user, weapon, data, getattr(upload, "filename", "") or "",
                         form.caption.data, shareable=form.shareable.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Photo added."), "success")
    return redirect(url_for("weapons.view", weapon_id=weapon_id, tab="photos"))


@blueprint.route("/photos/<int:photo_id>/shareable", methods=["POST"])
@permission_required(Permission.WRITE_RECORDS)
def photo_shareable(photo_id: int):
    photo = get_visible_or_404(current_user, WeaponPhoto, photo_id, CHANGE)
    shareable = request.form.get("shareable") == "1"
    try:
        photos.set_shareable(current_user, photo, shareable)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The photo is shown to the states the record is shared with.") if shareable
              else _("The photo is seen by your state only."), "success")
    return redirect(url_for("weapons.view", weapon_id=photo.weapon_id, tab="photos"))


def _send_photo(photo_id: int, thumbnail: bool):
    photo = get_visible_or_404(current_user, WeaponPhoto, photo_id)
    path = photos.photo_path(photo, thumbnail=thumbnail)
    if not path.is_file():
        abort(404)
    # A photo is a read of the record like its page: each download is in the audit log.
    record("weapon.photo_thumbnail" if thumbnail else "weapon.photo_download", "weapon",
           photo.weapon_id, {"photo": photo.id})
    return send_file(path, mimetype="image/jpeg" if thumbnail else photo.content_type,
                     download_name=photo.original_name if not thumbnail else None, max_age=0)


@blueprint.route("/photos/<int:photo_id>")
@permission_required(Permission.READ_RECORDS)
def photo(photo_id: int):
    return _send_photo(photo_id, thumbnail=False)


@blueprint.route("/photos/<int:photo_id>/thumbnail")
@permission_required(Permission.READ_RECORDS)
def photo_thumbnail(photo_id: int):
    return _send_photo(photo_id, thumbnail=True)


# --- Hits ---------------------------------------------------------------------------------------


@blueprint.route("/hits")
@permission_required(Permission.READ_RECORDS)
def hits():
    status = request.args.get("status", "")
    side = request.args.get("side", "")
    statement = visible(current_user, Hit)
    if status in {s.value for s in HitStatus}:
        statement = statement.where(Hit.status == HitStatus(status))
    if side in hits_service.SIDES:
        statement = statement.where(hits_service.hit_side_condition(current_user, side))
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.session.scalars(statement.order_by(Hit.created_at.desc(), Hit.id.desc())
                              .limit(51).offset((page - 1) * 50)).all()
    return render_template("weapons/hits.html", hits=rows[:50], has_next=len(rows) > 50, page=page,
                           status=status, statuses=list(HitStatus), side=side)


@blueprint.route("/hits/<int:hit_id>", methods=["GET", "POST"])
@permission_required(Permission.READ_RECORDS)
def hit_detail(hit_id: int):
    hit = get_visible_or_404(current_user, Hit, hit_id)
    form = HitDecisionForm()
    status = 200
    if request.method == "POST":
        hit = get_visible_or_404(current_user, Hit, hit_id, CHANGE)
        if form.validate_on_submit():
            try:
                hits_service.decide_hit(current_user, hit, form.decision.data == "confirm", form.reason.data,
                                        linked_reference=form.linked_reference.data)
            except DomainError as error:
                db.session.rollback()
                hit = get_visible_or_404(current_user, Hit, hit_id)
                _attach_error(form, error)
                status = 400
            else:
                if form.decision.data != "confirm":
                    flash(_("Hit dismissed, with its reason."), "success")
                elif hit.owner_agency_id == current_user.agency_id:
                    flash(_("Hit confirmed: say below what became of the weapon."), "success")
                else:
                    flash(_("Hit confirmed: the owning agency is asked to update its record."), "success")
                return redirect(url_for("weapons.hit_detail", hit_id=hit_id))
        else:
            status = 400
    record("weapon.hit_view", "hit", hit.id)
    return render_template("weapons/hit.html", **_hit_page(hit), form=form,
                           update_form=HitRecordUpdateForm(),
                           can_trace=current_user.can(Permission.SEND_TRACES),
                           serial_states=SerialState), status


def _hit_page(hit: Hit) -> dict:
    """Both records of a hit side by side, each as the reader may see it (the searcher's
    record shown by its shared part even when it is not shared: the hit names it), with
    the photos the reader may see and the types by name."""
    weapons = [weapon for weapon in (hit.hit_weapon, hit.source_weapon) if weapon is not None]
    ids = [weapon.id for weapon in weapons]
    readable = set(db.session.scalars(visible(current_user, Weapon).with_only_columns(Weapon.id)
                                      .where(Weapon.id.in_(ids))))
    photo_rows = db.session.scalars(visible(current_user, WeaponPhoto).where(WeaponPhoto.weapon_id.in_(ids))
                                    .order_by(WeaponPhoto.id)).all()
    type_names = weapon_type_names()
    sides = []
    for weapon, agency in ((hit.hit_weapon, hit.owner_agency), (hit.source_weapon, hit.searcher_agency)):
        sides.append({
            "weapon": sharing.for_reader(current_user, weapon) if weapon is not None else None,
            "agency": agency, "readable": weapon is not None and weapon.id in readable,
            "type_name": type_names.get(weapon.type_id) if weapon is not None else None,
            "photos": [photo for photo in photo_rows if weapon is not None and photo.weapon_id == weapon.id],
            "is_mine": agency.id == current_user.agency_id,
        })
    searched = (hit.search_terms or {}).get("serial") if hit.source_weapon_id is None else None
    owner_may_update = (hit.status == HitStatus.CONFIRMED and hit.owner_agency_id == current_user.agency_id
                        and current_user.can(Permission.WRITE_RECORDS) and hit.hit_weapon.is_wanted)
    return {"hit": hit, "sides": sides, "searched": searched, "owner_may_update": owner_may_update,
            "same_state": current_user.country_code}


@blueprint.route("/hits/<int:hit_id>/update-record", methods=["POST"])
@permission_required(Permission.WRITE_RECORDS)
def hit_update_record(hit_id: int):
    """The owner, told of a confirmed hit, updates its wanted record (seized abroad, returned)."""
    hit = get_visible_or_404(current_user, Hit, hit_id, CHANGE)
    form = HitRecordUpdateForm()
    if not form.validate_on_submit():
        flash(_("Choose what became of the weapon."), "error")
        return redirect(url_for("weapons.hit_detail", hit_id=hit_id))
    try:
        weapon = hits_service.update_record_after_hit(current_user, hit, form.status.data, form.version.data)
    except service.StaleRecord:
        db.session.rollback()
        flash(_("The record was changed meanwhile: open it to see the changes, then try again."), "error")
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Record %(reference)s is now %(status)s.", reference=weapon.reference,
                status=weapon.status.label), "success")
    return redirect(url_for("weapons.hit_detail", hit_id=hit_id))
