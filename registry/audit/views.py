"""The audit log page and its export: who did what to which data, in the reader's words."""

from flask import Blueprint, Response, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from registry.audit import reading
from registry.audit.service import record
from registry.auth.decorators import permission_required
from registry.auth.roles import Permission
from registry.errors import DomainError, errors_by_field
from registry.reports.tables import to_csv, to_xlsx

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> tuple[reading.Filters, DomainError | None]:
    try:
        return reading.Filters.parse(request.args), None
    except DomainError as error:
        return reading.Filters(), error


@blueprint.route("/")
@permission_required(Permission.READ_AGENCY_AUDIT)
def events():
    filters, error = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    told, has_next = [], False
    if error is None:
        rows, has_next = reading.page_of_events(current_user, filters, page)
        told = reading.tell(current_user, rows)
        record("audit.search", details=filters.terms() | {"page": page})
    else:
        for messages in errors_by_field(error).values():
            for message in messages:
                flash(message, "error")
    return render_template("audit/events.html", told=told, filters=filters, page=page, has_next=has_next,
                           args=request.args, actions=reading.action_choices(),
                           objects=reading.object_choices(), export_limit=reading.EXPORT_LIMIT,
                           errors=errors_by_field(error) if error else {}), 400 if error else 200


@blueprint.route("/export.<extension>")
@permission_required(Permission.READ_AGENCY_AUDIT)
def export(extension: str):
    if extension not in ("csv", "xlsx"):
        return render_template("errors/error.html", code=404, title=_("Not found"),
                               message=_("This page does not exist, or you may not see it.")), 404
    filters, error = _filters()
    if error is not None:
        message = "; ".join(str(item.message) for item in getattr(error, "errors", [error]))
        return render_template("errors/error.html", code=400, title=_("Bad request"), message=message), 400
    told = reading.tell(current_user, reading.events_to_export(current_user, filters))
    headers, rows = reading.export_rows(told)
    record("audit.export", details=filters.terms() | {"format": extension, "rows": len(rows)})
    if extension == "csv":
        content, mimetype = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        content, mimetype = to_xlsx([(_("Audit log"), headers, rows)]), XLSX
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="audit.{extension}"'})
