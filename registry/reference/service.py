"""Changing the reference table: loading a spreadsheet, aliases, edits, merges.

Every change writes an audit event and bumps the reference version, so that every
process rebuilds its identification engine. Services do not commit.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from registry.audit.service import record
from registry.auth.models import Country
from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed
from registry.extensions import db, utcnow
from registry.reference import engine
from registry.reference.loader import ReferenceFile
from registry.reference.models import (
    Alias,
    Calibre,
    Make,
    Model,
    ReferenceMerge,
    ReferenceVersion,
    WeaponType,
    model_calibre,
)
from registry.reference.normalize import calibre_key, country_keys, key

FIELD_MODELS = {"make": Make, "model": Model, "calibre": Calibre, "type": WeaponType}
CODE_PREFIXES = {Make: "MK", Model: "MD", Calibre: "CA", WeaponType: "TY"}


def bump_version() -> int:
    """Mark the reference table as changed: every engine rebuilds on its next use."""
    version = db.session.get(ReferenceVersion, 1)
    if version is None:
        version = ReferenceVersion(id=1, version=0)
        db.session.add(version)
    version.version = (version.version or 0) + 1
    version.updated_at = utcnow()
    db.session.flush()
    engine.forget_identifiers()
    return version.version


def weapon_type_names() -> dict[int, str]:
    """Weapon types by id, named in the reader's language."""
    return {kind.id: kind.name for kind in db.session.scalars(select(WeaponType))}


def _slug(text: str) -> str:
    from registry.reference.normalize import fold

    return re.sub(r"[^A-Z0-9]+", "-", fold(text).upper()).strip("-")[:50] or "X"


def _new_code(model_class, text: str, taken: set[str]) -> str:
    base = f"{CODE_PREFIXES[model_class]}-{_slug(text)}"
    code, number = base, 2
    while code in taken:
        code, number = f"{base}-{number}", number + 1
    taken.add(code)
    return code


# --- loading a reference spreadsheet --------------------------------------------------

@dataclass
class LoadReport:
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("makes", "models", "calibres", "types", "aliases"), 0))
    changed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("makes", "models", "types"), 0))
    united: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("makes", "models", "calibres"), 0))
    conflicts: int = 0
    lines: list = field(default_factory=list)  # str, or lazy translated strings
    dry_run: bool = False

    @property
    def changes(self) -> int:
        return sum(self.added.values()) + sum(self.changed.values()) + sum(self.united.values()) + self.conflicts

    def summary(self) -> str:
        added = ", ".join(f"{count} {name}" for name, count in self.added.items())
        changed = ", ".join(f"{count} {name}" for name, count in self.changed.items())
        united = ", ".join(f"{count} {name}" for name, count in self.united.items())
        return f"Added: {added}. Changed: {changed}. United: {united}. Conflicts: {self.conflicts}."


class _Table:
    """The whole reference table in memory while a file is applied (a few queries in all)."""

    def __init__(self):
        session = db.session
        self.makes = list(session.scalars(select(Make)))
        self.models = list(session.scalars(select(Model)))
        self.calibres = list(session.scalars(select(Calibre)))
        self.types = list(session.scalars(select(WeaponType)))
        # (field, target id) -> the normalized spellings of its aliases: looked up for every
        # entry and alias of the file (a scan of every alias each time made a load quadratic).
        self.alias_index: dict[tuple[str, int], set[str]] = {}
        for alias in session.scalars(select(Alias).where(Alias.country_code.is_(None))):
            self.add_alias(alias)
        self.links = {tuple(row) for row in session.execute(
            select(model_calibre.c.model_id, model_calibre.c.calibre_id))}
        self.codes = {item.code for group in (self.makes, self.models, self.calibres, self.types)
                      for item in group}
        self.countries = country_keys(session.execute(
            select(Country.code, Country.alpha3, Country.name_en, Country.name_fr)))

    def refresh(self) -> None:
        """Read the makes, models and aliases again (after a merge)."""
        session = db.session
        self.makes = list(session.scalars(select(Make)))
        self.models = list(session.scalars(select(Model)))
        self.alias_index = {}
        for alias in session.scalars(select(Alias).where(Alias.country_code.is_(None))):
            self.add_alias(alias)
        self.links = {tuple(row) for row in session.execute(
            select(model_calibre.c.model_id, model_calibre.c.calibre_id))}

    def add_alias(self, alias: Alias) -> None:
        for field_name in ("make", "model", "calibre", "type"):
            target_id = getattr(alias, f"{field_name}_id")
            if target_id is not None:
                self.alias_index.setdefault((field_name, target_id), set()).add(alias.normalized)

    def alias_keys(self, field_name: str, target_id: int) -> set[str]:
        return self.alias_index.get((field_name, target_id), set())


