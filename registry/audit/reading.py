"""Reading the audit log: the filters of its page and of its export, and each event told in
words with the object it is about. Which events a reader may see is the audit rule of
registry/auth/scoping.py, applied here once for the page and the export alike."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import Select, func, or_, select

from registry.audit.actions import ACTIONS, FAMILIES, action_words
from registry.audit.models import AuditEvent
from registry.auth.models import Agency, User
from registry.auth.roles import Permission
from registry.auth.scoping import visible
from registry.errors import DomainError, Problems
from registry.extensions import db

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class ObjectKind:
    """A kind of object the log speaks of: its name, and how to find and open it."""

    label: object
    model: str = ""               # "package.module:Class", imported when needed
    endpoint: str = ""
    argument: str = ""
    title: str = "id"             # the attribute that names it for a reader
    permission: str | None = None  # what the page behind the link asks, besides seeing it


OBJECT_KINDS = {
    "weapon": ObjectKind(_l("Weapon record"), "registry.weapons.models:Weapon", "weapons.view",
                         "weapon_id", "reference"),
    "trace_request": ObjectKind(_l("Trace request"), "registry.tracing.models:TraceRequest", "tracing.show",
                                "trace_id", "reference"),
    "hit": ObjectKind(_l("Hit"), "registry.weapons.models:Hit", "weapons.hit_detail", "hit_id"),
    "import": ObjectKind(_l("Import"), "registry.imports.models:Import", "imports.view", "import_id",
                         "file_name", Permission.IMPORT_RECORDS),
    "import_row": ObjectKind(_l("Import row")),
    "user": ObjectKind(_l("User"), "registry.auth.models:User", "auth.user_edit", "user_id", "email",
                       Permission.MANAGE_AGENCY_USERS),
    "agency": ObjectKind(_l("Agency"), "registry.auth.models:Agency", "auth.agency_edit", "agency_id",
                         "code", Permission.MANAGE_AGENCIES),
    "country": ObjectKind(_l("Country")),
    "api_token": ObjectKind(_l("API token")),
    "reference": ObjectKind(_l("Reference table")),
    "reference_make": ObjectKind(_l("Make")),
    "reference_model": ObjectKind(_l("Model")),
    "reference_calibre": ObjectKind(_l("Calibre")),
    "reference_type": ObjectKind(_l("Weapon type")),
    "reference_weapon_type": ObjectKind(_l("Weapon type")),
    "reference_alias": ObjectKind(_l("Alias")),
}
# Object kinds whose reference a reader may type in the object filter, instead of an id.
_BY_REFERENCE = ("weapon", "trace_request", "user")


def _model(kind: ObjectKind):
    module, name = kind.model.split(":")
    return getattr(__import__(module, fromlist=[name]), name)


@dataclass
class Filters:
    """What the reader narrows the log to. Empty values narrow nothing."""

    user: str = ""          # part of an e-mail or a name
    object_type: str = ""   # a key of OBJECT_KINDS
    object: str = ""        # an id, or a reference (ML-2025-000123, a trace's, an e-mail)
    action: str = ""        # an action code, or a family ("weapon.")
    since: date | None = None
    until: date | None = None
    agency: str = ""        # agency code, for readers of every agency's log

    @classmethod
    def parse(cls, values) -> "Filters":
        """Filters from a query string; a bad date or an unknown choice is a DomainError
        naming its field (every problem at once)."""
        def text(name: str) -> str:
            return str(values.get(name, "") or "").strip()[:200]

        problems = Problems()
        filters = cls(user=text("user"), object_type=text("object_type"), object=text("object"),
                      action=text("action"), agency=text("agency"))
        if not filters.object:  # the name the page used before
            filters.object = text("object_id")
        if filters.object_type and filters.object_type not in OBJECT_KINDS:
            problems.add(_l("Unknown kind of object."), field="object_type")
        filters.since = problems.check(_parse_day, text("since"), "since")
        filters.until = problems.check(_parse_day, text("until"), "until")
        if filters.since and filters.until and filters.since > filters.until:
            problems.add(_l("The period ends before it starts."), field="until")
        problems.raise_if_any()
        return filters

    def terms(self) -> dict:
        """What was asked, for the audit log and the links of a page (empty terms left out)."""
        return {name: value.isoformat() if isinstance(value, date) else value
                for name, value in asdict(self).items() if value}


def _parse_day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(_l("The date is not a date: write it as YYYY-MM-DD."), field=field) from None


def _object_ids(filters: Filters) -> tuple[list[str], list[str]] | None:
    """(object types, ids) the object filter stands for; None when it is empty. A reference
    is read as the id of the object it names: the events found are still only those the
    reader may see, so the lookup tells nothing the log does not."""
    value = filters.object
    if not value:
        return None
    if value.isdigit():
        return ([filters.object_type] if filters.object_type else []), [value]
    types, ids = [], []
    for name in _BY_REFERENCE:
        if filters.object_type and filters.object_type != name:
            continue
        kind = OBJECT_KINDS[name]
        model = _model(kind)
        column = getattr(model, kind.title)
        found = db.session.scalars(select(model.id).where(func.lower(column) == value.lower())).all()
        if found:
            types.append(name)
            ids.extend(str(number) for number in found)
    return types or ["-"], ids or ["-"]


def filtered(reader: User, filters: Filters) -> Select:
    """The events the reader may see, narrowed by the filters, newest first."""
    statement = visible(reader, AuditEvent)
    if filters.action:
        if filters.action in ACTIONS:
            statement = statement.where(AuditEvent.action == filters.action)
        else:
            statement = statement.where(AuditEvent.action.startswith(filters.action))
    if filters.object_type:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    objects = _object_ids(filters)
    if objects is not None:
        types, ids = objects
        if types:
            statement = statement.where(AuditEvent.object_type.in_(types))
        statement = statement.where(AuditEvent.object_id.in_(ids))
    if filters.user:
        pattern = f"%{filters.user.lower()}%"
        statement = statement.where(AuditEvent.user_id.in_(
            select(User.id).where(or_(func.lower(User.email).like(pattern),
                                      func.lower(User.name).like(pattern)))))
    if filters.agency and reader.can(Permission.READ_ALL_AUDIT):
        statement = statement.where(AuditEvent.agency_id.in_(
            select(Agency.id).where(Agency.code == filters.agency.upper())))
    if filters.since:
        statement = statement.where(AuditEvent.occurred_at >= datetime.combine(filters.since, time.min, UTC))
    if filters.until:
        statement = statement.where(AuditEvent.occurred_at <= datetime.combine(filters.until, time.max, UTC))
    return statement.order_by(AuditEvent.sequence.desc())


def page_of_events(reader: User, filters: Filters, page: int) -> tuple[list[AuditEvent], bool]:
    """One page of the log and whether another follows."""
    rows = db.session.scalars(filtered(reader, filters).limit(PAGE_SIZE + 1)
                              .offset((page - 1) * PAGE_SIZE)).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def events_to_export(reader: User, filters: Filters) -> list[AuditEvent]:
    return list(db.session.scalars(filtered(reader, filters).limit(EXPORT_LIMIT)))


@dataclass
class Told:
    """An event as a reader reads it."""

    event: AuditEvent
    words: str
    object_kind: str
    object_name: str
    object_url: str | None
    details: str

    @property
    def object_html(self) -> Markup:
        if self.object_url:
            return Markup('<a href="{}">{}</a>').format(self.object_url, self.object_name)
        return escape(self.object_name)


def tell(reader: User, events: list[AuditEvent]) -> list[Told]:
    """Each event in words, its object named and linked when it still exists and the
    reader may open it: one query per kind of object on the page, whatever its size."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        kind = OBJECT_KINDS.get(event.object_type or "")
        if kind and kind.model and event.object_id and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    found: dict[tuple[str, str], object] = {}
    for name, ids in wanted.items():
        kind = OBJECT_KINDS[name]
        if kind.permission and not reader.can(kind.permission):
            continue
        model, ids = _model(kind), sorted(ids)
        for start in range(0, len(ids), 5000):  # an export names many; a query takes a few thousand
            chunk = ids[start:start + 5000]
            for item in db.session.scalars(visible(reader, model).where(model.id.in_(chunk))):
                found[(name, str(item.id))] = item
    told = []
    for event in events:
        kind = OBJECT_KINDS.get(event.object_type or "")
        item = found.get((event.object_type, event.object_id))
        details = event.details or {}
        if item is not None:
            name, url = str(getattr(item, kind.title)), url_for(kind.endpoint, **{kind.argument: item.id})
        else:
            name = str(details.get("reference") or details.get("email") or details.get("name") or "")
            if event.object_id:
                name = f"{name} (#{event.object_id})" if name else f"#{event.object_id}"
            url = None
        told.append(Told(event, action_words(event.action),
                         str(kind.label) if kind else (event.object_type or ""), name, url,
                         _details_text(details)))
    return told


