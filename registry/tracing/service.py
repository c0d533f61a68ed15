"""Trace requests: creating, sending, answering, closing. Views, the API and the command
line call these functions; each takes the acting user and plain values, writes a history
row and an audit event, tells both agencies, and never commits."""

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from registry.audit.service import record
from registry.auth.models import Agency, Country, User
from registry.auth.roles import Permission
from registry.auth.scoping import CHANGE, get_visible, visible
from registry.errors import DomainError, NotAllowed, Problems
from registry.extensions import db, utcnow
from registry.inputs import parse_date
from registry.tracing import attachments as files
from registry.tracing.models import (
    TraceAttachment,
    TraceEvent,
    TraceMessage,
    TraceReferenceCounter,
    TraceRequest,
    TraceWeapon,
)
from registry.tracing.workflow import (
    ANSWER_OUTCOMES,
    AWAITING_ANSWER,
    FINAL_STATUSES,
    Action,
    Outcome,
    Reason,
    Side,
    Status,
    Urgency,
    available_moves,
    check_move,
    due_dates,
    is_overdue,
)

# The ITI content a request must carry before it leaves the agency.
REQUIRED_TO_SEND = {
    "illicit_reason": _l("Why the weapon is considered illicit"),
    "recovery_circumstances": _l("Circumstances of recovery"),
    "information_sought": _l("Information sought"),
}
CONTENT_FIELDS = ("illicit_reason", "legal_basis", "recovery_circumstances", "information_sought",
                  "intended_use", "confidentiality")
ANSWER_FIELDS = ("answer_text", "last_legal_holder", "last_legal_holder_country_code", "exporter",
                 "exporter_country_code", "export_date", "importer", "importer_country_code",
                 "import_date")
MAX_TEXT = 10_000


# --- Who is who -----------------------------------------------------------------------


def side_of(user: User, trace: TraceRequest) -> Side | None:
    """The side of the request the user acts for: its agency sent it, or must answer it."""
    if user.agency_id == trace.requesting_agency_id:
        return Side.REQUESTING
    if user.agency_id == trace.requested_agency_id:
        return Side.REQUESTED
    return None


def moves_for(user: User, trace: TraceRequest):
    """The workflow moves the user may make on the request now (the buttons of its page)."""
    return available_moves(trace.status, side_of(user, trace), user.can,
                           trace.requesting_agency.requires_trace_approval)


def can_write(user: User, trace: TraceRequest) -> bool:
    """Messages and attachments: the two agencies' tracing officers, while the request is open."""
    side = side_of(user, trace)
    if side is None or trace.status in FINAL_STATUSES:
        return False
    return user.can(Permission.SEND_TRACES if side == Side.REQUESTING else Permission.ANSWER_TRACES)


def focal_point(country_code: str) -> Agency | None:
    """The agency that receives a country's traces: its tracing focal point, else its national
    commission, else its first active agency."""
    agencies = db.session.scalars(
        select(Agency).where(Agency.country_code == country_code, Agency.active.is_(True))
        .order_by(Agency.is_tracing_focal_point.desc(), Agency.id)
    ).all()
    for agency in agencies:
        if agency.is_tracing_focal_point:
            return agency
    for agency in agencies:
        if agency.kind == "national_commission":
            return agency
    return agencies[0] if agencies else None


def suggested_countries(weapons) -> list[str]:
    """Where to send a trace first (docs/trace-workflow.md): the country of last legal import,
    then the country of manufacture, read from the records and their identification."""
    suggestions: list[str] = []
    for weapon in weapons:
        for code in (weapon.last_import_country_code, weapon.manufacture_country_code,
                     _make_country(weapon)):
            if code and code not in suggestions:
                suggestions.append(code)
    return suggestions


def _make_country(weapon) -> str | None:
    if not weapon.make_id:
        return None
    try:
        from registry.reference.models import Make
    except ImportError:  # the reference table is optional for suggestions
        return None
    make = db.session.get(Make, weapon.make_id)
    return getattr(make, "country_code", None)


# --- Creating -------------------------------------------------------------------------


