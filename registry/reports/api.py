"""The statistics API (`GET /api/v1/statistics`): the figures of the statistics page, as
`flask reports summary --json` gives them, for the caller's state (every state's for who
may see them). The same service as the page: the same scope, the same audit event."""

from flask_login import current_user
from marshmallow import Schema, fields, validate

from registry.api.framework import ApiBlueprint, domain_problem
from registry.errors import DomainError
from registry.reports import service
from registry.weapons.models import WeaponStatus

api_blueprint = ApiBlueprint("reports_api", __name__, url_prefix="/api/v1/statistics",
                             description="Figures of a state's records and traces.")

COUNTS = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class StatisticsQuery(Schema):
    year = fields.Integer(validate=validate.Range(1900, 2999), metadata={
        "description": "1 January to 31 December of that year (when no date is given)"})
    date_from = fields.Date()
    date_to = fields.Date()
    state = fields.String(validate=validate.Length(max=3), metadata={
        "description": "ISO code; `all` (every state side by side) for who may see them. The "
                       "caller's own state by default"})
    region = fields.String(validate=validate.Length(max=200), metadata={
        "description": "An ISO 3166-2 code or a region as typed"})
    agency = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf([item.value for item in WeaponStatus]))
    type = fields.String(validate=validate.Length(max=200), metadata={"description": "Reference id or name"})
    calibre = fields.String(validate=validate.Length(max=200))
    make = fields.String(validate=validate.Length(max=200))
    country_of_manufacture = fields.String(validate=validate.Length(max=200))
    source = fields.String(validate=validate.OneOf(["form", "import"]))


class TracingSideSchema(Schema):
    count = fields.Integer(required=True)
    answered = fields.Integer(required=True)
    origin_established = fields.Integer(required=True)
    within_deadline = fields.Integer(required=True)
    declined = fields.Integer(required=True)
    median_days_to_answer = fields.Float(allow_none=True, required=True)


class TracingPartnerSchema(Schema):
    sent = fields.Nested(TracingSideSchema, required=True)
    received = fields.Nested(TracingSideSchema, required=True)


class TracingFiguresSchema(TracingPartnerSchema):
    by_partner = fields.Dict(keys=fields.String(), values=fields.Nested(TracingPartnerSchema), required=True,
                             metadata={"description": "Partner state (ISO code) -> its traces"})


class SdgSchema(Schema):
    numerator = fields.Integer(required=True)
    denominator = fields.Integer(required=True)
    value = fields.Float(allow_none=True, required=True, metadata={
        "description": "numerator / denominator; null when nothing was seized, found or surrendered"})


class StatisticsSchema(Schema):
    total = fields.Integer(required=True)
    by_status = COUNTS
    by_type = COUNTS
    by_make = COUNTS
    by_country_of_manufacture = COUNTS
    by_region = COUNTS
    by_month = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                           metadata={"description": "YYYY-MM -> records"})
    tracing = fields.Nested(TracingFiguresSchema, required=True)
    sdg_16_4_2 = fields.Nested(SdgSchema, required=True, metadata={
        "description": "SDG indicator 16.4.2: arms whose illicit origin was traced or established"})


@api_blueprint.route("", methods=["GET"])
@api_blueprint.arguments(StatisticsQuery, location="query")
@api_blueprint.response(200, StatisticsSchema)
def statistics(args: dict):
    """The figures of the caller's state: records by status, type, make, country of
    manufacture, region and month; traces sent and received; SDG 16.4.2."""
    values = {name: value.isoformat() if hasattr(value, "isoformat") else str(value)
              for name, value in args.items()}
    try:
        return service.summary(current_user, service.Filters.parse(values))
    except DomainError as error:
        raise domain_problem(error) from None
