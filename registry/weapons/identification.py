"""Identification on weapon forms and records.

The reference lists offered as the user types (rendered once per reference version),
the engine's answer for the cells typed so far, what a record page shows beside the raw
values, and confirming a suggestion on a record: the record takes the entry and the raw
spelling becomes an alias of the agency's country, so the next import finds it exactly.
"""

import threading

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from registry.audit.service import record
from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed
from registry.extensions import db, utcnow
from registry.reference.engine import FIELDS, get_identifier, reference_token
from registry.reference.models import Alias, Calibre, Make, Model, WeaponType
from registry.reference.service import confirm_alias
from registry.weapons.hits import check_hits
from registry.weapons.models import Weapon, WeaponChange

FIELD_MODELS = {"make": Make, "model": Model, "calibre": Calibre, "type": WeaponType}
RAW_COLUMNS = {"make": "raw_make", "model": "raw_model", "calibre": "raw_calibre", "type": "raw_type"}
# Below this confidence a field is "to check": the record page offers the suggestions.
SURE = 0.9
CONFIRMED = "confirmed"
METHOD_LABELS = {
    "exact": _l("exact name"), "alias": _l("known spelling"), "fuzzy": _l("close spelling"),
    "inferred_from_model": _l("deduced from the model"), "split_combined": _l("read from a combined cell"),
    "swapped": _l("columns swapped"), "none": _l("not found"), CONFIRMED: _l("confirmed by a user"),
}

_LISTS: dict[str, tuple] = {}
_LISTS_LOCK = threading.Lock()


# --- Lists offered as the user types ---------------------------------------------------


def _options(rows) -> list[tuple[str, str]]:
    """(value, label) pairs without repeated values, in the order given."""
    seen: dict[str, tuple[str, str]] = {}
    for value, label in rows:
        value = (value or "").strip()
        if value and value.casefold() not in seen:
            seen[value.casefold()] = (value, label or "")
    return sorted(seen.values(), key=lambda item: item[0].casefold())


def _build_lists() -> dict[str, list[tuple[str, str]]]:
    session = db.session
    models = session.execute(select(Model.name, Make.name).join(Make, Model.make_id == Make.id)).all()
    model_makes: dict[str, list[str]] = {}
    for model_name, make_name in models:
        model_makes.setdefault(model_name, []).append(make_name)
    # Only global aliases: spellings learnt from one country's review may be misspellings.
    aliases = select(Alias.alias).where(Alias.country_code.is_(None))
    types = session.execute(select(WeaponType.name_en, WeaponType.name_fr)).all()
    # Models by their canonical names only (their aliases are most of the weight): the page
    # stays light on slow links, and the engine still reads every alias of what is typed.
    return {
        "make": _options([(name, "") for name in session.scalars(select(Make.name))]
                         + list(session.execute(aliases.add_columns(Make.name).join(Make, Alias.make_id == Make.id)))),
        "model": _options([(name, " · ".join(sorted(makes)[:3])) for name, makes in model_makes.items()]),
        "calibre": _options([(name, "") for name in session.scalars(select(Calibre.name))]
                            + list(session.execute(aliases.add_columns(Calibre.name)
                                                   .join(Calibre, Alias.calibre_id == Calibre.id)))),
        "type": _options([(row.name_en, row.name_fr) for row in types]
                         + [(row.name_fr, row.name_en) for row in types]),
    }


def reference_lists() -> Markup:
    """The <datalist> elements of the weapon form (make, model, calibre, type), rendered
    once per reference version and reused: one small query per page otherwise."""
    token = reference_token()
    cached = _LISTS.get("lists")
    if cached is not None and cached[0] == token:
        return cached[1]
    with _LISTS_LOCK:
        html = Markup(render_template("weapons/_reference_lists.html", lists=_build_lists()))
        _LISTS["lists"] = (token, html)
    return html


# --- The engine's answer for the cells typed so far -------------------------------------


def identify_cells(user, make=None, model=None, calibre=None, type_=None) -> dict:
    """What the engine makes of these cells for the user's country: the fields of
    POST /api/v1/identify, the type in the user's language, and whether it is sure."""
    country = user.agency.country_code if user.agency else None
    cells = [None if value is None else str(value).strip()[:200] or None for value in (make, model, calibre, type_)]
    result = get_identifier(country).identify(*cells)
    answer = result.to_dict()
    weapon_type = db.session.get(WeaponType, result.type_id) if result.type_id else None
    answer["type_name"] = weapon_type.name if weapon_type else None
    answer["sure"] = any(cells) and not result.needs_review
    return answer


# --- What a record shows ---------------------------------------------------------------


