"""Pages of the trace requests: inbox and outbox, the request page and its actions, the
form to start a trace, the printable request, the dashboard; and the JSON API."""

import hashlib
import json

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from registry import web
from registry.api.framework import ApiBlueprint, ApiError, domain_problem, page_of, requires
from registry.audit.service import record
from registry.auth.countries import country_choices
from registry.auth.decorators import permission_required
from registry.auth.models import Agency, Country
from registry.auth.roles import Permission
from registry.auth.scoping import get_visible, get_visible_or_404, visible
from registry.errors import DomainError, NotAllowed, errors_by_field
from registry.extensions import db, utcnow
from registry.tracing import attachments as files
from registry.tracing import service
from registry.tracing.forms import (
    AttachmentForm,
    ContentForm,
    MessageForm,
    TraceRequestForm,
    outcome_choices,
    reason_choices,
)
from registry.tracing.models import TraceAttachment, TraceRequest
from registry.tracing.schemas import (
    MOVE_PARAMETER,
    MOVES,
    TraceCreateSchema,
    TraceListQuery,
    TraceMoveSchema,
    TracePageSchema,
    TraceSchema,
)
from registry.tracing.workflow import Action, Side, Status, Urgency

blueprint = Blueprint("tracing", __name__, url_prefix="/tracing")
api_blueprint = ApiBlueprint("tracing_api", __name__, url_prefix="/api/v1/traces",
                             description="Trace requests between states.")
PAGE_SIZE = 50

web.NAVIGATION.append(("tracing.inbox", _l("Traces received"), Permission.READ_RECORDS, "traces_inbox"))
web.NAVIGATION.append(("tracing.outbox", _l("Traces sent"), Permission.READ_RECORDS, "traces_outbox"))
web.NAVIGATION.append(("tracing.dashboard", _l("Tracing figures"), Permission.READ_RECORDS, None))
web.COUNTERS["traces_inbox"] = service.count_inbox
web.COUNTERS["traces_outbox"] = service.count_outbox


EVENT_LABELS = {
    "create": _l("Created as a draft"),
    "edit": _l("Content completed"),
    "attachment": _l("Document added"),
    "remind_acknowledge": _l("Reminder: acknowledgement overdue"),
    "remind_answer": _l("Reminder: answer overdue"),
} | {action.value: action.label for action in Action}


@blueprint.context_processor
def tracing_helpers():
    def event_label(event) -> str:
        label = str(EVENT_LABELS.get(event.action, event.action))
        if event.from_status != event.to_status and event.to_status:
            label += f" → {Status(event.to_status).label}"
        return label

    return {"event_label": event_label}


# --- Lists ----------------------------------------------------------------------------


def _filters() -> dict:
    return {key: request.args.get(key, "").strip() for key in ("status", "country", "overdue", "urgency")}


def _filtered(box: str, filters: dict):
    """The user's agency's received (inbox) or sent (outbox) requests, with the list filters."""
    statement = visible(current_user, TraceRequest)
    if box == "inbox":
        statement = statement.where(TraceRequest.requested_agency_id == current_user.agency_id,
                                    TraceRequest.status.not_in([Status.DRAFT, Status.AWAITING_APPROVAL]))
        other = TraceRequest.requesting_country_code
    else:
        statement = statement.where(TraceRequest.requesting_agency_id == current_user.agency_id)
        other = TraceRequest.requested_country_code
    if filters["status"] in {item.value for item in Status}:
        statement = statement.where(TraceRequest.status == filters["status"])
    if filters["country"]:
        statement = statement.where(other == filters["country"].upper()[:2])
    if filters["urgency"] in {item.value for item in Urgency}:
        statement = statement.where(TraceRequest.urgency == filters["urgency"])
    if filters["overdue"]:
        statement = statement.where(service.overdue_condition(utcnow()))
    return statement


def _list(box: str):
    filters = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    traces = db.session.scalars(
        _filtered(box, filters).order_by(TraceRequest.id.desc()).limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).unique().all()
    record("trace.inbox" if box == "inbox" else "trace.outbox",
           details={key: value for key, value in filters.items() if value} | {"page": page})
    return render_template("tracing/list.html", box=box, traces=traces[:PAGE_SIZE], filters=filters,
                           page=page, has_next=len(traces) > PAGE_SIZE, statuses=list(Status),
                           urgencies=list(Urgency), now=utcnow(), countries=_countries())


