"""Pages of the reference table (platform admins), the "Identify a weapon" page
(officers), and POST /api/v1/identify."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import func, or_, select

from registry.api.framework import READ, ApiBlueprint, requires, scope
from registry.audit.service import record
from registry.auth.decorators import permission_required
from registry.auth.models import Country
from registry.auth.roles import Permission
from registry.errors import DomainError
from registry.extensions import db
from registry.reference import service
from registry.reference.api import api_blueprint as reference_table_api
from registry.reference.engine import get_identifier
from registry.reference.loader import LoadError
from registry.reference.models import (
    Alias,
    Calibre,
    Make,
    Model,
    ReferenceMerge,
    WeaponType,
    model_calibre,
)
from registry.reference.normalize import key
from registry.reference.vocabulary import in_reader_language
from registry.web import ADMIN_NAVIGATION, NAVIGATION

blueprint = Blueprint("reference", __name__, url_prefix="/reference")
api_blueprint = ApiBlueprint("reference_api", __name__, url_prefix="/api/v1/identify",
                             description="Identification against the reference table.")
blueprint.add_app_template_filter(in_reader_language, "vocabulary")
# The reference table itself under /api/v1/reference (registry/reference/api.py).
more_api_blueprints = [reference_table_api]

NAVIGATION.append(("reference.identify", _l("Identify a weapon"), Permission.READ_RECORDS, None))
ADMIN_NAVIGATION.append(("reference.makes", _l("Reference table"), Permission.MANAGE_REFERENCE, None))

PAGE_SIZE = 50
METHOD_LABELS = {
    "exact": _l("exact name"), "alias": _l("known spelling"), "fuzzy": _l("close spelling"),
    "inferred_from_model": _l("deduced from the model"), "split_combined": _l("read from a combined cell"),
    "swapped": _l("columns swapped"), "none": _l("not found"),
}
FIELD_LABELS = {"make": _l("Make"), "model": _l("Model"), "calibre": _l("Calibre"), "type": _l("Type")}
MAX_API_ROWS = 5000


def _country_code() -> str | None:
    return current_user.agency.country_code if current_user.agency else None


# --- identify -------------------------------------------------------------------------

@blueprint.route("/identify", methods=["GET", "POST"])
@permission_required(Permission.READ_RECORDS)
def identify():
    values = {name: (request.form.get(name) or "").strip()[:200] for name in ("make", "model", "calibre", "type")}
    result = None
    if request.method == "POST" and any(values.values()):
        result = get_identifier(_country_code()).identify(
            values["make"], values["model"], values["calibre"] or None, values["type"] or None)
    return render_template("reference/identify.html", values=values, result=result,
                           can_confirm=current_user.can(Permission.WRITE_RECORDS),
                           method_labels=METHOD_LABELS, field_labels=FIELD_LABELS)


@blueprint.route("/confirm", methods=["POST"])
def confirm():
    """An officer confirms that a spelling means an entry: an alias of the officer's country."""
    if not (current_user.can(Permission.WRITE_RECORDS) or current_user.can(Permission.MANAGE_REFERENCE)):
        abort(403)
    field = request.form.get("field", "")
    raw_text = request.form.get("raw_text", "")
    target_id = request.form.get("target_id", "")
    try:
        service.confirm_alias(current_user, field, raw_text, target_id,
                              make_global=request.form.get("global") == "1")
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("From now on, “%(text)s” is recognised.", text=raw_text), "success")
    return redirect(url_for("reference.identify"))


class IdentifyRowSchema(Schema):
    make = fields.String(allow_none=True, validate=validate.Length(max=200))
    model = fields.String(allow_none=True, validate=validate.Length(max=200))
    calibre = fields.String(allow_none=True, validate=validate.Length(max=200))
    type = fields.String(allow_none=True, validate=validate.Length(max=200))


class IdentifySchema(Schema):
    rows = fields.List(fields.Nested(IdentifyRowSchema), required=True,
                       validate=validate.Length(max=MAX_API_ROWS))