def _clean_text(fields: dict) -> dict:
    cleaned = {}
    for name in CONTENT_FIELDS:
        if name in fields:
            value = (fields[name] or "").strip()
            if len(value) > MAX_TEXT:
                raise DomainError(_l("This text is too long (at most %(count)d characters).",
                                     count=MAX_TEXT), field=name)
            cleaned[name] = value
    return cleaned


def _weapons_for(actor: User, weapon_ids) -> list:
    from registry.weapons.models import Weapon

    ids = []
    for value in weapon_ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise DomainError(_l("“%(value)s” is not a weapon record number.", value=str(value)[:40]),
                              field="weapon_ids") from None
        if number not in ids:
            ids.append(number)
    if not ids:
        raise DomainError(_l("A trace request needs at least one weapon record."), field="weapon_ids")
    weapons = []
    for number in ids:
        weapon = get_visible(actor, Weapon, number)
        if weapon is None:
            raise DomainError(_l("Weapon record %(id)s does not exist or you may not see it.", id=number),
                              field="weapon_ids")
        weapons.append(weapon)
    return weapons


def create_trace_request(actor: User, *, weapon_ids, requested_country_code: str,
                         requested_agency_id: int | None = None, urgency: str = Urgency.NORMAL,
                         **content) -> TraceRequest:
    """A draft trace request from the actor's agency to another state about visible weapons."""
    if not actor.can(Permission.SEND_TRACES):
        raise NotAllowed(_l("Your role does not allow sending trace requests."))
    code = (requested_country_code or "").strip().upper()
    country = db.session.get(Country, code) if code else None
    if country is None:
        raise DomainError(_l("Choose the state the request is addressed to."), field="requested_country_code")
    if code == actor.country_code:
        raise DomainError(_l("A trace request goes to another state: check your own national records "
                             "instead."), field="requested_country_code")
    if requested_agency_id:
        agency = db.session.get(Agency, int(requested_agency_id))
        if agency is None or agency.country_code != code or not agency.active:
            raise DomainError(_l("This agency is not an active agency of %(country)s.", country=country.name),
                              field="requested_agency_id")
    else:
        agency = focal_point(code)
        if agency is None:
            raise DomainError(_l("%(country)s has no agency in the registry: its traces must go through "
                                 "other channels (INTERPOL, diplomatic letter).", country=country.name),
                              field="requested_country_code")
    try:
        urgency = Urgency(urgency or Urgency.NORMAL)
    except ValueError:
        raise DomainError(_l("Unknown urgency."), field="urgency") from None
    weapons = _weapons_for(actor, weapon_ids)
    text = _clean_text(content)

    year = utcnow().year
    number = _next_number(actor.country_code, year)
    trace = TraceRequest(
        reference=f"TR-{actor.country_code}-{year}-{number:04d}",
        reference_year=year, sequence_number=number,
        requesting_country_code=actor.country_code, requesting_agency_id=actor.agency_id,
        created_by_id=actor.id, requested_country_code=code, requested_agency_id=agency.id,
        status=Status.DRAFT, urgency=urgency, **{name: "" for name in CONTENT_FIELDS} | text,
    )
    trace.weapons = [TraceWeapon(weapon_id=weapon.id, description=describe_weapon(weapon))
                     for weapon in weapons]
    db.session.add(trace)
    db.session.flush()
    _history(trace, actor, "create", None, Status.DRAFT)
    record("trace.create", "trace_request", trace.id,
           {"reference": trace.reference, "to": code, "weapons": [w.id for w in weapons]}, user=actor)
    return trace


def _next_number(country_code: str, year: int) -> int:
    """The next request number of the country and year. Numbers are reserved by
    `UPDATE ... SET last = last + 1` in the creating transaction, so two writers never get
    the same one (the second waits for the first); a rolled-back request leaves a gap."""
    for _attempt in range(5):
        reserved = db.session.execute(
            update(TraceReferenceCounter)
            .where(TraceReferenceCounter.country_code == country_code, TraceReferenceCounter.year == year)
            .values(last=TraceReferenceCounter.last + 1)
            .returning(TraceReferenceCounter.last)
        ).scalar()
        if reserved is not None:
            return reserved
        try:
            with db.session.begin_nested():
                db.session.add(TraceReferenceCounter(country_code=country_code, year=year, last=1))
            return 1
        except IntegrityError:
            continue  # another writer created the counter first: reserve on it
    raise DomainError(_l("The request number could not be reserved. Try again."))