@blueprint.route("/inbox")
@permission_required(Permission.READ_RECORDS)
def inbox():
    return _list("inbox")


@blueprint.route("/outbox")
@permission_required(Permission.READ_RECORDS)
def outbox():
    return _list("outbox")


def _countries() -> dict:
    return {country.code: country for country in db.session.scalars(select(Country))}


# --- Starting a trace -----------------------------------------------------------------


def _choices(weapons) -> tuple[list, list]:
    """Countries that have an agency (suggested ones first) and their active agencies."""
    agencies = db.session.scalars(
        select(Agency).where(Agency.active.is_(True), Agency.country_code != current_user.country_code)
        .order_by(Agency.country_code, Agency.code)).all()
    codes = sorted({agency.country_code for agency in agencies})
    countries = _countries()
    suggested = [code for code in service.suggested_countries(weapons) if code != current_user.country_code]
    ordered = [code for code in suggested if code in codes] + [code for code in codes if code not in suggested]
    country_choices = [(code, f"{countries[code].name} ({code})"
                        + (" ★" if code in suggested else "")) for code in ordered]
    agency_choices = [(str(agency.id), f"{agency.country_code} — {agency.code} — {agency.name}")
                      for agency in agencies]
    return country_choices, agency_choices


def _from_hit(hit_id):
    """The weapon and the agency a hit points to: the user's own record that hit, else the
    hit record; addressed to the other agency of the hit (the state that owns the record)."""
    from registry.weapons.models import Hit

    hit = get_visible_or_404(current_user, Hit, hit_id)
    weapon_id = hit.source_weapon_id or hit.hit_weapon_id
    other = hit.owner_agency if hit.owner_agency_id != current_user.agency_id else hit.searcher_agency
    return [weapon_id], other


@blueprint.route("/new", methods=["GET", "POST"])
@permission_required(Permission.SEND_TRACES)
def new():
    from registry.weapons.models import Weapon

    weapon_ids = request.values.getlist("weapon")
    form = TraceRequestForm()
    if request.method == "GET" and request.args.get("hit"):
        weapon_ids, agency = _from_hit(request.args.get("hit"))
        form.requested_country_code.data = agency.country_code
        form.requested_agency_id.data = str(agency.id)
    weapons = [weapon for weapon in (get_visible(current_user, Weapon, value) for value in weapon_ids)
               if weapon is not None]
    if len(weapons) < len(set(weapon_ids)):
        flash(_("A weapon record does not exist or you may not see it."), "error")
    form.set_choices(*_choices(weapons))
    if request.method == "GET" and not form.requested_country_code.data:
        suggested = [code for code in service.suggested_countries(weapons) if code != current_user.country_code]
        if suggested:
            form.requested_country_code.data = suggested[0]
    if form.validate_on_submit():
        try:
            trace = service.create_trace_request(
                current_user, weapon_ids=weapon_ids,
                requested_country_code=form.requested_country_code.data,
                requested_agency_id=form.requested_agency_id.data or None, urgency=form.urgency.data,
                **{name: getattr(form, name).data for name in service.CONTENT_FIELDS})
            if request.form.get("then") == "send":
                service.send(current_user, trace)
        except DomainError as error:
            db.session.rollback()
            for name, messages in errors_by_field(error).items():
                target = getattr(form, name or "", None)
                if target is not None and hasattr(target, "errors") and name != "weapon_ids":
                    target.errors = list(target.errors) + messages
                else:
                    for message in messages:
                        flash(message, "error")
            weapons = [w for w in (get_visible(current_user, Weapon, v) for v in weapon_ids) if w]
            return render_template("tracing/new.html", form=form, weapons=weapons), 400
        if trace.status == Status.SENT:
            flash(_("Trace request %(reference)s sent.", reference=trace.reference), "success")
        elif trace.status == Status.AWAITING_APPROVAL:
            flash(_("Trace request %(reference)s saved and passed to a supervisor for approval.",
                    reference=trace.reference), "success")
        else:
            flash(_("Trace request %(reference)s saved as a draft.", reference=trace.reference), "success")
        return redirect(url_for("tracing.show", trace_id=trace.id))
    if request.method == "POST":
        return render_template("tracing/new.html", form=form, weapons=weapons), 400
    record("trace.new_form", details={"weapons": [weapon.id for weapon in weapons]})
    return render_template("tracing/new.html", form=form, weapons=weapons)


# --- The request page -----------------------------------------------------------------


