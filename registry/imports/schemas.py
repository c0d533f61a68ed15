"""What the imports' API takes and gives (the OpenAPI document is made from these)."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from registry.api.framework import CursorQuery, page_schema


class ImportSchema(Schema):
    id = fields.Integer(required=True)
    file_name = fields.String(required=True)
    sha256 = fields.String(required=True)
    agency = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "uploaded, analysing, review, approved, committing, committed, failed, cancelled"})
    progress = fields.Integer(required=True, metadata={"description": "Per cent of the running step"})
    sheet = fields.String(allow_none=True, required=True)
    sheets = fields.List(fields.String(), required=True)
    header_row = fields.Integer(allow_none=True, required=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "Column title -> field of the record"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    error = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(allow_none=True, required=True)
    sharing = fields.String(required=True, metadata={"description": "Sharing of the records written: "
                                                     "national, partners, all"})
    default_status = fields.String(required=True, metadata={
        "description": "Status of a record whose row names none (or one not understood)"})
    unmapped_columns = fields.List(fields.Dict(), metadata={
        "description": "Columns with data that no field takes, not imported: column title, a few values, "
                       "filled cells, and whether the user chose to ignore it"})
    row_total = fields.Integer(metadata={"description": "Rows stored for review"})
    same_file_imports = fields.List(fields.Integer(), metadata={
        "description": "Earlier imports of the same file (upload only)"})


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "Row number in the sheet"})
    status = fields.String(required=True, metadata={
        "description": "ready, needs_review, invalid, duplicate"})
    accepted = fields.Boolean(required=True)
    make = fields.String(allow_none=True, required=True)
    model = fields.String(allow_none=True, required=True)
    calibre = fields.String(allow_none=True, required=True)
    type = fields.String(allow_none=True, required=True)
    confidence = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    messages = fields.List(fields.String(), required=True, metadata={"description": "In the caller's language"})
    suggestions = fields.List(fields.Dict(), required=True)
    record = fields.String(allow_none=True, required=True, metadata={
        "description": "Reference of the record the row became"})


ImportPageSchema = page_schema(ImportSchema, "ImportPage")
ImportRowPageSchema = page_schema(ImportRowSchema, "ImportRowPage")


class ImportRowsQuery(CursorQuery):
    pass


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The spreadsheet (.xlsx, .xls, .ods, .csv)"})


class UploadOptionsSchema(Schema):
    sharing = fields.String(load_default=None, metadata={
        "description": "Sharing of the records the import writes: national (default), partners, all"})
    default_status = fields.String(load_default=None, metadata={
        "description": "Status of a record whose row names none: seized (default), found, surrendered, lost, "
                       "stolen, trafficked, destroyed, returned"})
