"""Import pages: upload, sheet and columns, progress, review, approval, commit, result
sheet and blank template; and the JSON API (`/api/v1/imports`)."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from registry.api.framework import (
    ApiBlueprint,
    ApiError,
    CursorQuery,
    domain_problem,
    page_of,
    requires,
)
from registry.audit.service import record
from registry.auth.decorators import permission_required
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, get_visible_or_404, visible
from registry.errors import DomainError
from registry.extensions import db
from registry.imports import service
from registry.imports.headers import FIELDS
from registry.imports.jobs import start_analysis_job, start_commit_job
from registry.imports.models import Import, ImportRow, ImportStatus
from registry.imports.rows import STATUSES, message_text
from registry.imports.schemas import (
    ImportPageSchema,
    ImportRowPageSchema,
    ImportRowsQuery,
    ImportSchema,
    UploadOptionsSchema,
    UploadSchema,
)
from registry.imports.sheets import result_workbook, status_labels, template_workbook
from registry.reference.service import weapon_type_names
from registry.weapons.models import Sharing, WeaponStatus
from registry.web import NAVIGATION

blueprint = Blueprint("imports", __name__, url_prefix="/imports")
api_blueprint = ApiBlueprint("imports_api", __name__, url_prefix="/api/v1/imports",
                             description="Spreadsheet imports of the caller's agency.")

NAVIGATION.append(("imports.index", _l("Imports"), Permission.IMPORT_RECORDS, None))

PAGE_SIZE = 100
ALL_SHEETS = "all"  # the sheet choice that reads every sheet holding rows, one import each
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _load(import_id: int, action: str = "view") -> Import:
    return get_visible_or_404(current_user, Import, import_id, CHANGE if action == "change" else "view")


def _flash_error(error: DomainError) -> None:
    db.session.rollback()
    flash(str(error.message), "error")


# --- List and upload ---------------------------------------------------------------------------


@blueprint.route("/")
@permission_required(Permission.IMPORT_RECORDS)
def index():
    return _index_page()


def _index_page(status_code: int = 200):
    imports = db.session.scalars(visible(current_user, Import).order_by(Import.id.desc()).limit(100)).all()
    return render_template("imports/index.html", imports=imports, sharings=list(Sharing),
                           weapon_statuses=list(WeaponStatus)), status_code


@blueprint.route("/upload", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("imports.index")), 400
    try:
        import_ = service.upload_import(current_user, file.stream, file.filename,
                                        sharing=request.form.get("sharing"),
                                        default_status=request.form.get("default_status"))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _index_page(400)
    earlier = service.earlier_imports_of_same_file(import_)
    if earlier or len(import_.sheet_names) > 1:
        return redirect(url_for("imports.setup", import_id=import_.id))
    start_analysis_job(current_user, import_)
    return redirect(url_for("imports.view", import_id=import_.id))


@blueprint.route("/template.xlsx")
@permission_required(Permission.IMPORT_RECORDS)
def template():
    language = request.args.get("language") or (get_locale().language if get_locale() else "fr")
    record("import.template", details={"language": language})
    content = template_workbook(language)
    name = {"fr": "modele-import-armes.xlsx", "ar": "weapons-import-template-ar.xlsx"}.get(
        language, "weapons-import-template.xlsx")
    return send_file(_bytes(content), mimetype=XLSX, as_attachment=True, download_name=name)


def _bytes(content: bytes):
    import io

    return io.BytesIO(content)


# --- Sheet and columns -----------------------------------------------------------------------------


@blueprint.route("/<int:import_id>/setup", methods=["GET", "POST"])
@permission_required(Permission.IMPORT_RECORDS)
def setup(import_id: int):
    import_ = _load(import_id, "change")
    if request.values.get("sheet") == ALL_SHEETS and len(import_.sheet_names) > 1:
        return _setup_every_sheet(import_)
    earlier = service.earlier_imports_of_same_file(import_)
    preview, titles, header_row = [], [], import_.header_row
    try:
        spreadsheet = service.open_import_file(import_)
        sheet_name = request.values.get("sheet") or import_.sheet_name
        if sheet_name not in import_.sheet_names:
            sheet_name = import_.sheet_name
        sheet = spreadsheet.read_sheet(sheet_name)
        if not any(sheet.rows) and not request.values.get("sheet"):
            # An empty sheet first (a cover page): the first sheet holding rows is shown.
            filled = service.sheets_with_rows(spreadsheet)
            if filled:
                flash(_("The sheet “%(empty)s” is empty: the sheet “%(name)s” is shown.", empty=sheet_name,
                        name=filled[0]), "warning")
                sheet_name, header_row = filled[0], None
                sheet = spreadsheet.read_sheet(sheet_name)
        preview = sheet.rows[:12]
        if not header_row:
            from registry.imports.headers import find_header

            try:
                header_row = find_header(sheet).row
            except DomainError:
                header_row = 1
        titles = ["" if cell is None else str(cell) for cell in
                  (sheet.rows[header_row - 1] if header_row <= len(sheet.rows) else [])]
    except DomainError as error:
        flash(str(error.message), "error")
        sheet_name = import_.sheet_name
    mapping = import_.mapping
    if not mapping and titles:
        from registry.imports.headers import apply_mapping, map_titles

        mapping = apply_mapping(titles, service.saved_mapping(import_.agency_id)) or map_titles(titles)
    if request.method == "POST":
        chosen = {}
        for index in range(len(titles)):
            name = request.form.get(f"column_{index}", "")
            if name in FIELDS:
                chosen[index] = name
        try:
            service.choose_sheet_and_mapping(
                current_user, import_, sheet_name, chosen if "columns" in request.form else None,
                request.form.get("header_row", type=int) or None)
            start_analysis_job(current_user, import_)
        except DomainError as error:
            _flash_error(error)
            return redirect(url_for("imports.setup", import_id=import_.id))
        return redirect(url_for("imports.view", import_id=import_.id))
    return render_template("imports/setup.html", import_=import_, earlier=earlier, preview=preview,
                           titles=titles, mapping=mapping, fields=FIELDS, sheet_name=sheet_name,
                           header_row=header_row, all_sheets=ALL_SHEETS, every_sheet=None)


def _setup_every_sheet(import_: Import):
    """Every sheet of the workbook that holds rows, one import each: the list, then (POST)
    the imports made and analysed."""
    if request.method == "POST":
        try:
            made = service.import_every_sheet(current_user, import_)
            for item in made:
                start_analysis_job(current_user, item)
        except DomainError as error:
            _flash_error(error)
            return redirect(url_for("imports.setup", import_id=import_.id, sheet=ALL_SHEETS))
        flash(ngettext("%(num)d import is analysed: %(sheets)s.", "%(num)d imports are analysed, one a sheet: "
                       "%(sheets)s.", len(made), sheets=", ".join(item.sheet_name for item in made)), "success")
        return redirect(url_for("imports.index"))
    every_sheet: list[str] = []
    try:
        every_sheet = service.sheets_with_rows(service.open_import_file(import_))
    except DomainError as error:
        flash(str(error.message), "error")
    return render_template("imports/setup.html", import_=import_, earlier=[], preview=[], titles=[], mapping={},
                           fields=FIELDS, sheet_name=ALL_SHEETS, header_row=None, all_sheets=ALL_SHEETS,
                           every_sheet=every_sheet)


# --- Progress and review -------------------------------------------------------------------------


@blueprint.route("/<int:import_id>")
@permission_required(Permission.IMPORT_RECORDS)
def view(import_id: int):
    import_ = _load(import_id)
    status = request.args.get("status") or ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, has_next = [], False
    if import_.status in (ImportStatus.REVIEW, ImportStatus.APPROVED, ImportStatus.COMMITTING,
                          ImportStatus.COMMITTED, ImportStatus.FAILED):
        statement = select(ImportRow).where(ImportRow.import_id == import_.id)
        if status in STATUSES:
            statement = statement.where(ImportRow.status == status)
        elif status == "accepted":
            statement = statement.where(ImportRow.accepted.is_(True))
        rows = db.session.scalars(statement.order_by(ImportRow.row_number)
                                  .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
    from registry.weapons.hits import hits_of_import

    import_hits = hits_of_import(current_user, import_.id) if import_.status is ImportStatus.COMMITTED else []
    record("import.view", "import", import_.id, {"status": status, "page": page})
    return render_template(
        "imports/view.html", import_=import_, rows=rows, status=status, page=page, has_next=has_next,
        import_hits=import_hits,
        labels=status_labels(), statuses=STATUSES, message_text=message_text,
        earlier=service.earlier_imports_of_same_file(import_), needs_approval=service.needs_approval(import_),
        mapping_titles=[(import_.titles[index] if import_.titles and index < len(import_.titles) else "", name)
                        for index, name in import_.mapping.items()],
        fields=FIELDS, correctable=service.CORRECTABLE_FIELDS, type_names=weapon_type_names(),
        free_fields={name: label for name, label in FIELDS.items() if name not in import_.mapping.values()},
        ignore_column=service.IGNORE_COLUMN)


@blueprint.route("/<int:import_id>/rows", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def review_rows(import_id: int):
    """Bulk actions: accept or reject the chosen rows, or every row of a status."""
    import_ = _load(import_id, "change")
    action = request.form.get("action")
    row_ids = [int(value) for value in request.form.getlist("row_id") if value.isdigit()]
    scope = request.form.get("scope")
    try:
        if action not in ("accept", "reject"):
            raise DomainError(_l("Choose what to do with the rows."))
        if scope in STATUSES:
            changed = service.set_accepted(current_user, import_, None, action == "accept", status=scope)
        else:
            changed = service.set_accepted(current_user, import_, row_ids, action == "accept")
        flash(_("%(count)d rows changed.", count=changed), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id, status=request.form.get("status") or None))


@blueprint.route("/<int:import_id>/rows/<int:row_id>", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def correct(import_id: int, row_id: int):
    """Fix one row: pick a suggestion, type a field, accept or reject it."""
    import_ = _load(import_id, "change")
    row = get_visible_or_404(current_user, ImportRow, row_id, CHANGE)
    if row.import_id != import_.id:
        return render_template("errors/error.html", code=404, title=_("Not found"),
                               message=_("This page does not exist, or you may not see it.")), 404
    try:
        action = request.form.get("action", "")
        if action in ("accept", "reject"):
            service.set_accepted(current_user, import_, [row.id], action == "accept")
        elif action == "pick":
            field, _sep, target = request.form.get("suggestion", "").partition(":")
            if not target.isdigit():
                raise DomainError(_l("Choose a suggestion."))
            service.correct_row(current_user, import_, row, field, target_id=int(target))
        else:
            field = request.form.get("field", "")
            service.correct_row(current_user, import_, row, field, value=request.form.get("value", ""))
        flash(_("Row %(number)d updated.", number=row.row_number), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id, status=request.form.get("status") or None,
                            page=request.form.get("page") or None) + f"#row-{row.row_number}")


@blueprint.route("/<int:import_id>/columns/<int:index>", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def choose_column(import_id: int, index: int):
    """A column with data that no field takes: read it into a field (the sheet is analysed
    again), or ignore it."""
    import_ = _load(import_id, "change")
    try:
        if service.choose_column(current_user, import_, index, request.form.get("field", "")):
            start_analysis_job(current_user, import_)
            flash(_("The sheet is analysed again, with this column."), "success")
        else:
            flash(_("The column is ignored: its data is not imported."), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id))


@blueprint.route("/<int:import_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE)
def approve(import_id: int):
    import_ = _load(import_id)
    try:
        service.approve_import(current_user, import_)
        flash(_("Import approved: it can now be committed."), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id))


@blueprint.route("/<int:import_id>/commit", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def commit(import_id: int):
    import_ = _load(import_id, "change")
    try:
        start_commit_job(current_user, import_)
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id))


@blueprint.route("/<int:import_id>/cancel", methods=["POST"])
@permission_required(Permission.IMPORT_RECORDS)
def cancel(import_id: int):
    import_ = _load(import_id, "change")
    try:
        committing = import_.status is ImportStatus.COMMITTING
        service.cancel_import(current_user, import_)
        flash(_("The commit stops after the batch it is writing; the records written stay.") if committing
              else _("Import cancelled."), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("imports.view", import_id=import_.id))


@blueprint.route("/<int:import_id>/result.xlsx")
@permission_required(Permission.IMPORT_RECORDS)
def result(import_id: int):
    import_ = _load(import_id)
    if import_.header_row is None:
        flash(_("This import has not been analysed yet."), "error")
        return redirect(url_for("imports.view", import_id=import_.id))
    record("import.export", "import", import_.id, {"file": import_.file_name})
    stem = import_.file_name.rsplit(".", 1)[0]
    result = _("result")
    return send_file(_bytes(result_workbook(import_)), mimetype=XLSX, as_attachment=True,
                     download_name=f"{stem}-{result}.xlsx")


# --- JSON API ------------------------------------------------------------------------------------


def import_json(import_: Import) -> dict:
    """An import as the API gives it (shaped by ImportSchema)."""
    return {
        "id": import_.id, "file_name": import_.file_name, "sha256": import_.sha256,
        "agency": import_.agency.code, "status": import_.status.value, "progress": import_.progress_percent,
        "sheet": import_.sheet_name, "sheets": import_.sheet_names or [], "header_row": import_.header_row,
        "mapping": {(import_.titles[index] if import_.titles and index < len(import_.titles) else str(index)): name
                    for index, name in import_.mapping.items()},
        "counts": import_.counts or {}, "error": import_.error, "created_at": import_.created_at,
        "sharing": import_.sharing.value, "default_status": import_.default_status.value,
        "unmapped_columns": [{"column": column["title"] or f"#{column['index'] + 1}", "samples": column["samples"],
                              "filled": column["filled"], "ignored": column["ignored"]}
                             for column in import_.unmapped_columns or []],
    }


def import_row_json(row: ImportRow) -> dict:
    identification = row.identification or {}
    return {
        "row": row.row_number, "status": row.status, "accepted": row.accepted,
        "make": identification.get("make"), "model": identification.get("model"),
        "calibre": identification.get("calibre"), "type": identification.get("type"),
        "confidence": identification.get("confidence") or {},
        "messages": [message_text(item) for item in row.messages or []],
        "suggestions": identification.get("suggestions") or [],
        "record": row.weapon_reference,
    }


def _require_importer() -> None:
    # The imports are the importers' and approvers' own: anyone else finds nothing here.
    if not (current_user.can(Permission.IMPORT_RECORDS) or current_user.can(Permission.APPROVE)):
        raise ApiError(404, "not-found", _("Not found"))


@api_blueprint.route("", methods=["GET"])
@api_blueprint.arguments(CursorQuery, location="query")
@api_blueprint.response(200, ImportPageSchema)
def api_list(args: dict):
    """The imports of the caller's agency, newest first, page by page."""
    _require_importer()
    imports, next_cursor = page_of("imports", visible(current_user, Import), Import.id, args)
    record("import.api_list", details={"count": len(imports)})
    return {"items": [import_json(item) for item in imports], "next_cursor": next_cursor}