class IdentificationSchema(Schema):
    make = fields.String(allow_none=True, required=True)
    model = fields.String(allow_none=True, required=True)
    calibre = fields.String(allow_none=True, required=True)
    type = fields.String(allow_none=True, required=True)
    make_id = fields.Integer(allow_none=True, required=True)
    model_id = fields.Integer(allow_none=True, required=True)
    calibre_id = fields.Integer(allow_none=True, required=True)
    type_id = fields.Integer(allow_none=True, required=True)
    confidence = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    method = fields.String(required=True)
    methods = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    suggestions = fields.List(fields.Dict(), required=True)
    needs_review = fields.Boolean(required=True)


class IdentifyResultSchema(Schema):
    results = fields.List(fields.Nested(IdentificationSchema), required=True)


@api_blueprint.route("", methods=["POST"])
@scope(READ)
@requires(Permission.READ_RECORDS)
@api_blueprint.arguments(IdentifySchema)
@api_blueprint.response(200, IdentifyResultSchema)
def identify_api(payload: dict):
    """Identify a batch of weapons against the reference table (it changes nothing)."""
    identifier = get_identifier(_country_code())
    results = [identifier.identify(*(row.get(name) for name in ("make", "model", "calibre", "type"))).to_dict()
               for row in payload["rows"]]
    record("reference.identify", None, None, {"rows": len(results), "via": "api"})
    return {"results": results}


# --- browsing and editing (platform admins) ---------------------------------------------

