"""Statistics pages: filters, tables with their charts, exports (CSV, xlsx)."""

from flask import Blueprint, Response, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from registry.audit.service import record
from registry.auth.decorators import permission_required
from registry.auth.roles import Permission
from registry.errors import DomainError
from registry.reports import service, tables
from registry.web import NAVIGATION

blueprint = Blueprint("reports", __name__, url_prefix="/reports")
# The statistics API lives in registry/reports/api.py; create_app() finds it here.
from registry.reports.api import api_blueprint  # noqa: E402,F401

NAVIGATION.append(("reports.statistics", _l("Statistics"), Permission.READ_RECORDS, None))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report():
    """(filters, report, error) for the query string; a bad filter gives an empty report."""
    try:
        filters = service.Filters.parse(request.args)
        return filters, service.statistics(current_user, filters), None
    except DomainError as error:
        return service.Filters(), None, error


@blueprint.route("/")
@permission_required(Permission.READ_RECORDS)
def statistics():
    filters, report, error = _report()
    if error is not None:
        flash(str(error.message), "error")
    state = report["state"] if report else (current_user.country_code or service.ALL_STATES)
    charts = {name: tables.chart(report, name) for name in tables.TABLES} if report else {}
    return render_template("reports/statistics.html", filters=filters, report=report, charts=charts,
                           choices=service.filter_choices(current_user, state), tables=tables,
                           error_field=error.field if error else None,
                           args=request.args.to_dict()), 400 if error else 200


@blueprint.route("/map")
@permission_required(Permission.READ_RECORDS)
def region_map():
    """Records by region and by point on the base map, with the statistics' filters."""
    from registry.reports import maps

    error = None
    try:
        filters = service.Filters.parse(request.args)
        figures = service.map_figures(current_user, filters)
    except DomainError as caught:
        error, filters, figures = caught, service.Filters(), None
        flash(str(error.message), "error")
    state = figures["state"] if figures else (current_user.country_code or service.ALL_STATES)
    args = request.args.to_dict()
    drawing = None
    if figures and figures["states"]:
        rows = [{"key": row["key"], "count": row["count"], "label": tables.local_name(row, "by_region")}
                for row in figures["regions"] if row["key"]]
        drawing = maps.draw(figures["states"], rows, figures["points"], {
            "title": _("Records by region and where their coordinates place them"),
            "records": lambda count: ngettext("%(num)d record", "%(num)d records", count),
            "points": lambda count: ngettext("%(num)d record at this point", "%(num)d records at this point", count),
            "legend": _("Records by region"),
            "no_record": _("none"),
        }, link=lambda code: url_for("reports.statistics", **(args | {"region": code})))
    return render_template("reports/map.html", filters=filters, figures=figures, drawing=drawing,
                           choices=service.filter_choices(current_user, state), tables=tables,
                           grid=service.POINT_GRID, error_field=error.field if error else None,
                           args=args), 400 if error else 200


@blueprint.route("/export/<name>.<extension>")
@permission_required(Permission.READ_RECORDS)
def export(name: str, extension: str):
    if name not in tables.EXPORTABLE or extension not in ("csv", "xlsx"):
        return render_template("errors/error.html", code=404, title=_("Not found"),
                               message=_("This page does not exist, or you may not see it.")), 404
    filters, report, error = _report()
    if error is not None:
        flash(str(error.message), "error")
        return render_template("errors/error.html", code=400, title=_("Bad request"),
                               message=str(error.message)), 400
    headers, rows = tables.table(report, name)
    record("report.export", details={"table": name, "format": extension, "terms": filters.terms(),
                                     "state": report["state"], "rows": len(rows)})
    file_name = f"statistics-{name}-{report['state'].lower()}.{extension}"
    if extension == "csv":
        content, mimetype = tables.to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        title = str(tables.TABLES[name][0]) if name in tables.TABLES else name
        content, mimetype = tables.to_xlsx([(title, headers, rows)], heading=_heading(report)), XLSX
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@blueprint.route("/yearly.<extension>")
@permission_required(Permission.READ_RECORDS)
def yearly(extension: str):
    """The yearly report (IAFQ tables, SDG 16.4.2, ITI figures) of a state and year."""
    from registry.reports import iafq

    language = request.args.get("language", "")
    if extension not in ("xlsx", "pdf") or (language and language not in current_app.config["LANGUAGES"]):
        return render_template("errors/error.html", code=404, title=_("Not found"),
                               message=_("This page does not exist, or you may not see it.")), 404
    language = language or current_user.language
    try:
        state = service.resolve_state(current_user, request.args.get("state", ""))
        content = iafq.file_bytes(extension, current_user, state, request.args.get("year", ""), language)
    except DomainError as error:
        return render_template("errors/error.html", code=400, title=_("Bad request"),
                               message=str(error.message)), 400
    mimetype = XLSX if extension == "xlsx" else "application/pdf"
    file_name = f"report-{state.lower()}-{request.args.get('year', '')[:4]}-{language}.{extension}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


def _heading(report: dict) -> str:
    terms = ", ".join(f"{key}={value}" for key, value in report["filters"].items())
    return _("Statistics of %(state)s", state=report["state"]) + (f" ({terms})" if terms else "")