def apply_reference_file(actor, parsed: ReferenceFile, source: str) -> LoadReport:
    """Add, update and unite makes, models, calibres, types and aliases from a checked file
    (registry/reference/loading.py says how a table is loaded onto a table).

    Nothing is removed but what is united. An entry of the file that is an entry of the
    table takes the file's spelling (the old spelling stays as an alias). Loading the same
    file again changes nothing. Raises LoadError (nothing written) when a row cannot be
    applied, such as an unknown country.
    """
    from registry.reference.loading import TableLoader, audit_load

    table = _Table()
    report = LoadReport()
    session = db.session
    loader = TableLoader(actor, report, table, _new_code, merge, bump_version)
    add_alias = loader.add_alias

    # Types first, then calibres, makes and models.
    def find_type(text: str) -> WeaponType | None:
        wanted = key(text)
        for weapon_type in table.types:
            if wanted in (key(weapon_type.name_en), key(weapon_type.name_fr)) or wanted in table.alias_keys(
                    "type", weapon_type.id):
                return weapon_type
        return None

    for name_en, name_fr, aliases, name_ar in parsed.types:
        weapon_type = find_type(name_en) or find_type(name_fr)
        if weapon_type is None:
            weapon_type = WeaponType(code=_new_code(WeaponType, name_en, table.codes), name_en=name_en,
                                     name_fr=name_fr, name_ar=name_ar)
            session.add(weapon_type)
            session.flush()
            table.types.append(weapon_type)
            report.added["types"] += 1
            report.lines.append(f"type added: {name_en} / {name_fr}")
        elif (weapon_type.name_en, weapon_type.name_fr) != (name_en, name_fr):
            report.lines.append(f"type {weapon_type.code}: {weapon_type.name_en!r}/{weapon_type.name_fr!r}"
                                f" -> {name_en!r}/{name_fr!r}")
            weapon_type.name_en, weapon_type.name_fr = name_en, name_fr
            report.changed["types"] += 1
        if name_ar and weapon_type.name_ar != name_ar:
            weapon_type.name_ar = name_ar
        for alias in aliases:
            add_alias("type", weapon_type, alias)

    calibres = loader.calibres(parsed)
    makes = loader.makes(parsed.rows)
    loader.models(parsed.rows, makes, calibres, find_type)
    session.flush()
    if report.changes or report.lines:
        bump_version()
        audit_load(actor, report, source)
    return report


def load_reference_file(actor, source, source_name: str, dry_run: bool = False) -> LoadReport:
    """Read, check and apply a reference spreadsheet (a path or bytes) in one transaction.
    On any problem, nothing is written and LoadError says where. A dry run applies the
    file the same way, reports what it would do, and changes nothing."""
    from registry.reference.loader import parse, read_workbook

    parsed = parse(read_workbook(source))
    savepoint = db.session.begin_nested()
    try:
        report = apply_reference_file(actor, parsed, source_name)
    except Exception:
        savepoint.rollback()
        engine.forget_identifiers()
        raise
    if dry_run:
        savepoint.rollback()
        db.session.expire_all()
        engine.forget_identifiers()
        report.dry_run = True
    else:
        savepoint.commit()
    return report


def stage_reference_file(data: bytes) -> str:
    """Keep an uploaded reference file while its plan is shown; returns its token (its SHA-256)."""
    import hashlib

    from flask import current_app

    token = hashlib.sha256(data).hexdigest()
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def staged_reference_file(token: str) -> Path:
    """The file kept by `stage_reference_file`; DomainError when it is not there."""
    from flask import current_app

    path = Path(current_app.config["UPLOAD_FOLDER"]) / "reference" / f"{token}.xlsx"
    if not re.fullmatch(r"[0-9a-f]{64}", token or "") or not path.is_file():
        raise DomainError(_l("This file is no longer waiting to be loaded: choose it again."), field="file")
    return path