def describe_weapon(weapon) -> dict:
    """The description and markings of a weapon, as copied into a request at sending."""
    def value(name):
        item = getattr(weapon, name, None)
        if item is None:
            return None
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        return getattr(item, "value", item)

    names = ("reference", "country_code", "status", "raw_make", "raw_model", "raw_calibre", "raw_type",
             "raw_serial", "serial_key", "serial_state", "marking_importer", "marking_proof",
             "marking_year", "marking_other", "manufacture_country_code", "last_import_country_code",
             "event_date", "event_town", "event_region", "event_country_code", "case_reference",
             "legal_ground")
    description = {name: value(name) for name in names}
    description.update(_identified_names(weapon))
    return description


def _identified_names(weapon) -> dict:
    """Canonical make, model, calibre and type names from the reference table, when known."""
    try:
        from registry.reference import models as reference
    except ImportError:
        return {}
    names = {}
    for field, class_name in (("make", "Make"), ("model", "Model"), ("calibre", "Calibre"),
                              ("type", "WeaponType")):
        identifier = getattr(weapon, f"{field}_id", None)
        model = getattr(reference, class_name, None)
        if identifier and model is not None:
            item = db.session.get(model, identifier)
            label = getattr(item, "name", None) or getattr(item, "name_en", None)
            if label:
                names[field] = label
    return names


def update_request(actor: User, trace: TraceRequest, *, urgency: str | None = None, **content) -> None:
    """Complete the content of a draft, or of a request the other side asked information about."""
    if side_of(actor, trace) != Side.REQUESTING or not actor.can(Permission.SEND_TRACES):
        raise NotAllowed(_l("Only the requesting agency's tracing officers may edit the request."))
    if trace.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        raise DomainError(_l("A request is edited only as a draft or when information was asked for."))
    changes = {}
    for name, value in _clean_text(content).items():
        if getattr(trace, name) != value:
            changes[name] = value
            setattr(trace, name, value)
    if urgency and trace.status == Status.DRAFT:
        try:
            new = Urgency(urgency)
        except ValueError:
            raise DomainError(_l("Unknown urgency."), field="urgency") from None
        if new != trace.urgency:
            trace.urgency = new
            changes["urgency"] = new.value
    if changes:
        _history(trace, actor, "edit", trace.status, trace.status, ", ".join(sorted(changes)))
        record("trace.update", "trace_request", trace.id, {"fields": sorted(changes)}, user=actor)


# --- Moves ----------------------------------------------------------------------------


def _move(actor: User, trace: TraceRequest, action: Action, *, note: str = "",
          reason: str | None = None) -> Status:
    """Check the move, apply the new status, write history and audit, tell both sides."""
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise DomainError(_l("This text is too long (at most %(count)d characters).", count=MAX_TEXT),
                          field="note")
    before = trace.status
    target = check_move(action, before, side_of(actor, trace), actor.can,
                        requires_approval=trace.requesting_agency.requires_trace_approval,
                        note=note, reason=reason)
    trace.status = target
    _history(trace, actor, action.value, before, target, note)
    record(f"trace.{action.value}", "trace_request", trace.id,
           {"reference": trace.reference, "from": before.value, "to": target.value}
           | ({"reason": reason} if reason else {}), user=actor)
    _notify_both(trace, action.value, _NOTIFICATION_MESSAGES.get(action.value, _STATUS_CHANGED),
                 {"reference": trace.reference, "status": target.value})
    return target


def _check_ready_to_send(trace: TraceRequest) -> None:
    """Every part the ITI needs is there: each one missing is named at once, by its field."""
    problems = Problems()
    for name, label in REQUIRED_TO_SEND.items():
        if not getattr(trace, name).strip():
            problems.add(_l("Complete the request before sending it: %(fields)s.", fields=str(label)),
                         field=name)
    if not trace.weapons:
        problems.add(_l("A trace request needs at least one weapon record."))
    problems.raise_if_any()