@blueprint.route("/<int:trace_id>")
@permission_required(Permission.READ_RECORDS)
def show(trace_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    record("trace.view", "trace_request", trace.id, {"reference": trace.reference})
    return _show(trace)


# Labels of the fields of the moves' forms, for the summary of their errors.
MOVE_FIELDS = {
    "reason": _l("Reason"), "outcome": _l("Outcome"), "answer_text": _l("Answer"),
    "last_legal_holder": _l("Last legal holder"), "last_legal_holder_country_code": _l("Its country"),
    "exporter": _l("Exporter"), "exporter_country_code": _l("Country of export"),
    "export_date": _l("Export date"), "importer": _l("Last legal importer"),
    "importer_country_code": _l("Country of last legal import"), "import_date": _l("Import date"),
    "note": _l("Note"),
}


def _show(trace: TraceRequest, posted_action: str | None = None, posted: dict | None = None,
          error: DomainError | None = None, status: int = 200):
    """The request's page; after a refused move, with what was typed and every error."""
    content_form = None
    if trace.status in (Status.DRAFT, Status.INFO_REQUESTED) and service.side_of(current_user, trace) == \
            Side.REQUESTING and current_user.can(Permission.SEND_TRACES):
        content_form = ContentForm(obj=trace)
        content_form.set_choices()
        content_form.urgency.data = trace.urgency.value
    errors = errors_by_field(error) if error is not None else {}
    problems = []
    for name, messages in errors.items():
        target = f"{name}-{posted_action}" if name in ("reason", "note") else name
        for message in messages:
            label = MOVE_FIELDS.get(name) or service.REQUIRED_TO_SEND.get(name, "")
            problems.append((target or "actions", label, message))
    return render_template(
        "tracing/show.html", trace=trace, moves=service.moves_for(current_user, trace),
        side=service.side_of(current_user, trace), can_write=service.can_write(current_user, trace),
        message_form=MessageForm(), attachment_form=AttachmentForm(), content_form=content_form,
        reasons=reason_choices(), outcomes=outcome_choices(), countries=_countries(), now=utcnow(),
        Action=Action, posted_action=posted_action, posted=posted or {}, errors=errors,
        problems=problems, country_list=country_choices(), thread=service.conversation(trace),
        waiting=service.waiting_for(trace), event_labels=EVENT_LABELS), status


@blueprint.route("/<int:trace_id>/content", methods=["POST"])
@permission_required(Permission.SEND_TRACES)
def edit(trace_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    form = ContentForm()
    form.set_choices()
    if not form.validate_on_submit():
        flash(_("Check the texts: one of them is too long."), "error")
        return redirect(url_for("tracing.show", trace_id=trace.id))
    try:
        service.update_request(current_user, trace, urgency=form.urgency.data,
                               **{name: getattr(form, name).data for name in service.CONTENT_FIELDS})
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("The request is saved."), "success")
    return redirect(url_for("tracing.show", trace_id=trace_id))


@blueprint.route("/<int:trace_id>/<action>", methods=["POST"])
@permission_required(Permission.READ_RECORDS)
def move(trace_id: int, action: str):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    if action not in {item.value for item in Action}:
        abort(404)
    try:
        service.perform(current_user, trace, action, request.form.to_dict())
    except NotAllowed as error:
        db.session.rollback()
        return render_template("errors/error.html", code=403, title=_("Not allowed"),
                               message=str(error.message)), 403
    except DomainError as error:
        db.session.rollback()
        # The page comes back with everything typed and every error next to its field.
        trace = get_visible_or_404(current_user, TraceRequest, trace_id)
        return _show(trace, action, request.form.to_dict(), error, 400)
    flash(_confirmation(trace, Action(action)), "success")
    return redirect(url_for("tracing.show", trace_id=trace_id))


# What each move did, in the words of the one who made it.
DONE = {
    Action.SEND: _l("Trace request %(reference)s sent to %(state)s."),
    Action.APPROVE: _l("Trace request %(reference)s approved and sent to %(state)s."),
    Action.SEND_BACK: _l("Trace request %(reference)s sent back to its author as a draft."),
    Action.ACKNOWLEDGE: _l("Receipt of %(reference)s acknowledged: %(state)s is told."),
    Action.REQUEST_INFORMATION: _l("Your question on %(reference)s was sent to %(state)s; the "
                                   "answer's deadline waits until the information comes."),
    Action.RESEND: _l("The information asked for was sent to %(state)s with %(reference)s; the "
                      "answer's deadline runs again."),
    Action.RESTRICT: _l("The answer to %(reference)s is delayed or restricted; %(state)s is told why."),
    Action.ANSWER: _l("Your answer to %(reference)s was sent to %(state)s."),
    Action.DECLINE: _l("Trace request %(reference)s declined; %(state)s is told why."),
    Action.WITHDRAW: _l("Trace request %(reference)s withdrawn; %(state)s is told."),
    Action.ACCEPT: _l("Answer to %(reference)s accepted: the request is closed."),
}


def _confirmation(trace: TraceRequest, action: Action) -> str:
    mine = service.side_of(current_user, trace)
    other = trace.requesting_country_code if mine == Side.REQUESTED else trace.requested_country_code
    country = db.session.get(Country, other)
    return str(DONE[action]) % {"reference": trace.reference, "state": country.name if country else other}


@blueprint.route("/<int:trace_id>/messages", methods=["POST"])
@permission_required(Permission.READ_RECORDS)
def message(trace_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    try:
        service.add_message(current_user, trace, request.form.get("body", ""))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(_("Message sent."), "success")
    return redirect(url_for("tracing.show", trace_id=trace_id) + "#thread")


@blueprint.route("/<int:trace_id>/attachments", methods=["POST"])
@permission_required(Permission.READ_RECORDS)
def attachment_upload(trace_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise DomainError(_l("Choose a file."), field="file")
        data = upload.read(files.max_size() + 1)
        service.add_attachment(current_user, trace, upload.filename, data, request.form.get("description", ""))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("tracing.show", trace_id=trace_id) + "#attachments", 303)
    flash(_("Document added."), "success")
    return redirect(url_for("tracing.show", trace_id=trace_id) + "#attachments")


@blueprint.route("/<int:trace_id>/attachments/<int:attachment_id>")
@permission_required(Permission.READ_RECORDS)
def attachment(trace_id: int, attachment_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    item = db.session.get(TraceAttachment, attachment_id)
    if item is None or item.trace_request_id != trace.id:
        abort(404)
    path = files.stored_path(item.storage_path)
    if not path.exists():
        abort(404)
    record("trace.attachment_download", "trace_request", trace.id,
           {"attachment_id": item.id, "sha256": item.sha256})
    response = send_file(path, mimetype=item.content_type, download_name=item.filename,
                         as_attachment=item.content_type == "application/pdf", max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def document(trace: TraceRequest) -> tuple[dict, str]:
    """What the printed request says, and its SHA-256: the other side can check the copy
    it received through another channel against the registry."""
    content = {
        "reference": trace.reference,
        "requesting_agency": trace.requesting_agency.code, "requested_agency": trace.requested_agency.code,
        "requesting_country": trace.requesting_country_code, "requested_country": trace.requested_country_code,
        "urgency": trace.urgency.value, "sent_at": trace.sent_at.isoformat() if trace.sent_at else None,
        "weapons": [item.description for item in trace.weapons],
        **{name: getattr(trace, name) for name in service.CONTENT_FIELDS},
        "status": trace.status.value, "outcome": trace.outcome.value if trace.outcome else None,
        "reason": trace.reason.value if trace.reason else None, "reason_note": trace.reason_note,
        **{name: (value.isoformat() if hasattr(value, "isoformat") else value)
           for name, value in ((name, getattr(trace, name)) for name in service.ANSWER_FIELDS)},
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()
    return content, hashlib.sha256(canonical).hexdigest()


@blueprint.route("/<int:trace_id>/print")
@permission_required(Permission.READ_RECORDS)
def printable(trace_id: int):
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    _content, checksum = document(trace)
    record("trace.print", "trace_request", trace.id, {"reference": trace.reference, "sha256": checksum})
    return render_template("tracing/print.html", trace=trace, checksum=checksum, countries=_countries(),
                           printed_at=utcnow())


@blueprint.route("/dashboard")
@permission_required(Permission.READ_RECORDS)
def dashboard():
    rows = service.figures(current_user)
    record("trace.dashboard")
    return render_template("tracing/dashboard.html", rows=rows)


# --- JSON API -------------------------------------------------------------------------


def trace_json(trace: TraceRequest, full: bool = False) -> dict:
    """A request as the API gives it (shaped by TraceSummarySchema or TraceSchema)."""
    data = {
        "id": trace.id, "reference": trace.reference, "status": trace.status.value,
        "urgency": trace.urgency.value,
        "requesting_country": trace.requesting_country_code, "requesting_agency": trace.requesting_agency.code,
        "requested_country": trace.requested_country_code, "requested_agency": trace.requested_agency.code,
        "created_at": trace.created_at, "sent_at": trace.sent_at,
        "acknowledge_due": trace.acknowledge_due, "answer_due": trace.answer_due,
        "acknowledged_at": trace.acknowledged_at, "answered_at": trace.answered_at,
        "overdue": trace.overdue(), "outcome": trace.outcome.value if trace.outcome else None,
    }
    if full:
        _content, checksum = document(trace)
        data |= {name: getattr(trace, name) for name in service.CONTENT_FIELDS + service.ANSWER_FIELDS}
        data["reason"] = trace.reason.value if trace.reason else None
        data["reason_note"] = trace.reason_note
        data["weapons"] = [{"weapon_id": item.weapon_id, "description": item.description}
                           for item in trace.weapons]
        data["sha256"] = checksum
        data["history"] = [{"action": event.action, "from_status": event.from_status,
                            "to_status": event.to_status, "at": event.occurred_at, "note": event.note}
                           for event in trace.events]
        data["messages"] = [{"agency": m.agency.code, "at": m.created_at, "body": m.body}
                            for m in trace.messages]
        data["actions"] = [move.action.value for move in service.moves_for(current_user, trace)]
    return data


@api_blueprint.route("", methods=["GET"])
@api_blueprint.arguments(TraceListQuery, location="query")
@api_blueprint.response(200, TracePageSchema)
def api_list(args: dict):
    """Trace requests the user's agency sent and received, newest first, page by page."""
    box = args["box"]
    if box:
        filters = {key: str(args.get(key) or "") for key in ("status", "country", "urgency")}
        filters["overdue"] = "1" if args.get("overdue") else ""
        statement = _filtered(box, filters)
    else:
        statement = visible(current_user, TraceRequest).where(
            or_(TraceRequest.requesting_agency_id == current_user.agency_id,
                TraceRequest.requested_agency_id == current_user.agency_id))
    traces, next_cursor = page_of(f"traces:{box}", statement, TraceRequest.id, args)
    record("trace.api_list", details={"box": box, "count": len(traces)})
    return {"items": [trace_json(trace) for trace in traces], "next_cursor": next_cursor}


@api_blueprint.route("", methods=["POST"])
@requires(Permission.SEND_TRACES, _l("Your role does not allow sending trace requests."))
@api_blueprint.arguments(TraceCreateSchema)
@api_blueprint.response(201, TraceSchema)
def api_create(data: dict):
    """Create a draft trace request (weapons, requested country, the ITI texts); `send` sends it."""
    try:
        trace = service.create_trace_request(
            current_user, weapon_ids=data["weapon_ids"],
            requested_country_code=data["requested_country_code"],
            requested_agency_id=data.get("requested_agency_id"), urgency=data["urgency"],
            **{name: data[name] for name in service.CONTENT_FIELDS})
        if data["send"]:
            service.send(current_user, trace)
    except DomainError as error:
        raise domain_problem(error) from None
    return trace_json(trace, full=True)


@api_blueprint.route("/<int:trace_id>", methods=["GET"])
@api_blueprint.response(200, TraceSchema)
def api_show(trace_id: int):
    """One trace request with its weapons, history and thread."""
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    record("trace.view", "trace_request", trace.id, {"reference": trace.reference, "via": "api"})
    return trace_json(trace, full=True)


@api_blueprint.route("/<int:trace_id>/<action>", methods=["POST"], parameters=[MOVE_PARAMETER])
@api_blueprint.arguments(TraceMoveSchema)
@api_blueprint.response(200, TraceSchema)
def api_move(data: dict, trace_id: int, action: str):
    """Move a trace request, or write a message in its thread.

    The moves: send, approve, acknowledge, answer, decline, accept...; `message` writes
    `body` in the thread."""
    if action not in MOVES:
        raise ApiError(400, "invalid-body", _("Unknown action on a trace request."), field="action")
    trace = get_visible_or_404(current_user, TraceRequest, trace_id)
    try:
        if action == "message":
            service.add_message(current_user, trace, data.get("body") or "")
        else:
            service.perform(current_user, trace, action, data)
    except DomainError as error:
        raise domain_problem(error) from None
    return trace_json(trace, full=True)