def export_reference_table(actor, path) -> dict[str, int]:
    """Write the reference table to a workbook in the format `load_reference_file` reads
    (global aliases only: a country's learnt aliases stay its own), so that loading it back
    changes nothing."""
    from openpyxl import Workbook

    session = db.session
    aliases: dict[tuple[str, int], list[str]] = {}
    for alias in session.scalars(select(Alias).where(Alias.country_code.is_(None)).order_by(Alias.id)):
        aliases.setdefault((alias.field, alias.target_id), []).append(alias.alias)
    calibres_of: dict[int, list[str]] = {}
    calibre_names = {calibre.id: calibre.name for calibre in session.scalars(select(Calibre))}
    for model_id, calibre_id in session.execute(select(model_calibre.c.model_id, model_calibre.c.calibre_id)):
        calibres_of.setdefault(model_id, []).append(calibre_names[calibre_id])
    types = {kind.id: kind for kind in session.scalars(select(WeaponType).order_by(WeaponType.id))}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Table"
    sheet.append(["make", "model", "type", "calibre", "country", "make aliases", "model aliases"])
    makes = list(session.scalars(select(Make).order_by(Make.name)))
    models: dict[int, list[Model]] = {}
    for model in session.scalars(select(Model).order_by(Model.name)):
        models.setdefault(model.make_id, []).append(model)
    rows = 0
    for make in makes:
        make_aliases = "; ".join(aliases.get(("make", make.id), []))
        for position, model in enumerate(models.get(make.id, []) or [None]):
            if model is None:
                sheet.append([make.name, "", "", "", make.country_code or "", make_aliases, ""])
            else:
                sheet.append([make.name, model.name, types[model.type_id].name_en if model.type_id else "",
                              "; ".join(sorted(calibres_of.get(model.id, []))), make.country_code or "",
                              make_aliases if position == 0 else "", "; ".join(aliases.get(("model", model.id), []))])
            rows += 1
    calibre_sheet = workbook.create_sheet("Calibres")
    calibre_sheet.append(["calibre", "aliases"])
    for calibre_id, name in sorted(calibre_names.items(), key=lambda item: item[1]):
        calibre_sheet.append([name, "; ".join(aliases.get(("calibre", calibre_id), []))])
    type_sheet = workbook.create_sheet("Types")
    type_sheet.append(["english", "french", "arabic", "aliases"])
    for kind in types.values():
        type_sheet.append([kind.name_en, kind.name_fr, kind.name_ar or "",
                           "; ".join(aliases.get(("type", kind.id), []))])
    workbook.save(path)
    counts = {"makes": len(makes), "models": sum(len(group) for group in models.values()),
              "calibres": len(calibre_names), "types": len(types), "rows": rows}
    record("reference.export", "reference", None, {"path": str(path)[-200:], **counts}, user=actor)
    return counts


# --- aliases --------------------------------------------------------------------------

def _target(field_name: str, target_id) -> object:
    model_class = FIELD_MODELS.get(field_name)
    if model_class is None:
        raise DomainError(_l("Unknown field."), field="field")
    target = db.session.get(model_class, int(target_id)) if str(target_id).isdigit() else None
    if target is None:
        raise DomainError(_l("This entry of the reference table does not exist."), field="target_id")
    return target


def _alias_key(field_name: str, text: str) -> str:
    return calibre_key(text) if field_name == "calibre" else key(text)


def add_alias(actor, field_name: str, target_id: int, text: str, country_code: str | None = None,
              origin: str = "admin") -> Alias:
    """Add a spelling of a make, model, calibre or type: global (platform admins) or for one country."""
    target = _target(field_name, target_id)
    text = " ".join((text or "").split())
    normalized = _alias_key(field_name, text)
    if not normalized:
        raise DomainError(_l("Type the spelling to add."), field="alias")
    if len(text) > 200:
        raise DomainError(_l("Longer than %(count)s characters.", count=200), field="alias")
    existing = db.session.scalar(select(Alias).where(
        Alias.normalized == normalized, getattr(Alias, f"{field_name}_id") == target.id,
        Alias.country_code.is_(None) if country_code is None else Alias.country_code == country_code))
    if existing is not None:
        return existing
    alias = Alias(alias=text, normalized=normalized, country_code=country_code, origin=origin,
                  created_by_id=getattr(actor, "id", None), **{f"{field_name}_id": target.id})
    db.session.add(alias)
    db.session.flush()
    bump_version()
    record("reference.alias_added", "reference_alias", alias.id,
           {"field": field_name, "target_id": target.id, "alias": text, "country": country_code,
            "origin": origin}, user=actor)
    return alias


def confirm_alias(actor, field: str, raw_text: str, target_id: int, make_global: bool = False) -> Alias:  # noqa: A002
    """A user confirmed that `raw_text` means this make, model, calibre or type: it becomes
    an alias of the user's country, so the next identification finds it exactly.
    A platform admin may make it global instead."""
    if make_global and not actor.can(Permission.MANAGE_REFERENCE):
        raise NotAllowed(_l("Only a platform administrator may add a global alias."))
    if not (actor.can(Permission.WRITE_RECORDS) or actor.can(Permission.MANAGE_REFERENCE)):
        raise NotAllowed(_l("Your role does not allow this action."))
    country_code = None if make_global else actor.agency.country_code
    return add_alias(actor, field, target_id, raw_text, country_code=country_code,
                     origin="admin" if make_global else "review")