def _start_clock(trace: TraceRequest) -> None:
    """Sending fixes the weapons' description and starts the due dates of the requested state."""
    from registry.weapons.models import Weapon

    now = utcnow()
    trace.sent_at = now
    for item in trace.weapons:
        weapon = db.session.get(Weapon, item.weapon_id)
        if weapon is not None:
            item.description = describe_weapon(weapon)
    country = db.session.get(Country, trace.requested_country_code)
    trace.acknowledge_due, trace.answer_due = due_dates(
        now, country.trace_acknowledge_days, country.trace_answer_days, trace.urgency)
    trace.reminded_for = trace.reminded_at = None


def send(actor: User, trace: TraceRequest, note: str = "") -> TraceRequest:
    """Send a draft to the requested state, or to the agency's supervisor when it must approve."""
    _check_ready_to_send(trace)
    target = _move(actor, trace, Action.SEND, note=note)
    if target == Status.SENT:
        _start_clock(trace)
    return trace


def approve(actor: User, trace: TraceRequest, note: str = "") -> TraceRequest:
    """A supervisor approves an outgoing request: it leaves for the requested state."""
    _check_ready_to_send(trace)
    _move(actor, trace, Action.APPROVE, note=note)
    _start_clock(trace)
    return trace


def send_back(actor: User, trace: TraceRequest, note: str) -> TraceRequest:
    """A supervisor returns an outgoing request to draft, saying what to change."""
    _move(actor, trace, Action.SEND_BACK, note=note)
    return trace


def acknowledge(actor: User, trace: TraceRequest, note: str = "") -> TraceRequest:
    """The requested state acknowledges receipt."""
    _move(actor, trace, Action.ACKNOWLEDGE, note=note)
    trace.acknowledged_at = utcnow()
    return trace


def request_information(actor: User, trace: TraceRequest, note: str) -> TraceRequest:
    """The requested state asks the requester for more (a photo of the markings...). Asking
    shows the request was received, so it counts as the acknowledgement if none was given."""
    _move(actor, trace, Action.REQUEST_INFORMATION, note=note)
    if trace.acknowledged_at is None:
        trace.acknowledged_at = utcnow()
    return trace


def resend(actor: User, trace: TraceRequest, note: str = "", **content) -> TraceRequest:
    """The requester completes the request and sends it back to the requested state."""
    if content:
        update_request(actor, trace, **content)
    _check_ready_to_send(trace)
    asked_at = _last_information_request(trace)
    _move(actor, trace, Action.RESEND, note=note)
    # The answer's clock stood still while the requested state waited for the information.
    if asked_at is not None and trace.answer_due is not None:
        trace.answer_due = trace.answer_due + max(utcnow() - _aware(asked_at), timedelta(0))
    return trace


def _last_information_request(trace: TraceRequest) -> datetime | None:
    asked = [event.occurred_at for event in trace.events if event.action == Action.REQUEST_INFORMATION.value]
    return max(asked) if asked else None


# What the thread of a request shows besides its messages: the moves that say something
# to the other side (a question, an answer, a refusal, the information sent back).
CONVERSATION_ACTIONS = frozenset({
    Action.SEND.value, Action.APPROVE.value, Action.ACKNOWLEDGE.value,
    Action.REQUEST_INFORMATION.value, Action.RESEND.value, Action.RESTRICT.value,
    Action.ANSWER.value, Action.DECLINE.value, Action.WITHDRAW.value, Action.ACCEPT.value,
})


@dataclass(frozen=True)
class ThreadEntry:
    when: datetime
    author: User | None
    agency: Agency | None
    action: str | None  # None for a message
    text: str
    from_requester: bool


def conversation(trace: TraceRequest) -> list[ThreadEntry]:
    """The request's messages and the moves that speak to the other side, in the order
    they happened, as one thread."""
    entries = [ThreadEntry(message.created_at, message.author, message.agency, None, message.body,
                           message.agency_id == trace.requesting_agency_id) for message in trace.messages]
    entries += [ThreadEntry(event.occurred_at, event.user, event.agency, event.action, event.note or "",
                            event.agency_id == trace.requesting_agency_id)
                for event in trace.events if event.action in CONVERSATION_ACTIONS]
    return sorted(entries, key=lambda entry: entry.when)


