"""Loading a reference table onto the table the registry holds (the starter table, or a
table loaded before): what is one entry in both is united, never doubled.

Two makes, two models of one make or two calibres are one when the name or an alias of one
is the name or an alias of the other, after the engine's folding (`key`, `calibre_keys`).
Each entry of the file is paired with at most one entry of the table, the closest first:
same name; the table's name among the file's aliases; the file's name among the table's
aliases; an alias in common. Then:

- a make of the file that names several makes of the table unites them (their records
  follow; the load says so, and says when the records were of different countries);
- a model of the file whose name is only an alias of a model of the table is a model of
  its own: it takes that alias over ("M16A2" beside "M16");
- a calibre's bare number (".40", "40 mm" and "40 Cal" all read 40) never unites two
  calibres.

The entry paired takes the file's spelling (the old one stays as an alias); calibres keep
their name and gain the file's as an alias. An alias that would point to two entries of
one kind is a conflict, listed and resolved so: a name wins over an alias (the entry of
that name keeps the spelling); between two aliases, the file's entry takes it from the
other; an alias the file gives to two of its entries goes to neither; a calibre's bare
number is kept by both (identification then chooses by the model's calibres).
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from registry.audit.service import record
from registry.extensions import db
from registry.reference.loader import LoadError, ReferenceFile, TableRow
from registry.reference.models import Alias, Calibre, Make, Model, WeaponType, model_calibre
from registry.reference.normalize import calibre_key, calibre_keys, key
from registry.reference.normalize import country_code as country_code_of

UNITED = {
    "make": lambda **names: _l("United: the make “%(file)s” of the file is “%(table)s” of the table.", **names),
    "model": lambda **names: _l("United: the model “%(file)s” of the file is “%(table)s” of the table.", **names),
    "calibre": lambda **names: _l("United: the calibre “%(file)s” of the file is “%(table)s” of the table.",
                                  **names),
}


@dataclass
class _Entry:
    """An entry of the file (a make, a model of one make, or a calibre) and its keys."""

    name: str
    name_keys: set[str]
    aliases: list[str] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)

    def alias_keys(self, fold) -> set[str]:
        return {fold(alias) for alias in self.aliases} - {""}


def _pair(entries: list[_Entry], olds: list, name_keys, alias_keys, fold, name_in_alias_pairs=True,
          weak=lambda text_key: False) -> tuple[dict[int, object], dict[int, int]]:
    """Pair each entry of the file with at most one entry of the table, level by level
    (same name; the table's name among the file's aliases; the file's name among the
    table's aliases; an alias in common). Returns {file index: old entry} and
    {file index: level}."""
    by_name: dict[str, list] = {}
    by_alias: dict[str, list] = {}
    for old in olds:
        for text_key in name_keys(old):
            by_name.setdefault(text_key, []).append(old)
        for text_key in alias_keys(old):
            by_alias.setdefault(text_key, []).append(old)
    paired: dict[int, object] = {}
    levels: dict[int, int] = {}
    taken: set[int] = set()

    def linked(index: int, level: int) -> list:
        entry = entries[index]
        aliases = entry.alias_keys(fold) - entry.name_keys
        if level == 1:
            found = [old for text_key in entry.name_keys for old in by_name.get(text_key, ())]
        elif level == 2:
            found = [old for text_key in aliases if not weak(text_key) for old in by_name.get(text_key, ())]
        elif level == 3:
            found = [old for text_key in entry.name_keys if not weak(text_key)
                     for old in by_alias.get(text_key, ())] if name_in_alias_pairs else []
        else:
            found = [old for text_key in aliases if not weak(text_key) for old in by_alias.get(text_key, ())]
        return sorted({old.id: old for old in found}.values(), key=lambda old: old.id)

    for level in (1, 2, 3, 4):
        for index in range(len(entries)):
            if index in paired:
                continue
            for old in linked(index, level):
                if old.id not in taken:
                    paired[index], levels[index] = old, level
                    taken.add(old.id)
                    break
    return paired, levels


class TableLoader:
    """Applies a checked file to the table in one transaction; `report` says what it did."""

    def __init__(self, actor, report, table, new_code, merge, bump_version):
        self.actor, self.report, self.table = actor, report, table
        self.new_code, self.merge, self.bump_version = new_code, merge, bump_version
        self.session = db.session

    # --- aliases ------------------------------------------------------------------------

    def _fold(self, field_name: str):
        return calibre_key if field_name == "calibre" else key

    def add_alias(self, field_name: str, target, text: str) -> None:
        normalized = self._fold(field_name)(text)
        if not normalized or normalized in self.table.alias_keys(field_name, target.id):
            return
        if field_name == "calibre" and normalized in calibre_keys(target.name):
            return
        if field_name in ("make", "model") and normalized == key(target.name):
            return
        alias = Alias(alias=text[:200], normalized=normalized[:200], origin="table",
                      created_by_id=getattr(self.actor, "id", None), **{f"{field_name}_id": target.id})
        self.session.add(alias)
        self.session.flush()
        self.table.add_alias(alias)
        self.report.added["aliases"] += 1

    def take_alias(self, field_name: str, text_key: str, loser, winner, text: str) -> None:
        """The table's alias `text_key` of `loser` now names `winner` only."""
        column = getattr(Alias, f"{field_name}_id")
        self.session.execute(delete(Alias).where(column == loser.id, Alias.normalized == text_key,
                                                 Alias.country_code.is_(None)))
        self.table.alias_index.get((field_name, loser.id), set()).discard(text_key)
        self.report.lines.append(_l("Conflict: “%(alias)s” named %(loser)s and now names %(winner)s only "
                                    "(the file's entry takes it).", alias=text, loser=loser.name,
                                    winner=winner.name))
        self.report.conflicts += 1

    def apply_aliases(self, field_name: str, entries: list[_Entry], targets: dict[int, object],
                      scope: list, weak=lambda text_key: False) -> None:
        """Give each entry's aliases to its target, by the rule of conflicts (module docstring)."""
        fold = self._fold(field_name)
        file_names = {text_key: index for index, entry in enumerate(entries) for text_key in entry.name_keys}
        file_aliases: dict[str, set[int]] = {}
        for index, entry in enumerate(entries):
            for text_key in entry.alias_keys(fold) - entry.name_keys:
                file_aliases.setdefault(text_key, set()).add(index)

        def names_of(old) -> set[str]:
            return calibre_keys(old.name) if field_name == "calibre" else {key(old.name)}

        # A name wins over an alias: an old alias that is the file's name of another entry.
        for index, entry in enumerate(entries):
            target = targets[index]
            for old in scope:
                if old.id == target.id:
                    continue
                for text_key in entry.name_keys & self.table.alias_keys(field_name, old.id):
                    if not weak(text_key):
                        self.take_alias(field_name, text_key, old, target, entry.name)
        for index, entry in enumerate(entries):
            target = targets[index]
            for text in entry.aliases:
                text_key = fold(text)
                if not text_key or text_key in entry.name_keys or text_key in self.table.alias_keys(
                        field_name, target.id):
                    continue  # nothing new (a second load of the same file changes nothing)
                other_file = file_names.get(text_key)
                named = [old for old in scope if old.id != target.id and text_key in names_of(old)]
                if (other_file is not None and other_file != index) or named:
                    holder = entries[other_file].name if other_file is not None else named[0].name
                    self.report.lines.append(_l(
                        "Conflict: “%(alias)s” is the name of %(holder)s: it stays that entry's, not an alias "
                        "of %(entry)s.", alias=text, holder=holder, entry=target.name))
                    self.report.conflicts += 1
                    continue
                if len(file_aliases.get(text_key, ())) > 1:
                    if index == min(file_aliases[text_key]):
                        owners = ", ".join(entries[other].name for other in sorted(file_aliases[text_key]))
                        self.report.lines.append(_l(
                            "Conflict: the file gives “%(alias)s” to several entries (%(entries)s): it is "
                            "added to none.", alias=text, entries=owners))
                        self.report.conflicts += 1
                    continue
                for old in scope:
                    if old.id != target.id and text_key in self.table.alias_keys(field_name, old.id):
                        if weak(text_key):
                            self.report.lines.append(_l(
                                "Conflict: “%(alias)s” names both %(entry)s and %(other)s: both keep it, and "
                                "identification chooses by the model's calibres.", alias=text,
                                entry=target.name, other=old.name))
                            self.report.conflicts += 1
                        else:
                            self.take_alias(field_name, text_key, old, target, text)
                self.add_alias(field_name, target, text)

    def rename(self, field_name: str, target, new_name: str, counter: str | None) -> None:
        if target.name == new_name:
            return
        self.report.lines.append(f"{field_name} {target.code}: {target.name!r} -> {new_name!r}")
        old_name = target.name
        target.name = new_name
        self.session.flush()
        self.add_alias(field_name, target, old_name)
        if counter:
            self.report.changed[counter] += 1

    def united(self, kind: str, kept_name: str, other_name: str) -> None:
        self.report.lines.append(UNITED[kind](file=kept_name, table=other_name))
        self.report.united[f"{kind}s"] += 1

    # --- calibres -----------------------------------------------------------------------

    def calibres(self, parsed: ReferenceFile) -> dict[str, Calibre]:
        """Pair the file's calibres (its Calibres sheet, then those its rows name) with the
        table's; returns the calibre of each spelling the rows use."""
        entries: list[_Entry] = []
        by_key: dict[str, _Entry] = {}
        for name, aliases in parsed.calibres:
            entry = by_key.get(calibre_key(name))
            if entry is None:
                entry = _Entry(name, calibre_keys(name))
                entries.append(entry)
                by_key[calibre_key(name)] = entry
            entry.aliases.extend(aliases)
        for row in parsed.rows:
            for text in row.calibres:
                known = self._find_file_calibre(entries, text)
                if known is None:
                    entry = _Entry(text, calibre_keys(text))
                    entries.append(entry)
                    by_key[calibre_key(text)] = entry
        table = self.table
        paired, levels = _pair(
            entries, table.calibres, lambda old: calibre_keys(old.name),
            lambda old: table.alias_keys("calibre", old.id), calibre_key, weak=_bare_number)
        targets: dict[int, Calibre] = {}
        for index, entry in enumerate(entries):
            calibre = paired.get(index)
            if calibre is None:
                calibre = Calibre(code=self.new_code(Calibre, entry.name, table.codes), name=entry.name)
                self.session.add(calibre)
                self.session.flush()
                table.calibres.append(calibre)
                self.report.added["calibres"] += 1
                self.report.lines.append(f"calibre added: {entry.name}")
            else:
                known = calibre_keys(calibre.name) | table.alias_keys("calibre", calibre.id)
                if calibre_key(entry.name) not in known:
                    self.united("calibre", entry.name, calibre.name)
                    self.add_alias("calibre", calibre, entry.name)
            targets[index] = calibre
        self.apply_aliases("calibre", entries, targets, table.calibres, weak=_bare_number)
        spellings: dict[str, Calibre] = {}
        for row in parsed.rows:
            for text in row.calibres:
                entry = self._find_file_calibre(entries, text)
                spellings[text] = targets[entries.index(entry)]
        return spellings

    @staticmethod
    def _find_file_calibre(entries: list[_Entry], text: str) -> _Entry | None:
        full, keys = calibre_key(text), calibre_keys(text)
        for entry in entries:
            if full in entry.name_keys or full in entry.alias_keys(calibre_key):
                return entry
        for entry in entries:
            if keys & entry.name_keys:
                return entry
        return None

    # --- makes ----------------------------------------------------------------------------

    def makes(self, rows: list[TableRow]) -> dict[str, Make]:
        """Pair the file's makes with the table's, uniting the table's makes one file make
        names; returns the make of each of the file's make names."""
        table = self.table
        entries: list[_Entry] = []
        by_name: dict[str, _Entry] = {}
        for row in rows:
            entry = by_name.get(key(row.make))
            if entry is None:
                entry = _Entry(row.make, {key(row.make)})
                entries.append(entry)
                by_name[key(row.make)] = entry
            entry.rows.append(row)
            entry.aliases.extend(row.make_aliases)
        paired, levels = _pair(entries, table.makes, lambda old: {key(old.name)},
                               lambda old: table.alias_keys("make", old.id), key)
        targets: dict[int, Make] = {}
        for index, entry in enumerate(entries):
            first = entry.rows[0]
            country_code = self._country(entry)
            make = paired.get(index)
            if make is None:
                make = Make(code=self.new_code(Make, entry.name, table.codes), name=entry.name,
                            country_code=country_code)
                self.session.add(make)
                self.session.flush()
                table.makes.append(make)
                self.report.added["makes"] += 1
                self.report.lines.append(f"make added: {entry.name}")
            else:
                if levels[index] > 1:
                    self.united("make", entry.name, make.name)
                self._check_unique_name(table.makes, make, first, "make")
                self.rename("make", make, entry.name, "makes")
                if country_code and make.country_code != country_code:
                    self.report.lines.append(f"make {make.code}: country {make.country_code} -> {country_code}")
                    make.country_code = country_code
                    self.report.changed["makes"] += 1
            targets[index] = make
        # A file make that names other makes of the table too unites them with its own.
        paired_ids = {make.id for make in targets.values()}
        for index, entry in enumerate(entries):
            make = targets[index]
            keys = entry.name_keys | entry.alias_keys(key)
            others = [old for old in list(table.makes) if old.id not in paired_ids
                      and keys & ({key(old.name)} | table.alias_keys("make", old.id))]
            for other in others:
                self._unite_makes(other, make)
                paired_ids.add(other.id)
        self.apply_aliases("make", entries, targets, table.makes)
        return {entry.name: targets[index] for index, entry in enumerate(entries)}

    def _unite_makes(self, duplicate: Make, kept: Make) -> None:
        from registry.weapons.models import Weapon

        countries = {}
        for make_id, country in self.session.execute(
                select(Weapon.make_id, Weapon.country_code).where(Weapon.make_id.in_((duplicate.id, kept.id)))
                .distinct()):
            countries.setdefault(make_id, set()).add(country)
        self.united("make", kept.name, duplicate.name)
        if countries.get(duplicate.id) and countries.get(kept.id) and countries[duplicate.id] != countries[kept.id]:
            self.report.lines.append(_l(
                "Records of %(first)s name “%(duplicate)s” and records of %(second)s name “%(kept)s”: the two "
                "makes are united and every record is kept, now naming “%(kept)s”.",
                first=", ".join(sorted(countries[duplicate.id])), duplicate=duplicate.name,
                second=", ".join(sorted(countries[kept.id])), kept=kept.name))
        self.merge(self.actor, "make", duplicate.id, kept.id)
        self.table.refresh()

    def _country(self, entry: _Entry) -> str | None:
        for row in entry.rows:
            if row.country:
                code = country_code_of(self.table.countries, row.country)
                if code is None:
                    raise LoadError(_l("Unknown country: %(country)s.", country=row.country), row.sheet, row.row,
                                    row.columns.get("country"))
                return code
        return None

    # --- models ---------------------------------------------------------------------------

    def models(self, rows: list[TableRow], makes: dict[str, Make], calibres: dict[str, Calibre],
               find_type) -> None:
        table = self.table
        by_make: dict[int, list[_Entry]] = {}
        found: dict[tuple[int, str], _Entry] = {}
        makes_by_key = {key(name): make for name, make in makes.items()}
        for row in rows:
            if row.model is None:
                continue
            make = makes_by_key[key(row.make)]
            entry = found.get((make.id, key(row.model)))
            if entry is None:
                entry = _Entry(row.model, {key(row.model)})
                found[(make.id, key(row.model))] = entry
                by_make.setdefault(make.id, []).append(entry)
            entry.rows.append(row)
            entry.aliases.extend(row.model_aliases)
        for make_id, entries in by_make.items():
            make = next(make for make in table.makes if make.id == make_id)
            olds = [model for model in table.models if model.make_id == make_id]
            # A model named as another's alias is a model of its own (no pairing on that).
            paired, levels = _pair(entries, olds, lambda old: {key(old.name)},
                                   lambda old: table.alias_keys("model", old.id), key, name_in_alias_pairs=False)
            targets: dict[int, Model] = {}
            for index, entry in enumerate(entries):
                first = entry.rows[0]
                weapon_type = self._weapon_type(entry, find_type)
                model = paired.get(index)
                if model is None:
                    model = Model(code=self.new_code(Model, f"{make.name} {entry.name}", table.codes),
                                  make_id=make.id, name=entry.name, type_id=weapon_type.id if weapon_type else None)
                    self.session.add(model)
                    self.session.flush()
                    table.models.append(model)
                    self.report.added["models"] += 1
                    self.report.lines.append(f"model added: {make.name} {entry.name}")
                else:
                    if levels[index] > 1:
                        self.united("model", entry.name, model.name)
                    self._check_unique_name(olds, model, first, "model")
                    self.rename("model", model, entry.name, "models")
                    if weapon_type is not None and model.type_id != weapon_type.id:
                        self.report.lines.append(f"model {model.code}: type -> {weapon_type.name_en}")
                        model.type_id = weapon_type.id
                        self.report.changed["models"] += 1
                targets[index] = model
            scope = [model for model in table.models if model.make_id == make_id]
            self.apply_aliases("model", entries, targets, scope)
            for index, entry in enumerate(entries):
                model = targets[index]
                for row in entry.rows:
                    for text in row.calibres:
                        calibre = calibres[text]
                        if (model.id, calibre.id) not in table.links:
                            self.session.execute(model_calibre.insert().values(model_id=model.id,
                                                                               calibre_id=calibre.id))
                            table.links.add((model.id, calibre.id))
                            self.report.lines.append(f"model {model.code}: calibre {calibre.name}")

    def _weapon_type(self, entry: _Entry, find_type) -> WeaponType | None:
        text = next((row.type for row in entry.rows if row.type), None)
        if not text:
            return None
        weapon_type = find_type(text)
        if weapon_type is None:
            weapon_type = WeaponType(code=self.new_code(WeaponType, text, self.table.codes), name_en=text,
                                     name_fr=text)
            self.session.add(weapon_type)
            self.session.flush()
            self.table.types.append(weapon_type)
            self.report.added["types"] += 1
            self.report.lines.append(f"type added: {text}")
        return weapon_type

    @staticmethod
    def _check_unique_name(entries, entry, row: TableRow, field_name: str) -> None:
        """Renaming to the file's spelling must not collide with another entry's name."""
        wanted = getattr(row, field_name)
        for other in entries:
            if other is not entry and other.name == wanted:
                raise LoadError(_l("%(name)s names two entries of the table.", name=wanted), row.sheet, row.row,
                                row.columns.get(field_name))


def _bare_number(text_key: str) -> bool:
    """A calibre key that is only a number ("40" of ".40" and of "40 mm"): it says too little
    to unite two calibres."""
    return text_key.isdigit()


def audit_load(actor, report, source: str) -> None:
    record("reference.load", "reference", None,
           {"source": source, "added": report.added, "changed": report.changed, "united": report.united,
            "conflicts": report.conflicts, "changes": [str(line) for line in report.lines[:500]]}, user=actor)
