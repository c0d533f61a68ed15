"""The reference table in the JSON API, under /api/v1/reference: read by every user with
records (makes with their models, calibres, weapon types, the spellings each is known by),
changed by the platform administrator only (a make, a model, a calibre, a spelling).

The table is shared by every state; a spelling learnt from one state's review holds for
that state only, and only that state's users see it.
"""

from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import func, or_, select

from registry.api.framework import (
    WRITE,
    ApiBlueprint,
    ApiError,
    CursorQuery,
    domain_problem,
    page_of,
    page_schema,
    requires,
    scope,
)
from registry.audit.service import record
from registry.auth.models import Country
from registry.auth.roles import Permission
from registry.errors import DomainError
from registry.extensions import db
from registry.reference import service
from registry.reference.models import Alias, Calibre, Make, Model, WeaponType
from registry.reference.vocabulary import in_reader_language

api_blueprint = ApiBlueprint("reference_table_api", __name__, url_prefix="/api/v1/reference",
                             description="The reference table of makes, models, calibres and weapon types: "
                                         "read for every user with records, changed by the platform "
                                         "administrator.")

FIELDS = ("make", "model", "calibre", "type")
NOT_FOUND = _l("This entry of the reference table does not exist.")
UNKNOWN_COUNTRY = _l("Unknown country code: give its two letters, e.g. BE.")


class AliasSchema(Schema):
    id = fields.Integer(required=True)
    alias = fields.String(required=True, metadata={"description": "The spelling as written"})
    country = fields.String(allow_none=True, required=True, metadata={
        "description": "Empty: holds in every state; set: learnt from this state's review, for it only"})


class ModelSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    make_id = fields.Integer(required=True)
    type = fields.String(allow_none=True, required=True, metadata={"description": "In the caller's language"})
    type_id = fields.Integer(allow_none=True, required=True)
    calibres = fields.List(fields.String(), required=True)
    aliases = fields.List(fields.Nested(AliasSchema), required=True)


class MakeSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    country = fields.String(allow_none=True, required=True, metadata={
        "description": "Country of manufacture, ISO 3166-1 alpha-2"})
    aliases = fields.List(fields.Nested(AliasSchema), required=True)
    model_count = fields.Integer(required=True)


class MakeDetailSchema(MakeSchema):
    models = fields.List(fields.Nested(ModelSchema), required=True)


class CalibreSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    aliases = fields.List(fields.Nested(AliasSchema), required=True)


class TypeSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the caller's language"})
    name_en = fields.String(required=True)
    name_fr = fields.String(required=True)
    name_ar = fields.String(allow_none=True, required=True)


class TypeListSchema(Schema):
    items = fields.List(fields.Nested(TypeSchema), required=True)


MakePageSchema = page_schema(MakeSchema, "MakePage")
CalibrePageSchema = page_schema(CalibreSchema, "CalibrePage")


class SearchQuery(CursorQuery):
    q = fields.String(load_default="", validate=validate.Length(max=100), metadata={
        "description": "Part of the name or of a spelling, any case"})


NAME = validate.Length(min=1, max=120)
ID = validate.Range(min=1, max=2**31 - 1)


class MakeCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    country = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{2}$"),
                            metadata={"description": "Country of manufacture, ISO 3166-1 alpha-2"})


class ModelCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    type_id = fields.Integer(load_default=None, allow_none=True, validate=ID)


class CalibreCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)


class AliasCreateSchema(Schema):
    field = fields.String(required=True, validate=validate.OneOf(FIELDS))
    target_id = fields.Integer(required=True, validate=ID, metadata={"description": "The make, model, calibre or type"})
    alias = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AliasCreatedSchema(AliasSchema):
    field = fields.String(required=True)
    target_id = fields.Integer(required=True)


# --- What a reader sees -----------------------------------------------------------------------


def _aliases_seen(aliases) -> list[dict]:
    """The spellings the caller may see: those of every state, and its own state's."""
    country = current_user.country_code
    return [{"id": alias.id, "alias": alias.alias, "country": alias.country_code} for alias in aliases
            if alias.country_code is None or alias.country_code == country]


def _model_json(model: Model) -> dict:
    return {"id": model.id, "code": model.code, "name": model.name, "make_id": model.make_id,
            "type": in_reader_language(model.type.name_en, "type") if model.type else None,
            "type_id": model.type_id, "calibres": [calibre.name for calibre in model.calibres],
            "aliases": _aliases_seen(model.aliases)}


def _make_json(make: Make, model_count: int) -> dict:
    return {"id": make.id, "code": make.code, "name": make.name, "country": make.country_code,
            "aliases": _aliases_seen(make.aliases), "model_count": model_count}


def _matching(model_class, text: str, alias_column):
    """Entries whose name, or a spelling the caller may see, holds `text`."""
    statement = select(model_class)
    if text:
        pattern = "%" + text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        spelled = select(alias_column).where(
            func.lower(Alias.alias).like(pattern),
            or_(Alias.country_code.is_(None), Alias.country_code == current_user.country_code))
        statement = statement.where(or_(func.lower(model_class.name).like(pattern), model_class.id.in_(spelled)))
    return statement


@contextmanager
def _refusals():
    """A change the table refuses (a twin name, an unknown entry) answers 400, nothing kept."""
    try:
        yield
    except DomainError as error:
        raise domain_problem(error) from None