@dataclass(frozen=True)
class Waiting:
    """What the request waits for, from whom, and by when (None: no deadline runs)."""

    what: str  # acknowledgement, answer, information, acceptance, approval, sending
    country_code: str
    due: datetime | None
    paused_days: int | None = None  # days of the answer's deadline kept while information is asked


def waiting_for(trace: TraceRequest, now: datetime | None = None) -> Waiting | None:
    """What the request is waiting for now; None once it is finished."""
    now = now or utcnow()
    requested, requesting = trace.requested_country_code, trace.requesting_country_code
    if trace.status == Status.SENT:
        return Waiting("acknowledgement", requested, trace.acknowledge_due)
    if trace.status in (Status.ACKNOWLEDGED, Status.RESTRICTED):
        return Waiting("answer", requested, trace.answer_due)
    if trace.status == Status.INFO_REQUESTED:
        asked_at = _last_information_request(trace)
        left = None
        if trace.answer_due is not None and asked_at is not None:
            left = max(round((_aware(trace.answer_due) - _aware(asked_at)).total_seconds() / 86400), 0)
        return Waiting("information", requesting, None, left)
    if trace.status == Status.ANSWERED:
        return Waiting("acceptance", requesting, None)
    if trace.status == Status.AWAITING_APPROVAL:
        return Waiting("approval", requesting, None)
    if trace.status == Status.DRAFT:
        return Waiting("sending", requesting, None)
    return None


def restrict(actor: User, trace: TraceRequest, reason: str, note: str = "") -> TraceRequest:
    """The requested state delays or restricts its answer, for one of the ITI's reasons."""
    _move(actor, trace, Action.RESTRICT, note=note, reason=reason)
    trace.reason, trace.reason_note = Reason(reason), (note or "").strip()
    if trace.acknowledged_at is None:
        trace.acknowledged_at = utcnow()
    return trace


def decline(actor: User, trace: TraceRequest, reason: str, note: str = "") -> TraceRequest:
    """The requested state refuses to answer, for one of the ITI's reasons."""
    _move(actor, trace, Action.DECLINE, note=note, reason=reason)
    now = utcnow()
    trace.reason, trace.reason_note = Reason(reason), (note or "").strip()
    trace.outcome = Outcome.DECLINED
    trace.answered_at = trace.closed_at = now
    if trace.acknowledged_at is None:
        trace.acknowledged_at = now
    return trace


def withdraw(actor: User, trace: TraceRequest, note: str = "") -> TraceRequest:
    """The requester withdraws its request."""
    _move(actor, trace, Action.WITHDRAW, note=note)
    trace.closed_at = utcnow()
    return trace


def _parse_country(value, field: str, actor: User | None = None) -> str | None:
    """A country typed as its code or its name in any of the registry's languages."""
    text = (value or "").strip()
    if not text:
        return None
    code = text.upper() if len(text) == 2 and db.session.get(Country, text.upper()) else None
    if code is None:
        from registry.reference.engine import get_identifier
        from registry.reference.normalize import country_code

        code = country_code(get_identifier(actor.country_code if actor else None).country_keys, text)
    if code is None or db.session.get(Country, code) is None:
        raise DomainError(_l("“%(text)s” is not a country: type its name or its two-letter code.",
                             text=text[:60]), field=field)
    return code


def _past_date(value, field: str) -> date | None:
    day = parse_date(value, field)
    if day and day > utcnow().date():
        raise DomainError(_l("This date is in the future."), field=field)
    return day