def _details_text(details: dict) -> str:
    return "; ".join(f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
                     for key, value in details.items())


def action_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(family code, its name, [(action code, words)]) for the action filter."""
    groups = []
    for prefix, label in FAMILIES.items():
        actions = sorted(((code, str(words)) for code, words in ACTIONS.items() if code.startswith(prefix)),
                         key=lambda item: item[1])
        groups.append((prefix, str(label), actions))
    return groups


def object_choices() -> list[tuple[str, str]]:
    return sorted(((name, str(kind.label)) for name, kind in OBJECT_KINDS.items()
                   if name != "reference_weapon_type"), key=lambda item: item[1])


def export_rows(told: list[Told]) -> tuple[list[str], list[list]]:
    headers = [str(_l("Number")), str(_l("When (UTC)")), str(_l("User")), str(_l("Agency")),
               str(_l("Address")), str(_l("Action")), str(_l("Code")), str(_l("Object")),
               str(_l("Object id")), str(_l("Details"))]
    rows = []
    for item in told:
        event = item.event
        rows.append([event.sequence, event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                     event.user.email if event.user else "", event.agency.code if event.agency else "",
                     event.remote_address or "", item.words, event.action,
                     f"{item.object_kind} {item.object_name}".strip(), event.object_id or "", item.details])
    return headers, rows
