"""What the trace requests' API takes and gives (the OpenAPI document is made from these)."""

from marshmallow import Schema, fields, validate

from registry.api.framework import CursorQuery, page_schema
from registry.tracing.service import MAX_TEXT
from registry.tracing.workflow import Action, Outcome, Reason, Status, Urgency

TEXT = validate.Length(max=MAX_TEXT)
COUNTRY = validate.Length(equal=2)


class TraceSummarySchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "TR-ML-2026-0001"})
    status = fields.String(required=True, validate=validate.OneOf([item.value for item in Status]))
    urgency = fields.String(required=True, validate=validate.OneOf([item.value for item in Urgency]))
    requesting_country = fields.String(required=True)
    requesting_agency = fields.String(required=True)
    requested_country = fields.String(required=True)
    requested_agency = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True, required=True)
    acknowledge_due = fields.DateTime(allow_none=True, required=True)
    answer_due = fields.DateTime(allow_none=True, required=True)
    acknowledged_at = fields.DateTime(allow_none=True, required=True)
    answered_at = fields.DateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    outcome = fields.String(allow_none=True, required=True)


class TraceWeaponSchema(Schema):
    weapon_id = fields.Integer(required=True)
    description = fields.Dict(required=True, metadata={"description": "Frozen at sending"})


class TraceEventSchema(Schema):
    action = fields.String(required=True)
    from_status = fields.String(allow_none=True, required=True, data_key="from")
    to_status = fields.String(allow_none=True, required=True, data_key="to")
    at = fields.DateTime(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)


class TraceMessageSchema(Schema):
    agency = fields.String(required=True)
    at = fields.DateTime(allow_none=True, required=True)
    body = fields.String(required=True)


class TraceSchema(TraceSummarySchema):
    illicit_reason = fields.String(required=True)
    legal_basis = fields.String(required=True)
    recovery_circumstances = fields.String(required=True)
    information_sought = fields.String(required=True)
    intended_use = fields.String(required=True)
    confidentiality = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    reason_note = fields.String(allow_none=True, required=True)
    answer_text = fields.String(allow_none=True, required=True)
    last_legal_holder = fields.String(allow_none=True, required=True)
    last_legal_holder_country_code = fields.String(allow_none=True, required=True)
    exporter = fields.String(allow_none=True, required=True)
    exporter_country_code = fields.String(allow_none=True, required=True)
    export_date = fields.Date(allow_none=True, required=True)
    importer = fields.String(allow_none=True, required=True)
    importer_country_code = fields.String(allow_none=True, required=True)
    import_date = fields.Date(allow_none=True, required=True)
    weapons = fields.List(fields.Nested(TraceWeaponSchema), required=True)
    sha256 = fields.String(required=True, metadata={
        "description": "SHA-256 of the printed request: the other side checks its copy against it"})
    history = fields.List(fields.Nested(TraceEventSchema), required=True)
    messages = fields.List(fields.Nested(TraceMessageSchema), required=True)
    actions = fields.List(fields.String(), required=True, metadata={
        "description": "The moves the caller may make now"})


TracePageSchema = page_schema(TraceSummarySchema, "TracePage")


class TraceListQuery(CursorQuery):
    box = fields.String(validate=validate.OneOf(["", "inbox", "outbox"]), load_default="", metadata={
        "description": "inbox: received by the caller's agency; outbox: sent; empty: both"})
    status = fields.String(validate=validate.OneOf([item.value for item in Status]))
    country = fields.String(validate=COUNTRY, metadata={"description": "The other side's country"})
    urgency = fields.String(validate=validate.OneOf([item.value for item in Urgency]))
    overdue = fields.Boolean()


class TraceCreateSchema(Schema):
    weapon_ids = fields.List(fields.Integer(strict=True), required=True,
                             validate=validate.Length(max=100),
                             metadata={"description": "Weapon records the caller sees"})
    requested_country_code = fields.String(required=True, validate=COUNTRY)
    requested_agency_id = fields.Integer(strict=True, allow_none=True, metadata={
        "description": "Default: the country's tracing focal point"})
    urgency = fields.String(validate=validate.OneOf([item.value for item in Urgency]),
                            load_default=Urgency.NORMAL.value)
    illicit_reason = fields.String(validate=TEXT, load_default="")
    legal_basis = fields.String(validate=TEXT, load_default="")
    recovery_circumstances = fields.String(validate=TEXT, load_default="")
    information_sought = fields.String(validate=TEXT, load_default="")
    intended_use = fields.String(validate=TEXT, load_default="")
    confidentiality = fields.String(validate=TEXT, load_default="")
    send = fields.Boolean(load_default=False, metadata={"description": "Send it at once"})


MOVES = [item.value for item in Action] + ["message"]


MOVE_PARAMETER = {"in": "path", "name": "action", "required": True,
                  "description": "A workflow move (docs/trace-workflow.md), or `message` to write "
                                 "in the thread", "schema": {"type": "string", "enum": MOVES}}


class TraceMoveSchema(Schema):
    note = fields.String(validate=TEXT, load_default="")
    body = fields.String(validate=TEXT, metadata={"description": "The message (action `message`)"})
    reason = fields.String(validate=validate.OneOf([item.value for item in Reason]), metadata={
        "description": "restrict, decline: the ITI's reason"})
    outcome = fields.String(validate=validate.OneOf([item.value for item in Outcome]), metadata={
        "description": "answer: the outcome"})
    answer_text = fields.String(validate=TEXT)
    last_legal_holder = fields.String(validate=TEXT)
    last_legal_holder_country_code = fields.String(validate=COUNTRY, allow_none=True)
    exporter = fields.String(validate=TEXT)
    exporter_country_code = fields.String(validate=COUNTRY, allow_none=True)
    export_date = fields.Date(allow_none=True)
    importer = fields.String(validate=TEXT)
    importer_country_code = fields.String(validate=COUNTRY, allow_none=True)
    import_date = fields.Date(allow_none=True)
    illicit_reason = fields.String(validate=TEXT)
    legal_basis = fields.String(validate=TEXT)
    recovery_circumstances = fields.String(validate=TEXT)
    information_sought = fields.String(validate=TEXT)
    intended_use = fields.String(validate=TEXT)
    confidentiality = fields.String(validate=TEXT)