def answer(actor: User, trace: TraceRequest, *, outcome: str, note: str = "", **found) -> TraceRequest:
    """The requested state answers: the outcome and what its records show. Every field
    wrong is named at once (FieldErrors)."""
    problems = Problems()
    try:
        outcome = Outcome(outcome)
    except ValueError:
        problems.add(_l("Choose the outcome of the trace."), field="outcome")
        outcome = None
    if outcome is not None and outcome not in ANSWER_OUTCOMES:
        problems.add(_l("To decline, use the decline action with its reason."), field="outcome")
    values = {
        "answer_text": (found.get("answer_text") or "").strip()[:MAX_TEXT],
        "last_legal_holder": (found.get("last_legal_holder") or "").strip()[:300],
        "exporter": (found.get("exporter") or "").strip()[:300],
        "importer": (found.get("importer") or "").strip()[:300],
    }
    for name in ("last_legal_holder_country_code", "exporter_country_code", "importer_country_code"):
        values[name] = problems.check(_parse_country, found.get(name), name, actor)
    for name in ("export_date", "import_date"):
        values[name] = problems.check(_past_date, found.get(name), name)
    if outcome in (Outcome.TRACED, Outcome.PARTIALLY_TRACED) and not (
            values["last_legal_holder"] or values["importer"] or values["exporter"]):
        problems.add(_l("A traced weapon needs the last legal holder, importer or exporter found."),
                     field="last_legal_holder")
    problems.raise_if_any()
    _move(actor, trace, Action.ANSWER, note=note)
    now = utcnow()
    trace.outcome = outcome
    for name, value in values.items():
        setattr(trace, name, value)
    trace.answered_at = now
    if trace.acknowledged_at is None:
        trace.acknowledged_at = now
    return trace


def accept_answer(actor: User, trace: TraceRequest, note: str = "") -> TraceRequest:
    """The requester accepts the answer: the request closes, and the weapon records the
    requester's agency holds take the country of last legal import from it, in their history."""
    _move(actor, trace, Action.ACCEPT, note=note)
    trace.closed_at = utcnow()
    if trace.outcome in (Outcome.TRACED, Outcome.PARTIALLY_TRACED) and trace.importer_country_code:
        _update_weapons_from_answer(actor, trace)
    return trace


def _update_weapons_from_answer(actor: User, trace: TraceRequest) -> None:
    from registry.weapons import service as weapons
    from registry.weapons.models import Weapon, WeaponChange

    for item in trace.weapons:
        weapon = get_visible(actor, Weapon, item.weapon_id, CHANGE)
        if weapon is None:  # another agency's record: it learns the answer from the trace
            continue
        weapons.update_weapon(actor, weapon, weapon.version,
                              last_import_country_code=trace.importer_country_code)
        # The record's history says where the new value came from.
        found = trace.importer or trace.last_legal_holder or trace.exporter
        db.session.add(WeaponChange(
            weapon_id=weapon.id, user_id=actor.id, changed_at=utcnow(), version=weapon.version,
            field="trace_request", old_value=None,
            new_value=f"{trace.reference}: {trace.outcome.value}, {trace.importer_country_code}"
                      + (f", {found}" if found else "")))


ACTIONS = {
    Action.SEND: send, Action.APPROVE: approve, Action.SEND_BACK: send_back,
    Action.ACKNOWLEDGE: acknowledge, Action.REQUEST_INFORMATION: request_information,
    Action.RESEND: resend, Action.RESTRICT: restrict, Action.ANSWER: answer, Action.DECLINE: decline,
    Action.WITHDRAW: withdraw, Action.ACCEPT: accept_answer,
}


def perform(actor: User, trace: TraceRequest, action: str, payload: dict) -> TraceRequest:
    """Run the move named `action` with the values of a form or JSON body."""
    try:
        chosen = Action(action)
    except ValueError:
        raise DomainError(_l("Unknown action on a trace request.")) from None
    note = str(payload.get("note") or "")
    if chosen in (Action.RESTRICT, Action.DECLINE):
        return ACTIONS[chosen](actor, trace, reason=payload.get("reason"), note=note)
    if chosen == Action.ANSWER:
        found = {name: payload.get(name) for name in ANSWER_FIELDS}
        return answer(actor, trace, outcome=payload.get("outcome"), note=note, **found)
    if chosen == Action.RESEND:
        content = {name: payload[name] for name in CONTENT_FIELDS if payload.get(name) is not None}
        return resend(actor, trace, note=note, **content)
    return ACTIONS[chosen](actor, trace, note=note)


# --- Thread and attachments -----------------------------------------------------------


def _check_can_write(actor: User, trace: TraceRequest) -> None:
    if side_of(actor, trace) is None:
        raise NotAllowed(_l("Only the two agencies of the request may write in its thread."))
    if trace.status in FINAL_STATUSES:
        raise DomainError(_l("The request is finished: nothing more can be added."))
    if not can_write(actor, trace):
        raise NotAllowed(_l("Your role does not allow this action on a trace request."))