def make_alias_global(actor, alias: Alias) -> Alias:
    """A platform admin turns a country's learnt alias into a global one."""
    if not actor.can(Permission.MANAGE_REFERENCE):
        raise NotAllowed(_l("Only a platform administrator may add a global alias."))
    if alias.country_code is None:
        return alias
    duplicate = db.session.scalar(select(Alias).where(
        Alias.normalized == alias.normalized, Alias.country_code.is_(None),
        getattr(Alias, f"{alias.field}_id") == alias.target_id))
    previous = alias.country_code
    if duplicate is not None:
        db.session.delete(alias)
        alias = duplicate
    else:
        alias.country_code = None
    db.session.flush()
    bump_version()
    record("reference.alias_made_global", "reference_alias", alias.id,
           {"alias": alias.alias, "field": alias.field, "from_country": previous}, user=actor)
    return alias


def delete_alias(actor, alias: Alias) -> None:
    """Remove a spelling from the reference table."""
    details = {"alias": alias.alias, "field": alias.field, "target_id": alias.target_id,
               "country": alias.country_code}
    db.session.delete(alias)
    db.session.flush()
    bump_version()
    record("reference.alias_deleted", "reference_alias", alias.id, details, user=actor)


# --- edits and merges -----------------------------------------------------------------

def _required_name(name: str | None, field: str = "name") -> str:
    """A name as typed, its spaces tidied; refused when empty."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("The name is required."), field=field)
    return name


def update_make(actor, make: Make, name: str, country_code: str | None) -> Make:
    """Rename a make or change its country of manufacture."""
    name = _required_name(name)
    clash = db.session.scalar(select(Make.id).where(func.lower(Make.name) == name.lower(), Make.id != make.id))
    if clash is not None:
        raise DomainError(_l("Another make has this name: merge them instead."), field="name")
    if country_code and db.session.get(Country, country_code) is None:
        raise DomainError(_l("Unknown country."), field="country_code")
    before = {"name": make.name, "country_code": make.country_code}
    if before == {"name": name, "country_code": country_code or None}:
        return make
    make.name, make.country_code = name, country_code or None
    db.session.flush()
    bump_version()
    record("reference.make_updated", "reference_make", make.id,
           {"before": before, "after": {"name": name, "country_code": country_code or None}}, user=actor)
    return make


def update_model(actor, model: Model, name: str, type_id: int | None, calibre_ids: list[int]) -> Model:
    """Rename a model, change its type or its calibres."""
    name = _required_name(name)
    clash = db.session.scalar(select(Model.id).where(
        Model.make_id == model.make_id, func.lower(Model.name) == name.lower(), Model.id != model.id))
    if clash is not None:
        raise DomainError(_l("This make already has a model with this name: merge them instead."), field="name")
    calibres = list(db.session.scalars(select(Calibre).where(Calibre.id.in_(calibre_ids)))) if calibre_ids else []
    before = {"name": model.name, "type_id": model.type_id, "calibres": sorted(c.id for c in model.calibres)}
    after = {"name": name, "type_id": type_id, "calibres": sorted(c.id for c in calibres)}
    if before == after:
        return model
    model.name, model.type_id, model.calibres = name, type_id, calibres
    db.session.flush()
    bump_version()
    record("reference.model_updated", "reference_model", model.id, {"before": before, "after": after},
           user=actor)
    return model


def create_make(actor, name: str, country_code: str | None) -> Make:
    """Add a make to the reference table."""
    name = _required_name(name)
    if db.session.scalar(select(Make.id).where(func.lower(Make.name) == name.lower())) is not None:
        raise DomainError(_l("A make with this name exists."), field="name")
    codes = set(db.session.scalars(select(Make.code)))
    make = Make(code=_new_code(Make, name, codes), name=name, country_code=country_code or None)
    db.session.add(make)
    db.session.flush()
    bump_version()
    record("reference.make_created", "reference_make", make.id, {"name": name}, user=actor)
    return make


def create_model(actor, make: Make, name: str, type_id: int | None) -> Model:
    """Add a model to a make."""
    name = _required_name(name)
    if db.session.scalar(select(Model.id).where(
            Model.make_id == make.id, func.lower(Model.name) == name.lower())) is not None:
        raise DomainError(_l("This make already has a model with this name: merge them instead."), field="name")
    codes = set(db.session.scalars(select(Model.code)))
    model = Model(code=_new_code(Model, f"{make.name} {name}", codes), make_id=make.id, name=name,
                  type_id=type_id)
    db.session.add(model)
    db.session.flush()
    bump_version()
    record("reference.model_created", "reference_model", model.id, {"make": make.name, "name": name},
           user=actor)
    return model


def _check_new_calibre_name(name: str, calibre_id: int | None = None) -> None:
    """A calibre's name must not be another calibre's name or alias, even spelled otherwise
    ("7,62 x 39" is "7.62x39mm"): identification would not know which of the two was meant."""
    wanted = calibre_key(name)
    aliased = set(db.session.scalars(select(Alias.calibre_id).where(Alias.normalized == wanted,
                                                                    Alias.calibre_id.is_not(None))))
    for other_id, other_name in db.session.execute(select(Calibre.id, Calibre.name)):
        if other_id != calibre_id and (other_id in aliased or calibre_key(other_name) == wanted
                                       or other_name.lower() == name.lower()):
            raise DomainError(_l("This calibre is already in the table as “%(name)s”: add this spelling "
                                 "to it as an alias instead.", name=other_name), field="name")


def create_calibre(actor, name: str) -> Calibre:
    """Add a calibre to the reference table."""
    name = _required_name(name)
    _check_new_calibre_name(name)
    codes = set(db.session.scalars(select(Calibre.code)))
    calibre = Calibre(code=_new_code(Calibre, name, codes), name=name)
    db.session.add(calibre)
    db.session.flush()
    bump_version()
    record("reference.calibre_created", "reference_calibre", calibre.id, {"name": name}, user=actor)
    return calibre


def update_calibre(actor, calibre: Calibre, name: str) -> Calibre:
    """Rename a calibre."""
    name = _required_name(name)
    if name == calibre.name:
        return calibre
    _check_new_calibre_name(name, calibre.id)
    before = calibre.name
    calibre.name = name
    db.session.flush()
    bump_version()
    record("reference.calibre_updated", "reference_calibre", calibre.id,
           {"before": {"name": before}, "after": {"name": name}}, user=actor)
    return calibre


def _check_type_names(name_en: str, name_fr: str, type_id: int | None = None) -> None:
    for other in db.session.scalars(select(WeaponType).where(WeaponType.id != (type_id or 0))):
        if other.name_en.lower() == name_en.lower() or other.name_fr.lower() == name_fr.lower():
            raise DomainError(_l("Another weapon type has this name: “%(name)s”.", name=other.name),
                              field="name_en")


def create_weapon_type(actor, name_en: str, name_fr: str, name_ar: str = "") -> WeaponType:
    """Add a weapon type, named in English and in French (and in Arabic, optional)."""
    name_en, name_fr = _required_name(name_en, "name_en"), _required_name(name_fr, "name_fr")
    name_ar = (name_ar or "").strip()[:120] or None
    _check_type_names(name_en, name_fr)
    codes = set(db.session.scalars(select(WeaponType.code)))
    weapon_type = WeaponType(code=_new_code(WeaponType, name_en, codes), name_en=name_en, name_fr=name_fr,
                             name_ar=name_ar)
    db.session.add(weapon_type)
    db.session.flush()
    bump_version()
    record("reference.type_created", "reference_weapon_type", weapon_type.id,
           {"name_en": name_en, "name_fr": name_fr, "name_ar": name_ar}, user=actor)
    return weapon_type


def update_weapon_type(actor, weapon_type: WeaponType, name_en: str, name_fr: str,
                       name_ar: str = "") -> WeaponType:
    """Rename a weapon type in English, in French or in Arabic."""
    name_en, name_fr = _required_name(name_en, "name_en"), _required_name(name_fr, "name_fr")
    name_ar = (name_ar or "").strip()[:120] or None
    before = {"name_en": weapon_type.name_en, "name_fr": weapon_type.name_fr, "name_ar": weapon_type.name_ar}
    after = {"name_en": name_en, "name_fr": name_fr, "name_ar": name_ar}
    if before == after:
        return weapon_type
    _check_type_names(name_en, name_fr, weapon_type.id)
    weapon_type.name_en, weapon_type.name_fr, weapon_type.name_ar = name_en, name_fr, name_ar
    db.session.flush()
    bump_version()
    record("reference.type_updated", "reference_weapon_type", weapon_type.id,
           {"before": before, "after": after}, user=actor)
    return weapon_type


def repoint(table_name: str, old_id: int, new_id: int, moved_ids: dict | None = None) -> dict[str, int]:
    """Point every column of every table that refers to `table_name` from old_id to new_id.
    Found from the foreign keys of the metadata, so records of features added later follow.
    With `moved_ids`, the ids of the rows moved are kept there by "table.column" (to undo)."""
    moved = {}
    for table in db.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name != table_name or table.name == "reference_model_calibre":
                continue
            column = foreign_key.parent
            where = f"{table.name}.{column.name}"
            if moved_ids is not None and "id" in table.c:
                ids = list(db.session.scalars(select(table.c.id).where(column == old_id).order_by(table.c.id)))
                if ids:
                    moved_ids[where] = ids
            result = db.session.execute(update(table).where(column == old_id).values({column.name: new_id}))
            if result.rowcount:
                moved[where] = result.rowcount
    return moved


def _alias_row(alias: Alias) -> dict:
    return {"id": alias.id, "alias": alias.alias, "normalized": alias.normalized, "make_id": alias.make_id,
            "model_id": alias.model_id, "calibre_id": alias.calibre_id, "type_id": alias.type_id,
            "country_code": alias.country_code, "origin": alias.origin, "created_by_id": alias.created_by_id,
            "created_at": alias.created_at.isoformat() if alias.created_at else None}


@dataclass
class MergePlan:
    """What a merge moves, shown before it is confirmed."""

    duplicate: object
    kept: object
    records: dict[str, int]  # "table.column" -> rows that point at the duplicate
    aliases: list[str]
    models: list[tuple[str, str | None]]  # (model of the duplicate, model of the kept make it joins)

    @property
    def record_count(self) -> int:
        return sum(self.records.values())


def merge_plan(field_name: str, duplicate_id: int, kept_id: int) -> MergePlan:
    """What merging the duplicate into the kept entry would move: the rows of every table
    that point at the duplicate, its aliases, and (for a make) its models; changes nothing."""
    if field_name not in ("make", "model", "calibre"):
        raise DomainError(_l("Unknown field."), field="field")
    duplicate, kept = _target(field_name, duplicate_id), _target(field_name, kept_id)
    if duplicate.id == kept.id:
        raise DomainError(_l("Choose two different entries."), field="kept_id")
    records = {}
    for table in db.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name != duplicate.__tablename__ or table.name in (
                    "reference_model_calibre", "reference_alias", "reference_model"):
                continue
            count = db.session.scalar(select(func.count()).select_from(table).where(foreign_key.parent == duplicate.id))
            if count:
                records[f"{table.name}.{foreign_key.parent.name}"] = count
    aliases = [alias.alias for alias in db.session.scalars(
        select(Alias).where(getattr(Alias, f"{field_name}_id") == duplicate.id).order_by(Alias.alias))]
    models = []
    if field_name == "make":
        kept_models = {key(model.name): model.name for model in kept.models}
        models = [(model.name, kept_models.get(key(model.name))) for model in duplicate.models]
    return MergePlan(duplicate, kept, records, aliases, models)


def merge(actor, field_name: str, duplicate_id: int, kept_id: int, journal: dict | None = None) -> dict[str, int]:
    """Merge a duplicate make, model or calibre into the one kept: every record and alias
    that pointed at the duplicate points at the kept one, the duplicate's name becomes an
    alias, and the duplicate is removed. A merge of makes keeps what it moved (a
    ReferenceMerge), so that undo_merge can put it back. `journal`, when given, is
    filled with what the merge moved."""
    if field_name not in ("make", "model", "calibre"):
        raise DomainError(_l("Unknown field."), field="field")
    duplicate, kept = _target(field_name, duplicate_id), _target(field_name, kept_id)
    if duplicate.id == kept.id:
        raise DomainError(_l("Choose two different entries."), field="kept_id")
    session = db.session
    if journal is None and field_name == "make":
        journal = {}
    if journal is not None:
        journal["entry"] = {name: getattr(duplicate, name) for name in ("id", "code", "name")}
        if field_name == "make":
            journal["entry"]["country_code"] = duplicate.country_code
        if field_name == "model":
            journal["entry"].update(make_id=duplicate.make_id, type_id=duplicate.type_id)
        journal.update(kept_id=kept.id, repointed={}, deleted_aliases=[], added_alias_id=None)
    if field_name == "model":
        links = set(session.execute(select(model_calibre.c.calibre_id).where(
            model_calibre.c.model_id == kept.id)).scalars())
        own = session.execute(select(model_calibre.c.calibre_id).where(
            model_calibre.c.model_id == duplicate.id)).scalars().all()
        for calibre_id in own:
            if calibre_id not in links:
                session.execute(model_calibre.insert().values(model_id=kept.id, calibre_id=calibre_id))
        session.execute(model_calibre.delete().where(model_calibre.c.model_id == duplicate.id))
        if journal is not None:
            journal.update(calibre_ids=list(own), added_calibre_ids=[item for item in own if item not in links],
                           kept_type_set=kept.type_id is None and duplicate.type_id is not None)
        if kept.type_id is None:
            kept.type_id = duplicate.type_id
    if field_name == "calibre":
        kept_models = set(session.execute(select(model_calibre.c.model_id).where(
            model_calibre.c.calibre_id == kept.id)).scalars())
        for model_id in session.execute(select(model_calibre.c.model_id).where(
                model_calibre.c.calibre_id == duplicate.id)).scalars().all():
            if model_id not in kept_models:
                session.execute(model_calibre.insert().values(model_id=model_id, calibre_id=kept.id))
        session.execute(model_calibre.delete().where(model_calibre.c.calibre_id == duplicate.id))
    if field_name == "make":
        # Models of the duplicate move to the kept make; same-named models are merged too.
        kept_models = {key(model.name): model for model in kept.models}
        journal["models"] = []
        for model in list(duplicate.models):
            twin = kept_models.get(key(model.name))
            if twin is not None:
                journal["models"].append({})
                merge(actor, "model", model.id, twin.id, journal=journal["models"][-1])
    session.flush()
    moved = repoint(duplicate.__tablename__, duplicate.id, kept.id,
                    moved_ids=journal["repointed"] if journal is not None else None)
    session.expire_all()
    duplicate = _target(field_name, duplicate_id)
    kept = _target(field_name, kept_id)
    old_name = duplicate.name
    # Aliases now pointing at the kept entry twice are dropped; the old name becomes one.
    seen = set()
    for alias in session.scalars(select(Alias).where(getattr(Alias, f"{field_name}_id") == kept.id)
                                 .order_by(Alias.id)):
        marker = (alias.normalized, alias.country_code)
        if marker in seen:
            if journal is not None:
                journal["deleted_aliases"].append(_alias_row(alias))
            session.delete(alias)
        seen.add(marker)
    session.delete(duplicate)
    session.flush()
    normalized = _alias_key(field_name, old_name)
    if normalized and (normalized, None) not in seen and normalized != _alias_key(field_name, kept.name):
        added = Alias(alias=old_name, normalized=normalized, origin="admin",
                      created_by_id=getattr(actor, "id", None), **{f"{field_name}_id": kept.id})
        session.add(added)
        session.flush()
        if journal is not None:
            journal["added_alias_id"] = added.id
    session.flush()
    if field_name == "make":
        session.add(ReferenceMerge(field="make", kept_id=kept.id, kept_name=kept.name, duplicate_id=duplicate_id,
                                   duplicate_name=old_name, journal=journal, merged_by_id=getattr(actor, "id", None)))
        session.flush()
    bump_version()
    record("reference.merged", f"reference_{field_name}", kept.id,
           {"field": field_name, "duplicate_id": duplicate_id, "duplicate_name": old_name,
            "kept_id": kept.id, "kept_name": kept.name, "repointed": moved}, user=actor)
    return moved


# --- undoing a merge of makes -------------------------------------------------------------


def merges_into(make: Make) -> list[ReferenceMerge]:
    """The merges into this make that can still be undone, newest first."""
    return list(db.session.scalars(select(ReferenceMerge).where(
        ReferenceMerge.kept_id == make.id, ReferenceMerge.field == "make", ReferenceMerge.undone_at.is_(None))
        .order_by(ReferenceMerge.id.desc())))


def _free_id(model_class, wanted: int) -> int | None:
    """The id a removed entry had, when no other row took it since (None: a new one)."""
    return wanted if db.session.get(model_class, wanted) is None else None


def _restore_aliases(rows: list[dict]) -> None:
    from datetime import datetime

    for row in rows:
        values = {name: value for name, value in row.items() if name not in ("id", "created_at")}
        if row.get("created_at"):
            values["created_at"] = datetime.fromisoformat(row["created_at"])
        db.session.add(Alias(id=_free_id(Alias, row["id"]), **values))
    db.session.flush()


def _point_back(repointed: dict[str, list[int]], from_id: int, to_id: int) -> dict[str, int]:
    """The rows a merge moved (by "table.column" -> ids) pointed back at `to_id`, those that
    still point at `from_id` (a record changed since keeps its change)."""
    moved = {}
    tables = {table.name: table for table in db.metadata.sorted_tables}
    for where, ids in repointed.items():
        table_name, column_name = where.split(".", 1)
        table = tables.get(table_name)
        if table is None or column_name not in table.c:
            continue
        column = table.c[column_name]
        count = 0
        for start in range(0, len(ids), 500):
            count += db.session.execute(update(table).where(table.c.id.in_(ids[start:start + 500]), column == from_id)
                                        .values({column_name: to_id})).rowcount or 0
        if count:
            moved[where] = count
    return moved


def _drop_added_alias(alias_id: int | None) -> None:
    alias = db.session.get(Alias, alias_id) if alias_id else None
    if alias is not None:
        db.session.delete(alias)
        db.session.flush()


def _undo_model_merge(journal: dict, make_id: int) -> int:
    """A model merged into its twin when the makes were merged, put back under `make_id`:
    the model, its calibres, its aliases and its records. Answers its id."""
    entry, twin_id = journal["entry"], journal["kept_id"]
    twin = db.session.get(Model, twin_id)
    code = entry["code"]
    if db.session.scalar(select(Model.id).where(Model.code == code)) is not None:
        code = _new_code(Model, entry["name"], set(db.session.scalars(select(Model.code))))
    model = Model(id=_free_id(Model, entry["id"]), code=code, make_id=make_id, name=entry["name"],
                  type_id=entry.get("type_id"))
    db.session.add(model)
    db.session.flush()
    for calibre_id in journal.get("calibre_ids") or []:
        if db.session.get(Calibre, calibre_id) is not None:
            db.session.execute(model_calibre.insert().values(model_id=model.id, calibre_id=calibre_id))
    if twin is not None:
        added = journal.get("added_calibre_ids") or []
        if added:
            db.session.execute(model_calibre.delete().where(model_calibre.c.model_id == twin.id,
                                                            model_calibre.c.calibre_id.in_(added)))
        if journal.get("kept_type_set") and twin.type_id == entry.get("type_id"):
            twin.type_id = None
    _restore_aliases(journal.get("deleted_aliases") or [])
    _point_back(journal.get("repointed") or {}, twin_id, model.id)
    _drop_added_alias(journal.get("added_alias_id"))
    return model.id


def undo_merge(actor, merge_id: int) -> Make:
    """Undo a merge of makes: the duplicate make comes back with its name, code and country,
    its models (those merged into a twin of the kept make too, with their calibres), its
    aliases, and every record the merge re-pointed that still points where the merge put
    it; the alias the merge made of its name goes. Platform administrators only; audited.
    Refused, nothing changed, when the make kept is gone (undo the later merge first), a
    make has taken the name since, or the merge was undone already."""
    if actor is not None and not actor.can(Permission.MANAGE_REFERENCE):
        raise NotAllowed(_l("Only a platform administrator may change the reference table."))
    merged = db.session.get(ReferenceMerge, merge_id)
    if merged is None or merged.field != "make":
        raise DomainError(_l("This merge does not exist."))
    if merged.undone_at is not None:
        raise DomainError(_l("This merge was undone already."))
    kept = db.session.get(Make, merged.kept_id)
    if kept is None:
        raise DomainError(_l("The make “%(name)s” was merged into another since: undo that merge first.",
                             name=merged.kept_name))
    journal = merged.journal or {}
    entry = journal["entry"]
    if db.session.scalar(select(Make.id).where(func.lower(Make.name) == entry["name"].lower())) is not None:
        raise DomainError(_l("A make named “%(name)s” exists now: rename it before undoing the merge.",
                             name=entry["name"]))
    code = entry["code"]
    if db.session.scalar(select(Make.id).where(Make.code == code)) is not None:
        code = _new_code(Make, entry["name"], set(db.session.scalars(select(Make.code))))
    make = Make(id=_free_id(Make, entry["id"]), code=code, name=entry["name"], country_code=entry.get("country_code"))
    db.session.add(make)
    db.session.flush()
    _restore_aliases(journal.get("deleted_aliases") or [])
    moved = _point_back(journal.get("repointed") or {}, kept.id, make.id)
    _drop_added_alias(journal.get("added_alias_id"))
    models = [_undo_model_merge(item, make.id) for item in reversed(journal.get("models") or [])]
    merged.undone_at, merged.undone_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    bump_version()
    record("reference.merge_undone", "reference_make", make.id,
           {"merge": merged.id, "make": make.name, "kept_id": kept.id, "kept_name": kept.name,
            "pointed_back": moved, "models_restored": len(models)}, user=actor)
    db.session.expire_all()
    return db.session.get(Make, make.id)