def _entry(model_class, entry_id: int):
    """The entry the URL names, or 404 (an id past the database's integers included)."""
    found = db.session.get(model_class, entry_id) if 0 < entry_id < 2**31 else None
    if found is None:
        raise ApiError(404, "not-found", NOT_FOUND)
    return found


def _read(details: dict) -> None:
    record("reference.search", "reference", None, details | {"via": "api"})


@api_blueprint.route("/makes", methods=["GET"])
@requires(Permission.READ_RECORDS)
@api_blueprint.arguments(SearchQuery, location="query")
@api_blueprint.response(200, MakePageSchema)
def makes(args: dict):
    """The makes by name, page by page; `q` narrows to names or spellings holding it."""
    rows, next_cursor = page_of(f"makes:{args['q']}", _matching(Make, args["q"], Alias.make_id), Make.name,
                                args, descending=False)
    counts = dict(db.session.execute(select(Model.make_id, func.count(Model.id)).where(
        Model.make_id.in_([make.id for make in rows])).group_by(Model.make_id)).all()) if rows else {}
    _read({"list": "makes", "q": args["q"], "count": len(rows)})
    return {"items": [_make_json(make, counts.get(make.id, 0)) for make in rows], "next_cursor": next_cursor}


@api_blueprint.route("/makes/<int:make_id>", methods=["GET"])
@requires(Permission.READ_RECORDS)
@api_blueprint.response(200, MakeDetailSchema)
def make(make_id: int):
    """One make with its models, their calibres, types and spellings."""
    found = _entry(Make, make_id)
    _read({"make": found.id})
    return _make_json(found, len(found.models)) | {"models": [_model_json(model) for model in found.models]}


@api_blueprint.route("/calibres", methods=["GET"])
@requires(Permission.READ_RECORDS)
@api_blueprint.arguments(SearchQuery, location="query")
@api_blueprint.response(200, CalibrePageSchema)
def calibres(args: dict):
    """The calibres by name, page by page; `q` narrows to names or spellings holding it."""
    rows, next_cursor = page_of(f"calibres:{args['q']}", _matching(Calibre, args["q"], Alias.calibre_id),
                                Calibre.name, args, descending=False)
    _read({"list": "calibres", "q": args["q"], "count": len(rows)})
    return {"items": [{"id": calibre.id, "code": calibre.code, "name": calibre.name,
                       "aliases": _aliases_seen(calibre.aliases)} for calibre in rows],
            "next_cursor": next_cursor}


@api_blueprint.route("/types", methods=["GET"])
@requires(Permission.READ_RECORDS)
@api_blueprint.response(200, TypeListSchema)
def types():
    """Every weapon type, in the caller's language and in the three."""
    rows = db.session.scalars(select(WeaponType).order_by(WeaponType.name_en)).all()
    _read({"list": "types", "count": len(rows)})
    return {"items": [{"id": kind.id, "code": kind.code, "name": kind.name, "name_en": kind.name_en,
                       "name_fr": kind.name_fr, "name_ar": kind.name_ar} for kind in rows]}


# --- Changes (the platform administrator) -----------------------------------------------------


@api_blueprint.route("/makes", methods=["POST"])
@scope(WRITE)
@requires(Permission.MANAGE_REFERENCE)
@api_blueprint.arguments(MakeCreateSchema)
@api_blueprint.response(201, MakeDetailSchema)
def create_make(payload: dict):
    """Add a make (the platform administrator); a name already in the table is refused."""
    country = (payload.get("country") or "").upper() or None
    if country is not None and db.session.get(Country, country) is None:
        raise ApiError(400, "invalid", UNKNOWN_COUNTRY, field="country")
    with _refusals():
        made = service.create_make(current_user, payload["name"], country)
    return _make_json(made, 0) | {"models": []}


@api_blueprint.route("/makes/<int:make_id>/models", methods=["POST"])
@scope(WRITE)
@requires(Permission.MANAGE_REFERENCE)
@api_blueprint.arguments(ModelCreateSchema)
@api_blueprint.response(201, ModelSchema)
def create_model(payload: dict, make_id: int):
    """Add a model to a make (the platform administrator)."""
    found = _entry(Make, make_id)
    type_id = payload.get("type_id")
    if type_id is not None and db.session.get(WeaponType, type_id) is None:
        raise ApiError(400, "invalid", NOT_FOUND, field="type_id")
    with _refusals():
        return _model_json(service.create_model(current_user, found, payload["name"], type_id))


@api_blueprint.route("/calibres", methods=["POST"])
@scope(WRITE)
@requires(Permission.MANAGE_REFERENCE)
@api_blueprint.arguments(CalibreCreateSchema)
@api_blueprint.response(201, CalibreSchema)
def create_calibre(payload: dict):
    """Add a calibre (the platform administrator); another calibre's name or spelling is
    refused."""
    with _refusals():
        calibre = service.create_calibre(current_user, payload["name"])
    return {"id": calibre.id, "code": calibre.code, "name": calibre.name, "aliases": []}


@api_blueprint.route("/aliases", methods=["POST"])
@scope(WRITE)
@requires(Permission.MANAGE_REFERENCE)
@api_blueprint.arguments(AliasCreateSchema)
@api_blueprint.response(201, AliasCreatedSchema)
def create_alias(payload: dict):
    """Add a spelling, holding in every state, to a make, model, calibre or type (the
    platform administrator)."""
    with _refusals():
        alias = service.add_alias(current_user, payload["field"], payload["target_id"], payload["alias"])
    return {"id": alias.id, "alias": alias.alias, "country": alias.country_code, "field": alias.field,
            "target_id": alias.target_id}