def add_message(actor: User, trace: TraceRequest, body: str) -> TraceMessage:
    """A message in the request's thread, seen by both sides."""
    _check_can_write(actor, trace)
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("Write the message."), field="body")
    if len(body) > MAX_TEXT:
        raise DomainError(_l("This text is too long (at most %(count)d characters).", count=MAX_TEXT),
                          field="body")
    message = TraceMessage(trace_request=trace, author_id=actor.id, agency_id=actor.agency_id, body=body)
    db.session.add(message)
    db.session.flush()
    record("trace.message", "trace_request", trace.id, {"message_id": message.id}, user=actor)
    _notify_both(trace, "message", _l("New message on trace request %(reference)s."),
                 {"reference": trace.reference}, skip_agency_id=actor.agency_id)
    return message


def add_attachment(actor: User, trace: TraceRequest, filename: str, data: bytes,
                   description: str = "") -> TraceAttachment:
    """A PDF or image for the other side, checked by content, stored with its SHA-256."""
    _check_can_write(actor, trace)
    content_type, sha256 = files.check_file(filename, data)
    attachment = TraceAttachment(
        trace_request=trace, uploaded_by_id=actor.id, agency_id=actor.agency_id,
        filename=files.safe_filename(filename), content_type=content_type, size=len(data),
        sha256=sha256, storage_path=files.store(data, sha256), description=(description or "").strip()[:300],
    )
    db.session.add(attachment)
    db.session.flush()
    _history(trace, actor, "attachment", trace.status, trace.status, attachment.filename)
    record("trace.attachment", "trace_request", trace.id,
           {"attachment_id": attachment.id, "sha256": sha256, "size": len(data)}, user=actor)
    _notify_both(trace, "attachment", _l("New document on trace request %(reference)s."),
                 {"reference": trace.reference}, skip_agency_id=actor.agency_id)
    return attachment


# --- Deadlines ------------------------------------------------------------------------


def overdue_condition(now: datetime):
    """SQL condition: not acknowledged or not answered by its due date."""
    return or_(
        and_(TraceRequest.status == Status.SENT, TraceRequest.acknowledge_due < now),
        and_(TraceRequest.status.in_(list(AWAITING_ANSWER)), TraceRequest.answer_due < now),
    )


def remind_overdue(now: datetime | None = None) -> int:
    """Tell both agencies of each overdue request, once per missed deadline (acknowledgement,
    then answer): a second run the same day sends nothing. Returns how many were reminded."""
    now = now or utcnow()
    reminded = 0
    for trace in db.session.scalars(select(TraceRequest).where(overdue_condition(now))
                                    .order_by(TraceRequest.id)):
        stage = "answer" if trace.answer_due and now > trace.answer_due else "acknowledge"
        if trace.reminded_for == stage:
            continue
        trace.reminded_for, trace.reminded_at = stage, now
        _history(trace, None, f"remind_{stage}", trace.status, trace.status)
        record("trace.remind", "trace_request", trace.id, {"reference": trace.reference, "deadline": stage})
        message = (_l("Trace request %(reference)s is overdue: no answer by its due date.")
                   if stage == "answer" else
                   _l("Trace request %(reference)s is overdue: receipt not acknowledged by its due date."))
        _notify_both(trace, "overdue", message, {"reference": trace.reference})
        reminded += 1
    return reminded


# --- Figures --------------------------------------------------------------------------


