"""The JSON API, version 1: who am I, and the OpenAPI document of every /api/v1 route.
Features add their endpoints as `api_blueprint`s under /api/v1; they are listed here
automatically, with the first line of each view's docstring as its summary."""

import re

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.route("/me")
def me():
    """The authenticated user, its agency, country and role."""
    return jsonify(
        email=current_user.email, name=current_user.name, role=current_user.role.value,
        language=current_user.language,
        agency={"code": current_user.agency.code, "name": current_user.agency.name,
                "country": current_user.agency.country_code},
    )


@blueprint.route("/openapi.json")
def openapi():
    """This document."""
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in rule.arguments]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = {
                "summary": summary, "operationId": f"{rule.endpoint}.{method.lower()}",
                "parameters": parameters,
                "responses": {"200": {"description": "OK"}, "401": {"description": "Not authenticated"},
                              "404": {"description": "Not found, or not visible to the user"}},
            }
    return jsonify({
        "openapi": "3.0.3",
        "info": {"title": "Firearms tracing registry API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    })
