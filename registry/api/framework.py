"""The JSON API's framework, on flask-smorest (docs/api.md says why and how to add an endpoint).

- `ApiBlueprint`: a feature's `api_blueprint`; `@blp.arguments(Schema)` validates the body
  or query on the way in (an unknown field is refused), `@blp.response(200, Schema)` shapes
  the answer; both go into the OpenAPI 3.1 document.
- Errors are problem documents (RFC 9457, `application/problem+json`) with a translated
  message: `problem()` builds one, `web.py` answers every error of an /api/ path with one.
- Lists page by cursor: `page_of()` and `CursorQuery`; a cursor is signed, so a changed one
  is refused.
- Bearer tokens carry scopes (read, write) and an expiry, and have their own rate limit.
"""

import http
from functools import wraps

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import RAISE, Schema, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_PAGE = 200
DEFAULT_PAGE = 50


class _Parser(FlaskParser):
    # A body or query that does not match its schema is a bad request, and a field or
    # parameter the schema does not name is refused: a typing error is never ignored.
    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION | {
        "query": RAISE, "querystring": RAISE}


class ApiBlueprint(SmorestBlueprint):
    """A feature's API blueprint, under /api/v1 (registered by create_app)."""

    ARGUMENTS_PARSER = _Parser()


class ApiError(HTTPException):
    """An error answered as a problem document: `kind` names it (the `type` URI's end)."""

    def __init__(self, status: int, kind: str, detail, field: str | None = None, errors=None):
        super().__init__(str(detail))
        self.code = status
        self.kind = kind
        self.detail = detail
        self.field = field
        self.errors = errors


# --- Schemas every endpoint shares --------------------------------------------------------


class ProblemSchema(Schema):
    type = fields.String(required=True, metadata={"description": "What kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "In the user's language"})
    instance = fields.String(required=True)
    field = fields.String(allow_none=True, metadata={"description": "The input the problem is about"})
    errors = fields.Dict(keys=fields.String(), metadata={"description": "Field -> messages"})


class CursorQuery(Schema):
    cursor = fields.String(metadata={"description": "The `next_cursor` of the previous page"})
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))


def page_schema(item_schema, name: str) -> type[Schema]:
    """The schema of one page of a list of `item_schema`."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, required=True, metadata={
            "description": "Pass it as `cursor` for the next page; null on the last page"}),
    }, name=name)


# --- Cursors --------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="api-cursor")


def encode_cursor(list_name: str, position) -> str:
    return _serializer().dumps([list_name, position])


def decode_cursor(list_name: str, cursor: str | None):
    """The position a cursor of `list_name` stands for (None: the first page)."""
    if not cursor:
        return None
    try:
        name, position = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        name, position = None, None
    if name != list_name or position is None:
        raise ApiError(400, "invalid-cursor", _l(
            "This cursor was not given by this list, or it was changed: start again from the "
            "first page."), field="cursor")
    return position


def page_of(list_name: str, statement, order_column, args: dict, *, descending: bool = True):
    """One page of `statement` by keyset on `order_column` (unique): (rows, next cursor)."""
    from registry.extensions import db

    after = decode_cursor(list_name, args.get("cursor"))
    if after is not None:
        statement = statement.where(order_column < after if descending else order_column > after)
    ordering = order_column.desc() if descending else order_column.asc()
    limit = args.get("limit", DEFAULT_PAGE)
    rows = db.session.scalars(statement.order_by(ordering).limit(limit + 1)).unique().all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(list_name, _position(rows[-1], order_column))
    return rows, next_cursor


def _position(row, order_column):
    value = getattr(row, order_column.key)
    return value if isinstance(value, int | str) else str(value)


# --- Problem documents ------------------------------------------------------------------------

PROBLEM_TITLES = {
    400: _l("Bad request"), 401: _l("Login required"), 403: _l("Not allowed"),
    404: _l("Not found"), 405: _l("Not allowed"), 409: _l("Conflict"), 413: _l("Too large"),
    415: _l("Unsupported media type"), 429: _l("Too many requests"), 500: _l("Internal error"),
}

# marshmallow's and webargs' own messages, in the user's language.
VALIDATION_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Unknown field.": _l("This field is not known here."),
    "Field may not be null.": _l("This field may not be empty (null)."),
    "Not a valid string.": _l("Not a text."),
    "Not a valid integer.": _l("Not a whole number."),
    "Not a valid number.": _l("Not a number."),
    "Not a valid boolean.": _l("Not true or false."),
    "Not a valid list.": _l("Not a list."),
    "Not a valid mapping type.": _l("Not an object."),
    "Invalid input type.": _l("Not an object."),
    "Not a valid date.": _l("Not a date (YYYY-MM-DD)."),
    "Not a valid datetime.": _l("Not a date and time."),
    "Invalid value.": _l("Not a valid value."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
    "Not a valid email address.": _l("Not an e-mail address."),
    "Shorter than minimum length {min}.": _l("Too short."),
    "Longer than maximum length {max}.": _l("Too long."),
    "Length must be between {min} and {max}.": _l("Too short or too long."),
}


def _translate_messages(messages):
    if isinstance(messages, dict):
        return {str(key): _translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [_translate_messages(item) for item in messages]
    text = str(messages)
    return str(VALIDATION_MESSAGES.get(text, text))


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """{"json": {"rows": {"0": {"make": [...]}}}} -> {"rows.0.make": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":  # the object as a whole
                name = prefix
            elif not prefix and key in ("json", "query", "querystring", "form", "files", "path"):
                name = ""  # where the field was is clear from the endpoint
            flat |= _flatten(value, name)
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        flat[prefix or "body"] = [str(item) for item in messages]
    elif isinstance(messages, list):
        for index, item in enumerate(messages):
            flat |= _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


def problem(status: int, detail=None, *, kind: str | None = None, field: str | None = None,
            errors: dict | None = None):
    """A problem document (RFC 9457) response, its texts in the user's language."""
    from flask import jsonify

    title = str(PROBLEM_TITLES.get(status, PROBLEM_TITLES[400 if status < 500 else 500]))
    body = {
        "type": f"urn:registry:problem:{kind or status}",
        "title": title,
        "status": status,
        "detail": str(detail or title),
        "instance": request.path,
    }
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIA_TYPE
    return response


def problem_for(error: HTTPException, default_detail):
    """The problem document of an HTTP error raised anywhere under /api/."""
    if isinstance(error, ApiError):
        return problem(error.code, error.detail, kind=error.kind, field=error.field, errors=error.errors)
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages is not None:
        errors = _flatten(_translate_messages(messages))
        first_field = next(iter(errors), None)
        detail = _("The request does not match its schema: %(details)s",
                   details="; ".join(f"{name}: {' '.join(texts)}" for name, texts in errors.items()))
        return problem(error.code or 400, detail, kind="invalid-body",
                       field=None if first_field == "body" else first_field, errors=errors)
    return problem(error.code or 500, default_detail)


def domain_problem(error):
    """A service's refusal (DomainError) as a problem document: 403 for NotAllowed. Every
    field the service refused is in `errors` (FieldErrors names several at once)."""
    from registry.errors import NotAllowed, errors_by_field
    from registry.extensions import db

    db.session.rollback()
    if isinstance(error, NotAllowed):
        return ApiError(403, "not-allowed", error.message, field=error.field)
    errors = {name: messages for name, messages in errors_by_field(error).items() if name}
    detail = error.message
    if len(errors) > 1:
        detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return ApiError(400, "refused", detail, field=error.field, errors=errors or None)


# --- Token scopes and rate limit ------------------------------------------------------------

READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)


