"""The JSON API, version 1: who am I, the OpenAPI document of every /api/v1 endpoint and
its documentation page. The features add their endpoints as `api_blueprint`s
(docs/api.md)."""

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from marshmallow import Schema, fields

from registry.api.framework import ApiBlueprint, current_api

api_blueprint = ApiBlueprint("api", __name__, url_prefix="/api/v1",
                             description="Who the caller is.")
# The document and its page are not endpoints of the API itself.
blueprint = Blueprint("api_docs", __name__)


class AgencySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2"})


class MeSchema(Schema):
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    language = fields.String(required=True)
    agency = fields.Nested(AgencySchema, required=True)
    scopes = fields.List(fields.String(), required=True, metadata={
        "description": "What the caller may do: read, write (a session may do both)"})


@api_blueprint.route("/me")
@api_blueprint.response(200, MeSchema)
def me():
    """The authenticated user, its agency, country and role."""
    from flask import g

    token = g.get("api_token")
    return {
        "email": current_user.email, "name": current_user.name, "role": current_user.role.value,
        "language": current_user.language,
        "agency": {"code": current_user.agency.code, "name": current_user.agency.name,
                   "country": current_user.agency.country_code},
        "scopes": token.scope_list if token else ["read", "write"],
    }


@blueprint.route("/api/v1/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from the endpoints' schemas."""
    return jsonify(current_api().spec.to_dict())


@blueprint.route("/docs/api")
def docs():
    """The API's documentation page (Swagger UI, served from static/vendor)."""
    return render_template("api/docs.html")