def _is_sure(weapon: Weapon, field: str) -> bool:
    confidence = (weapon.identification_confidence or {}).get(field) or 0.0
    return getattr(weapon, f"{field}_id") is not None and confidence >= SURE


def record_identification(weapon: Weapon) -> dict:
    """The identified entries beside the raw values, the method and confidence, and,
    when a typed field is not identified for sure, the engine's suggestions."""
    confidence = weapon.identification_confidence or {}
    rows = []
    for field in FIELDS:
        target_id = getattr(weapon, f"{field}_id")
        entry = db.session.get(FIELD_MODELS[field], target_id) if target_id else None
        raw = getattr(weapon, RAW_COLUMNS[field])
        rows.append({"field": field, "raw": raw, "entry": entry, "name": entry.name if entry else None,
                     "confidence": confidence.get(field) or 0.0,
                     "to_check": bool(raw) and not _is_sure(weapon, field)})
    unsure = any(row["to_check"] for row in rows)
    suggestions = []
    if unsure:
        answer = get_identifier(weapon.country_code).identify(
            *(getattr(weapon, RAW_COLUMNS[field]) for field in FIELDS))
        for suggestion in answer.suggestions:
            if suggestion["id"] == getattr(weapon, f"{suggestion['field']}_id"):
                continue
            suggestions.append(dict(suggestion, raw=getattr(weapon, RAW_COLUMNS[suggestion["field"]])))
    method = weapon.identification_method
    return {"rows": rows, "method": method, "method_label": METHOD_LABELS.get(method, method) if method else None,
            "unsure": unsure, "suggestions": suggestions}


# --- Confirming a suggestion ----------------------------------------------------------


def confirm_identification(actor, weapon: Weapon, field: str, target_id) -> Weapon:
    """The user confirms that the record's weapon is this make, model, calibre or type.

    The record takes the entry (a model brings its make; a make that is not the model's
    drops the model), with one history row per changed column, and the spelling typed in
    that field becomes an alias of the agency's country (`confirm_alias`).
    """
    if not actor.can(Permission.WRITE_RECORDS) or weapon.agency_id != actor.agency_id:
        raise NotAllowed(_l("Only the agency that recorded this weapon may change it."))
    if weapon.is_deleted:
        raise DomainError(_l("This record was deleted: it can no longer be changed."))
    model_class = FIELD_MODELS.get(field)
    if model_class is None:
        raise DomainError(_l("Unknown field."), field="field")
    target = db.session.get(model_class, int(target_id)) if str(target_id).isdigit() else None
    if target is None:
        raise DomainError(_l("This entry of the reference table does not exist."), field="target_id")

    wanted = {f"{field}_id": target.id, "identification_method": CONFIRMED}
    if field == "model":
        wanted["make_id"] = target.make_id
        if weapon.type_id is None and target.type_id is not None:
            wanted["type_id"] = target.type_id
    if field == "make" and weapon.model_id is not None:
        model = db.session.get(Model, weapon.model_id)
        if model is None or model.make_id != target.id:
            wanted["model_id"] = None
    confidence = dict(weapon.identification_confidence or {})
    for name in FIELDS:
        column = f"{name}_id"
        if column in wanted:
            confidence[name] = 1.0 if wanted[column] is not None else 0.0

    now = utcnow()
    version = weapon.version + 1
    changed = {column: value for column, value in wanted.items() if getattr(weapon, column) != value}
    for column, value in changed.items():
        db.session.add(WeaponChange(weapon_id=weapon.id, user_id=actor.id, changed_at=now, version=version,
                                    field=column, old_value=_entry_name(column, getattr(weapon, column)),
                                    new_value=_entry_name(column, value)))
    # Set only now: a query above would flush a half-changed record (and count a version).
    for column, value in changed.items():
        setattr(weapon, column, value)
    weapon.identification_confidence = confidence
    weapon.updated_by_id = actor.id
    weapon.updated_at = now
    db.session.flush()  # the version column makes a concurrent writer fail here
    raw = getattr(weapon, RAW_COLUMNS[field])
    record("weapon.identification_confirmed", "weapon", weapon.id,
           {"reference": weapon.reference, "field": field, "target_id": target.id, "name": target.name,
            "raw": raw}, user=actor)
    if raw:
        # Only the field's own cell is learnt: another cell's text may mean something else.
        confirm_alias(actor, field, raw, target.id)
    if "make_id" in wanted:
        check_hits(actor, [weapon])
    return weapon


def _entry_name(column: str, value) -> str | None:
    """A history value a reader understands: the entry's name rather than its id."""
    if value is None or column == "identification_method":
        return value
    entry = db.session.get(FIELD_MODELS[column.removesuffix("_id")], value)
    return entry.name_en if isinstance(entry, WeaponType) else (entry.name if entry else str(value))