def figures(user: User, now: datetime | None = None) -> list[dict]:
    """Per country of the requests the user sees: sent, received, answered, overdue, and the
    median days to acknowledge and to answer the requests it received."""
    now = now or utcnow()
    rows = db.session.execute(
        visible(user, TraceRequest).with_only_columns(
            TraceRequest.requesting_country_code, TraceRequest.requested_country_code,
            TraceRequest.status, TraceRequest.sent_at, TraceRequest.acknowledged_at,
            TraceRequest.answered_at, TraceRequest.acknowledge_due, TraceRequest.answer_due)
        .where(TraceRequest.sent_at.is_not(None))
    ).all()
    table: dict[str, dict] = {}

    def entry(code):
        return table.setdefault(code, {"country_code": code, "sent": 0, "received": 0, "answered": 0,
                                       "overdue": 0, "overdue_sent": 0, "_ack": [], "_answer": []})

    for requesting, requested, status, sent_at, acknowledged_at, answered_at, ack_due, answer_due in rows:
        entry(requesting)["sent"] += 1
        received = entry(requested)
        received["received"] += 1
        if answered_at is not None:
            received["answered"] += 1
            received["_answer"].append(_days(sent_at, answered_at))
        if acknowledged_at is not None:
            received["_ack"].append(_days(sent_at, acknowledged_at))
        if is_overdue(status, now, _aware(ack_due), _aware(answer_due)):
            received["overdue"] += 1
            entry(requesting)["overdue_sent"] += 1
    names = {country.code: country for country in
             db.session.scalars(select(Country).where(Country.code.in_(list(table))))}
    result = []
    for code, item in sorted(table.items()):
        acknowledge_days, answer_days = item.pop("_ack"), item.pop("_answer")
        item["country"] = names.get(code)
        item["median_days_to_acknowledge"] = _median(acknowledge_days)
        item["median_days_to_answer"] = _median(answer_days)
        result.append(item)
    return result


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _days(start: datetime, end: datetime) -> float:
    return (_aware(end) - _aware(start)).total_seconds() / 86400


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def count_inbox(user: User) -> int:
    """Requests received by the user's agency that wait for it to act."""
    return db.session.scalar(
        select(func.count(TraceRequest.id)).where(
            TraceRequest.requested_agency_id == user.agency_id,
            TraceRequest.status.in_([Status.SENT, Status.ACKNOWLEDGED, Status.RESTRICTED]))
    ) or 0


def count_outbox(user: User) -> int:
    """Requests sent by the user's agency that wait for it to act (information asked, answer
    to accept, approval for a supervisor)."""
    waiting = [Status.INFO_REQUESTED, Status.ANSWERED]
    if user.can(Permission.APPROVE):
        waiting.append(Status.AWAITING_APPROVAL)
    return db.session.scalar(
        select(func.count(TraceRequest.id)).where(
            TraceRequest.requesting_agency_id == user.agency_id, TraceRequest.status.in_(waiting))
    ) or 0


# --- History and notifications --------------------------------------------------------


def _history(trace: TraceRequest, actor: User | None, action: str, before, after, note: str = "") -> None:
    db.session.add(TraceEvent(
        trace_request=trace, user_id=actor.id if actor else None,
        agency_id=actor.agency_id if actor else None, action=action,
        from_status=getattr(before, "value", before), to_status=getattr(after, "value", after),
        note=note or "",
    ))


_STATUS_CHANGED = _l("Trace request %(reference)s changed state.")
_NOTIFICATION_MESSAGES = {
    "send": _l("Trace request %(reference)s was sent."),
    "approve": _l("Trace request %(reference)s was approved and sent."),
    "send_back": _l("Trace request %(reference)s was sent back to draft by a supervisor."),
    "acknowledge": _l("Trace request %(reference)s: receipt acknowledged."),
    "request_information": _l("Trace request %(reference)s: information is requested."),
    "resend": _l("Trace request %(reference)s was completed and sent again."),
    "restrict": _l("Trace request %(reference)s: the answer is delayed or restricted."),
    "answer": _l("Trace request %(reference)s was answered."),
    "decline": _l("Trace request %(reference)s was declined."),
    "withdraw": _l("Trace request %(reference)s was withdrawn."),
    "accept": _l("Trace request %(reference)s: the answer was accepted, the request is closed."),
}


def _notify_both(trace: TraceRequest, kind: str, message, params: dict,
                 skip_agency_id: int | None = None) -> None:
    """Tell the two agencies (a draft or a request awaiting approval concerns only the
    requesting agency)."""
    from registry.notifications.service import notify

    agencies = [trace.requesting_agency_id]
    if trace.sent_at is not None or trace.status not in (Status.DRAFT, Status.AWAITING_APPROVAL):
        agencies.append(trace.requested_agency_id)
    for agency_id in agencies:
        if agency_id == skip_agency_id:
            continue
        notify(agency_id=agency_id, kind=f"trace.{kind}", message=message, params=params,
               link=f"/tracing/{trace.id}")