@blueprint.route("/")
@permission_required(Permission.MANAGE_REFERENCE)
def makes():
    query = (request.args.get("q") or "").strip()[:100]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    statement = select(Make).order_by(Make.name)
    if query:
        wanted = key(query)
        pattern = f"%{query.lower()}%"
        model_makes = select(Model.make_id).where(func.lower(Model.name).like(pattern))
        alias_makes = select(Alias.make_id).where(Alias.normalized.like(f"%{wanted}%"), Alias.make_id.is_not(None))
        alias_models = select(Model.make_id).join(Alias, Alias.model_id == Model.id).where(
            Alias.normalized.like(f"%{wanted}%"))
        statement = statement.where(or_(func.lower(Make.name).like(pattern), Make.id.in_(model_makes),
                                        Make.id.in_(alias_makes), Make.id.in_(alias_models)))
        record("reference.search", None, None, {"query": query})
    found = db.session.scalars(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    counts = dict(db.session.execute(
        select(Model.make_id, func.count()).where(Model.make_id.in_([m.id for m in found])).group_by(Model.make_id)
    ).all())
    return render_template("reference/makes.html", makes=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE,
                           page=page, query=query, counts=counts)


def _countries():
    return db.session.scalars(select(Country).order_by(Country.name_en)).all()


@blueprint.route("/makes/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def make_create():
    if request.method == "POST":
        try:
            make = service.create_make(current_user, request.form.get("name", ""), request.form.get("country_code"))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Make added."), "success")
            return redirect(url_for("reference.make_edit", make_id=make.id))
    return render_template("reference/make_new.html", countries=_countries())


@blueprint.route("/makes/<int:make_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def make_edit(make_id: int):
    make = db.get_or_404(Make, make_id)
    if request.method == "POST":
        try:
            service.update_make(current_user, make, request.form.get("name", ""), request.form.get("country_code"))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("reference.make_edit", make_id=make.id))
    return render_template("reference/make.html", make=make, countries=_countries(),
                           types=db.session.scalars(select(WeaponType).order_by(WeaponType.name_en)).all(),
                           others=db.session.scalars(select(Make).where(Make.id != make.id)
                                                     .order_by(Make.name)).all(),
                           merges=service.merges_into(make))


@blueprint.route("/makes/<int:make_id>/models", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def model_create(make_id: int):
    make = db.get_or_404(Make, make_id)
    type_id = request.form.get("type_id", type=int)
    try:
        model = service.create_model(current_user, make, request.form.get("name", ""), type_id)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("reference.make_edit", make_id=make.id))
    flash(_("Model added."), "success")
    return redirect(url_for("reference.model_edit", model_id=model.id))


@blueprint.route("/models/<int:model_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def model_edit(model_id: int):
    model = db.get_or_404(Model, model_id)
    if request.method == "POST":
        calibre_ids = [int(value) for value in request.form.getlist("calibre_ids") if value.isdigit()]
        try:
            service.update_model(current_user, model, request.form.get("name", ""),
                                 request.form.get("type_id", type=int), calibre_ids)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("reference.model_edit", model_id=model.id))
    return render_template(
        "reference/model.html", model=model,
        types=db.session.scalars(select(WeaponType).order_by(WeaponType.name_en)).all(),
        calibres=db.session.scalars(select(Calibre).order_by(Calibre.name)).all(),
        others=db.session.scalars(select(Model).where(Model.make_id == model.make_id, Model.id != model.id)
                                  .order_by(Model.name)).all())


@blueprint.route("/calibres", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def calibres():
    """The calibres, their spellings and how many models use each; a new one is added here."""
    if request.method == "POST":
        try:
            calibre = service.create_calibre(current_user, request.form.get("name", ""))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Calibre added."), "success")
            return redirect(url_for("reference.calibre_edit", calibre_id=calibre.id))
    listed = db.session.scalars(select(Calibre).order_by(Calibre.name)).all()
    models = dict(db.session.execute(select(model_calibre.c.calibre_id, func.count())
                                     .group_by(model_calibre.c.calibre_id)).all())
    aliases = dict(db.session.execute(select(Alias.calibre_id, func.count()).where(
        Alias.calibre_id.is_not(None)).group_by(Alias.calibre_id)).all())
    return render_template("reference/calibres.html", calibres=listed, models=models, aliases=aliases)


@blueprint.route("/calibres/<int:calibre_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def calibre_edit(calibre_id: int):
    calibre = db.get_or_404(Calibre, calibre_id)
    if request.method == "POST":
        try:
            service.update_calibre(current_user, calibre, request.form.get("name", ""))
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("reference.calibre_edit", calibre_id=calibre.id))
    return render_template(
        "reference/calibre.html", calibre=calibre,
        models=db.session.scalars(select(Model).join(model_calibre, model_calibre.c.model_id == Model.id)
                                  .where(model_calibre.c.calibre_id == calibre.id).order_by(Model.name)).all(),
        others=db.session.scalars(select(Calibre).where(Calibre.id != calibre.id).order_by(Calibre.name)).all())


@blueprint.route("/types", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def weapon_types():
    """The weapon types, in English, French and Arabic; a new one is added here."""
    if request.method == "POST":
        try:
            weapon_type = service.create_weapon_type(current_user, request.form.get("name_en", ""),
                                                     request.form.get("name_fr", ""),
                                                     request.form.get("name_ar", ""))
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Weapon type added."), "success")
            return redirect(url_for("reference.weapon_type_edit", type_id=weapon_type.id))
    return render_template("reference/weapon_types.html",
                           weapon_types=db.session.scalars(select(WeaponType).order_by(WeaponType.code)).all())


@blueprint.route("/types/<int:type_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def weapon_type_edit(type_id: int):
    weapon_type = db.get_or_404(WeaponType, type_id)
    if request.method == "POST":
        try:
            service.update_weapon_type(current_user, weapon_type, request.form.get("name_en", ""),
                                       request.form.get("name_fr", ""), request.form.get("name_ar", ""))
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("reference.weapon_type_edit", type_id=weapon_type.id))
    return render_template("reference/weapon_type.html", weapon_type=weapon_type)


@blueprint.route("/<field>/<int:target_id>/aliases", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def alias_add(field: str, target_id: int):
    if field not in ("make", "model", "calibre", "type"):
        abort(404)
    try:
        service.add_alias(current_user, field, target_id, request.form.get("alias", ""))
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Alias added."), "success")
    return redirect(_entry_url(field, target_id))


@blueprint.route("/<field>/<int:target_id>/merge", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def merge(field: str, target_id: int):
    """Merge this entry (a duplicate) into the one chosen; every record follows."""
    if field not in ("make", "model", "calibre"):
        abort(404)
    kept_id = request.form.get("kept_id", type=int)
    if kept_id is None:
        flash(_("Choose the entry to keep."), "error")
        return redirect(_entry_url(field, target_id))
    try:
        if not request.form.get("confirm"):
            # First what moves, then the merge once confirmed.
            plan = service.merge_plan(field, target_id, kept_id)
            return render_template("reference/merge_confirm.html", plan=plan, field=field,
                                   field_label=FIELD_LABELS[field])
        service.merge(current_user, field, target_id, kept_id)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(_entry_url(field, target_id))
    flash(_("Merged: every record now points at the entry kept."), "success")
    return redirect(_entry_url(field, kept_id))


@blueprint.route("/merges/<int:merge_id>/undo", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def merge_undo(merge_id: int):
    """Undo a merge of makes, from the page of the make kept."""
    kept_id = db.get_or_404(ReferenceMerge, merge_id).kept_id
    try:
        make = service.undo_merge(current_user, merge_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        if db.session.get(Make, kept_id) is None:
            return redirect(url_for("reference.makes"))
        return redirect(url_for("reference.make_edit", make_id=kept_id))
    flash(_("Merge undone: “%(name)s” is a make again, with its models, aliases and records.", name=make.name),
          "success")
    return redirect(url_for("reference.make_edit", make_id=make.id))


@blueprint.route("/aliases/<int:alias_id>/delete", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def alias_delete(alias_id: int):
    alias = db.get_or_404(Alias, alias_id)
    field, target_id = alias.field, alias.target_id
    service.delete_alias(current_user, alias)
    flash(_("Alias removed."), "success")
    return redirect(_entry_url(field, target_id))


@blueprint.route("/aliases/<int:alias_id>/global", methods=["POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def alias_global(alias_id: int):
    alias = db.get_or_404(Alias, alias_id)
    alias = service.make_alias_global(current_user, alias)
    flash(_("The alias now holds for every country."), "success")
    return redirect(_entry_url(alias.field, alias.target_id))


def _entry_url(field: str, target_id: int) -> str:
    if field == "make":
        return url_for("reference.make_edit", make_id=target_id)
    if field == "model":
        return url_for("reference.model_edit", model_id=target_id)
    if field == "calibre":
        return url_for("reference.calibre_edit", calibre_id=target_id)
    return url_for("reference.weapon_type_edit", type_id=target_id)


@blueprint.route("/load", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_REFERENCE)
def upload():
    """Choose a spreadsheet: its plan is shown (a dry run, nothing changed), then applied
    when the admin confirms."""
    report = error = token = file_name = None
    if request.method == "POST":
        token, file_name = request.form.get("token"), request.form.get("file_name", "")[:200]
        try:
            if token:  # the admin confirmed the plan shown
                path = service.staged_reference_file(token)
                report = service.load_reference_file(current_user, path.read_bytes(), file_name or path.name)
                path.unlink(missing_ok=True)
                token = None
            else:
                upload_file = request.files.get("file")
                if upload_file is None or not upload_file.filename:
                    raise DomainError(_l("Choose a spreadsheet (.xlsx)."), field="file")
                data, file_name = upload_file.read(), upload_file.filename
                report = service.load_reference_file(current_user, data, file_name, dry_run=True)
                token = service.stage_reference_file(data) if report.changes or report.lines else None
        except LoadError as problem:
            db.session.rollback()
            report = token = None
            error = _("Nothing was loaded. %(where)s: %(message)s", where=problem.where(), message=problem.message)
        except DomainError as problem:
            report = token = None
            error = str(problem.message)
    return render_template("reference/load.html", report=report, error=error, token=token, file_name=file_name)