@api_blueprint.route("", methods=["POST"])
@requires(Permission.IMPORT_RECORDS)
@api_blueprint.arguments(UploadSchema, location="files")
@api_blueprint.arguments(UploadOptionsSchema, location="form")
@api_blueprint.response(202, ImportSchema)
def api_create(files: dict, options: dict):
    """Upload a spreadsheet (multipart field "file", with the fields "sharing" and
    "default_status" when not national and seized); its analysis starts at once."""
    file = files["file"]
    if not file.filename:
        raise ApiError(400, "invalid-body", _("Choose a file to upload."), field="file")
    try:
        import_ = service.upload_import(current_user, file.stream, file.filename, sharing=options.get("sharing"),
                                        default_status=options.get("default_status"))
        earlier = service.earlier_imports_of_same_file(import_)
        start_analysis_job(current_user, import_)
    except DomainError as error:
        raise domain_problem(error) from None
    data = import_json(import_)
    data["same_file_imports"] = [item.id for item in earlier]
    return data


@api_blueprint.route("/<int:import_id>", methods=["GET"])
@api_blueprint.response(200, ImportSchema)
def api_show(import_id: int):
    """An import: status, progress, counts."""
    _require_importer()
    import_ = _load(import_id)
    record("import.view", "import", import_.id, {"via": "api"})
    data = import_json(import_)
    data["row_total"] = db.session.scalar(select(func.count()).where(ImportRow.import_id == import_.id))
    return data


@api_blueprint.route("/<int:import_id>/rows", methods=["GET"])
@api_blueprint.arguments(ImportRowsQuery, location="query")
@api_blueprint.response(200, ImportRowPageSchema)
def api_rows(args: dict, import_id: int):
    """The rows of an import in sheet order, with their identification and messages, page by page."""
    _require_importer()
    import_ = _load(import_id)
    statement = select(ImportRow).where(ImportRow.import_id == import_.id)
    rows, next_cursor = page_of(f"import-rows:{import_.id}", statement, ImportRow.row_number, args,
                                descending=False)
    record("import.view", "import", import_.id, {"via": "api", "rows": len(rows)})
    return {"items": [import_row_json(row) for row in rows], "next_cursor": next_cursor}