def scope(needed: str):
    """The token scope an endpoint needs, when its method does not say it (a POST that
    only reads, such as identification, needs `read`)."""

    def decorator(view):
        view.api_scope = needed
        return view

    return decorator


NOT_ALLOWED = _l("Your role does not allow this action.")


def requires(permission, message=NOT_ALLOWED):
    """The permission an endpoint needs, checked before its body is read (a role that may
    not act learns that, not what its body lacked). Put it above `@blp.arguments`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(permission):
                raise ApiError(403, "not-allowed", message)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def loads(model, id_name: str, as_name: str):
    """Load the object the URL names (`id_name`) through the scoping, before the body is
    read: another state's object, or one the user may not see, answers 404 whatever the
    body says. The view gets the object as `as_name`. Put it below `@requires` and above
    `@blp.arguments`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from registry.auth.scoping import get_visible_or_404

            kwargs[as_name] = get_visible_or_404(current_user, model, kwargs.pop(id_name))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def needed_scope(app: Flask) -> str:
    view = app.view_functions.get(request.endpoint)
    declared = getattr(view, "api_scope", None)
    if declared:
        return declared
    return READ if request.method in ("GET", "HEAD", "OPTIONS") else WRITE


def check_api_token(app: Flask):
    """Before an API call made with a token: its scope, then its rate limit."""
    token = g.get("api_token")
    if token is None or not request.path.startswith("/api/") or request.endpoint is None:
        return None
    needed = needed_scope(app)
    if needed not in token.scope_list:
        from registry.audit.service import record

        record("api.refused", "api_token", token.id,
               {"reason": "scope", "needed": needed, "path": request.path, "method": request.method})
        from registry.extensions import db

        db.session.commit()
        return problem(403, _("This token does not have the “%(scope)s” scope: create a token with it.",
                              scope=needed), kind="scope-missing")
    limiter = app.extensions.get("registry_api_limiter")
    if limiter is not None:
        strategy, item = limiter
        if not strategy.hit(item, "api-token", str(token.id)):
            from registry.web import _audit_rate_limit

            _audit_rate_limit()
            return problem(429, _("This token made too many calls in a short time. Wait a minute "
                                  "and try again."), kind="rate-limited")
    return None


def init_app(app: Flask) -> Api:
    """The API of this application: the OpenAPI document's settings, the token checks."""
    app.config.setdefault("API_TITLE", "Firearms tracing registry API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "The JSON API of the registry: every call is scoped to the "
                               "caller's agency and country and written to the audit log."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    })
    api = _RegistryApi(app)
    app.extensions["registry_api"] = api
    rate = app.config.get("API_RATE_LIMIT")
    if rate:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["registry_api_limiter"] = (MovingWindowRateLimiter(storage), parse(rate))
    app.before_request(lambda: check_api_token(app))
    return api


class _RegistryApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # registry/web.py answers every error, of the pages and of the API, in one place

    def _register_responses(self):
        # Every error response of the document is a problem document.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as a problem document (RFC 9457)", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def current_api():
    return current_app.extensions["registry_api"]


def actor():
    return current_user._get_current_object()
