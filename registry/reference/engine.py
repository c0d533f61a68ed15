"""The identification engine: from what the field typed to the reference table's make,
model, calibre and type, with a confidence, and never confidently wrong.

`get_identifier(country)` builds the lookup structures once per reference version (and
country, whose learnt aliases count only for it) and keeps them in the process; an
`Identifier` answers `identify()` from memory, without any query, and remembers the
answer for each distinct input. When it is not sure, a field stays empty, `needs_review`
is set and ranked suggestions say what it might be.
"""

import multiprocessing
import os
import threading
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select

from registry.extensions import db
from registry.reference import normalize
from registry.reference.normalize import calibre_key, key, tokens

FIELDS = ("make", "model", "calibre", "type")

# Confidence of each way of finding a field.
CONFIDENCE = {
    "exact": 1.0, "alias": 0.98, "split_combined": 0.96, "swapped": 0.95, "inferred_from_model": 0.95,
}
# Overall method: the most telling way a field was found.
METHOD_ORDER = ("swapped", "split_combined", "inferred_from_model", "fuzzy", "alias", "exact")

# Fuzzy matching (rapidfuzz ratio on keys, 0..100): accept at or above, with a lead over
# the runner-up; names whose digits differ are never taken for one another.
MAKE_ACCEPT, MODEL_ACCEPT, MODEL_IN_MAKE_ACCEPT, CALIBRE_ACCEPT, TYPE_ACCEPT = 84, 87, 80, 90, 85
LEAD = 6
# A misspelt make is taken from this score when the model typed beside it is one of its models.
CONFIRMED_MAKE_ACCEPT = 70
# A model of the make read through one slip of the finger (letters swapped or doubled).
SLIP_CONFIDENCE = 0.85
# A make's name up to this long is read through one slip (fuzzy scores cannot judge so few letters).
SLIP_MAKE_LENGTH = 5
SUGGEST_FROM = 55
MIN_FUZZY_LENGTH = 4
# Answers (and partial answers) kept for spellings met again: a form, a search, a sheet's
# repeated rows. Bounded well below a large sheet's distinct spellings, which the import
# keeps itself: a sheet of 70,000 spellings would otherwise be held twice.
CACHE_SIZE = 10_000
# Above this many keys, fuzzy matching first narrows the keys to those sharing the most
# letter pairs with the query (a national table of 20,000 models has some 60,000 keys: a
# full scan costs milliseconds a query).
NARROW_FROM, NARROWED_TO = 8000, 200
# From this many keys, fuzzy matching scores only the keys that begin as the query does,
# give or take one error in its first two letters.
BEGINNINGS_FROM = 500
# Letter pairs counted when narrowing: the rarest of the query's, since a typing error
# spoils at most three.
RAREST_PAIRS = 6
# A batch of at least this many distinct inputs is shared among the machine's cores.
POOL_FROM = 5000


@dataclass
class Identification:
    make: str | None = None
    model: str | None = None
    calibre: str | None = None
    type: str | None = None
    make_id: int | None = None
    model_id: int | None = None
    calibre_id: int | None = None
    type_id: int | None = None
    confidence: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0.0))
    method: str = "none"
    methods: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, "none"))
    suggestions: list[dict] = field(default_factory=list)
    needs_review: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def copy(self) -> "Identification":
        return Identification(
            self.make, self.model, self.calibre, self.type, self.make_id, self.model_id,
            self.calibre_id, self.type_id, dict(self.confidence), self.method, dict(self.methods),
            [dict(suggestion) for suggestion in self.suggestions], self.needs_review)


@dataclass(frozen=True)
class Found:
    """One field found: the target's id, how, and how sure."""

    id: int
    method: str
    confidence: float


class _Index:
    """Keys -> {target id: "exact" | "alias"}, and the list of keys for fuzzy matching."""

    def __init__(self):
        self.keys: dict[str, dict[int, str]] = {}

    def add(self, text_key: str, target_id: int, method: str) -> None:
        if not text_key:
            return
        targets = self.keys.setdefault(text_key, {})
        if targets.get(target_id) != "exact":
            targets[target_id] = method

    def override(self, text_key: str, target_id: int) -> None:
        """A country's learnt alias wins over what the key meant before, for that country."""
        if text_key:
            self.keys[text_key] = {target_id: "alias"}

    def freeze(self) -> None:
        self.choices = list(self.keys)
        self.digits = {choice: normalize.digits(choice) for choice in self.choices}
        self.pairs: dict[str, array] | None = None
        self.first: dict[str, list[str]] | None = None
        if len(self.choices) >= NARROW_FROM:
            pairs: dict[str, array] = {}
            for position, choice in enumerate(self.choices):
                for pair in _letter_pairs(choice):
                    pairs.setdefault(pair, array("I")).append(position)
            self.pairs = pairs
        elif len(self.choices) >= BEGINNINGS_FROM:
            self.first, self.second = {}, {}
            for choice in self.choices:
                self.first.setdefault(choice[0], []).append(choice)
                if len(choice) > 1:
                    self.second.setdefault(choice[1], []).append(choice)
            self.beginnings: dict[str, list[str]] = {}

    def candidates(self, query: str) -> list[str]:
        """The keys worth scoring against `query`: all of a small index; else those that
        begin as it does, or with one error in its first two letters (a letter changed,
        dropped, added or two swapped there); in a large index, those that share the most
        of its rarest letter pairs."""
        if self.first is not None:
            beginning = query[:2]
            found = self.beginnings.get(beginning)
            if found is None:
                letters = set(beginning)
                found = list({choice for letter in letters for choice in
                              (*self.first.get(letter, ()), *self.second.get(letter, ()))})
                self.beginnings[beginning] = found
            return found
        if self.pairs is None:
            return self.choices
        found = sorted((self.pairs[pair] for pair in _letter_pairs(query) if pair in self.pairs), key=len)
        counts: Counter = Counter()
        for positions in found[:RAREST_PAIRS]:
            counts.update(positions)
        if len(counts) > NARROWED_TO:
            return [self.choices[position] for position, _count in counts.most_common(NARROWED_TO)]
        return [self.choices[position] for position in counts]

    def get(self, text_key: str) -> dict[int, str]:
        return self.keys.get(text_key, {})


def _letter_pairs(text: str) -> set[str]:
    padded = f"^{text}$"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


class Identifier:
    """The reference table in memory, for one country's identifications."""

    def __init__(self, country: str | None, token: tuple):
        self.country = country
        self.token = token
        self._cache: dict[tuple, Identification] = {}
        # Rankings of a spelling against an index: a sheet's distinct rows share their
        # make cells ("Kalachnikov" beside a hundred different models).
        self._rankings: dict[tuple[int, str], list[tuple[int, float]]] = {}
        self._pairs: dict[tuple, _Pair] = {}
        self._load()

    # --- building -----------------------------------------------------------------

    def _load(self) -> None:
        from registry.auth.models import Country
        from registry.reference.models import Alias, Calibre, Make, Model, WeaponType, model_calibre

        session = db.session
        self.makes = {row.id: row for row in session.execute(
            select(Make.id, Make.name, Make.country_code))}
        self.models = {row.id: row for row in session.execute(
            select(Model.id, Model.name, Model.make_id, Model.type_id))}
        self.calibres = {row.id: row.name for row in session.execute(select(Calibre.id, Calibre.name))}
        self.types = {row.id: row for row in session.execute(
            select(WeaponType.id, WeaponType.name_en, WeaponType.name_fr, WeaponType.name_ar))}
        self.model_calibres: dict[int, list[int]] = {}
        for model_id, calibre_id in session.execute(select(model_calibre.c.model_id, model_calibre.c.calibre_id)):
            self.model_calibres.setdefault(model_id, []).append(calibre_id)
        alias_filter = Alias.country_code.is_(None)
        if self.country:
            alias_filter = or_(alias_filter, Alias.country_code == self.country)
        aliases = session.execute(
            select(Alias.normalized, Alias.alias, Alias.make_id, Alias.model_id, Alias.calibre_id,
                   Alias.type_id, Alias.country_code).where(alias_filter)
            .order_by(Alias.country_code.is_not(None), Alias.id)).all()
        self.country_keys = normalize.country_keys(session.execute(
            select(Country.code, Country.alpha3, Country.name_en, Country.name_fr)))

        self.make_index, self.model_index = _Index(), _Index()
        self.calibre_index, self.type_index = _Index(), _Index()
        self.make_keys: dict[int, set[str]] = {make_id: set() for make_id in self.makes}
        for make in self.makes.values():
            self.make_index.add(key(make.name), make.id, "exact")
            self.make_keys[make.id].add(key(make.name))
        for model in self.models.values():
            self.model_index.add(key(model.name), model.id, "exact")
        for calibre_id, name in self.calibres.items():
            for text_key in normalize.calibre_keys(name):
                self.calibre_index.add(text_key, calibre_id, "exact")
        for weapon_type in self.types.values():
            self.type_index.add(key(weapon_type.name_en), weapon_type.id, "exact")
            self.type_index.add(key(weapon_type.name_fr), weapon_type.id, "exact")
            if weapon_type.name_ar:
                self.type_index.add(key(weapon_type.name_ar), weapon_type.id, "exact")
        for alias in aliases:
            index, target = self._alias_target(alias)
            text_keys = (normalize.calibre_keys(alias.alias) if index is self.calibre_index
                         else {alias.normalized})
            for text_key in text_keys:
                if alias.country_code:
                    index.override(text_key, target)
                else:
                    index.add(text_key, target, "alias")
            if alias.make_id is not None:
                self.make_keys.setdefault(alias.make_id, set()).add(alias.normalized)
        self.model_keys: dict[int, set[str]] = {}
        for text_key, targets in self.model_index.keys.items():
            for model_id in targets:
                self.model_keys.setdefault(model_id, set()).add(text_key)
        # Models by make, with the make's names around them too ("Glock 17" under Glock).
        self.models_by_make: dict[int, _Index] = {make_id: _Index() for make_id in self.makes}
        # For fuzzy matching, only the models' own names and aliases (a misspelt make
        # must not pass for a model).
        self.fuzzy_models_by_make: dict[int, _Index] = {make_id: _Index() for make_id in self.makes}
        for text_key, targets in self.model_index.keys.items():
            for model_id, method in targets.items():
                make_id = self.models[model_id].make_id
                self.fuzzy_models_by_make[make_id].add(text_key, model_id, method)
                index = self.models_by_make[make_id]
                index.add(text_key, model_id, method)
                for make_key in self.make_keys.get(make_id, ()):
                    index.add(make_key + text_key, model_id, method)
        for index in (self.make_index, self.model_index, self.calibre_index, self.type_index,
                      *self.models_by_make.values(), *self.fuzzy_models_by_make.values()):
            index.freeze()
        self.model_choice_makes = None

    def _alias_target(self, alias) -> tuple[_Index, int]:
        if alias.make_id is not None:
            return self.make_index, alias.make_id
        if alias.model_id is not None:
            return self.model_index, alias.model_id
        if alias.calibre_id is not None:
            return self.calibre_index, alias.calibre_id
        return self.type_index, alias.type_id

    def clear_cache(self) -> None:
        """Forget every answer and partial answer (for benchmarks: every input new)."""
        self._cache.clear()
        self._rankings.clear()
        self._pairs.clear()

    # --- answering ----------------------------------------------------------------

    def identify(self, make=None, model=None, calibre=None, type=None) -> Identification:  # noqa: A002
        """Identify one weapon from its raw make, model, calibre and type."""
        raw = tuple(None if value is None else str(value).strip() for value in (make, model, calibre, type))
        cached = self._cache.get(raw)
        if cached is None:
            cached = self._identify(*raw)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[raw] = cached
        return cached.copy()

    def identify_many(self, rows, processes: int | None = None) -> list[Identification]:
        """Identify many weapons, each row (make, model, calibre, type): each distinct row
        once, and a large batch in several processes, one a core (`processes` says how many)."""
        raws = [tuple(None if value is None else str(value).strip() for value in (*row, None, None, None)[:4])
                for row in rows]
        answers: dict[tuple, Identification] = {}
        todo = []
        for raw in raws:
            if raw in answers:
                continue
            cached = self._cache.get(raw)
            if cached is not None:
                answers[raw] = cached
            else:
                answers[raw] = None
                todo.append(raw)
        workers = processes if processes is not None else (os.cpu_count() or 1)
        found = _in_processes(self, todo, workers) if workers > 1 and len(todo) >= POOL_FROM else None
        if found is None:
            found = [self._identify(*raw) for raw in todo]
        shared = {raw for raw, answer in answers.items() if answer is not None}  # from the cache
        # A large batch (an import's distinct spellings) is kept by its caller: caching it
        # too would hold it twice.
        keep = len(todo) < POOL_FROM
        for raw, result in zip(todo, found, strict=True):
            answers[raw] = result
            if keep and len(self._cache) < CACHE_SIZE:
                self._cache[raw] = result
                shared.add(raw)
        del found
        # A cached answer is handed out as a copy (the caller may change it); a fresh one
        # that is not kept is handed out as it is, once: a large batch is not held twice.
        results = []
        for raw in raws:
            answer = answers[raw]
            if raw in shared:
                answer = answer.copy()
            else:
                shared.add(raw)
            results.append(answer)
        return results

    def _identify(self, make_raw, model_raw, calibre_raw, type_raw) -> Identification:
        pair_key = (make_raw, model_raw)
        pair = self._pairs.get(pair_key)
        if pair is None:
            pair = self._read_pair(make_raw, model_raw)
            if len(self._pairs) >= CACHE_SIZE:
                self._pairs.clear()
            self._pairs[pair_key] = pair
        typed = {"make": pair.typed_make, "model": pair.typed_model,
                 "calibre": not normalize.is_blank(calibre_raw), "type": not normalize.is_blank(type_raw)}
        if typed["calibre"]:
            calibre_text, calibre_found_in = normalize.split_notes(calibre_raw)[0], None
        else:
            calibre_text, calibre_found_in = pair.calibre_written, pair.calibre_found_in
        result = pair.builder.clone()
        self._resolve_type(result, normalize.split_notes(type_raw)[0], pair.type_hint)
        self._resolve_calibre(result, calibre_text, calibre_found_in)
        return result.finish(typed)

    def _read_pair(self, make_raw, model_raw) -> "_Pair":
        """The make and model cells read together, whatever the calibre and type: a sheet
        holds the same make and model beside many calibre spellings."""
        make_text, make_notes = normalize.split_notes(make_raw)
        model_text, model_notes = normalize.split_notes(model_raw)
        country_hint = self._country_hint(make_notes + model_notes)
        make_text = "" if normalize.is_blank(make_text) else make_text
        model_text = "" if normalize.is_blank(model_text) else model_text

        # A calibre written in the make or model cell ("AK 47 7,62", "Jackal 9 PAK").
        calibre_written = calibre_found_in = None
        for cell in ("model", "make"):
            text = model_text if cell == "model" else make_text
            if not text or self._exact_anything(text):
                continue
            found = self._find_calibre(text)
            if found is None:
                continue
            written, rest = found
            if cell == "model":
                model_text = rest
            else:
                make_text = rest
            calibre_written, calibre_found_in = written, cell

        # Read the cells as they are first; then without type words ("Pistolet",
        # "fusil d'assaut AK47"), then without filler words ("marque", "mod.").
        make_words, model_words = tokens(make_text), tokens(model_text)
        stripped_make, type_hint = self._strip_type_words(make_words)
        stripped_model, hint = self._strip_type_words(model_words)
        type_hint = type_hint or hint
        attempts = [(make_words, model_words), (stripped_make, stripped_model)]
        attempts.append(([w for w in stripped_make if w not in normalize.FILLER_WORDS],
                         [w for w in stripped_model if w not in normalize.FILLER_WORDS]))
        # Last, the words typed together told apart ("Benelli ArmiSuper 90").
        joined_make, joined_model = normalize.split_joined(make_text), normalize.split_joined(model_text)
        if (joined_make, joined_model) != (make_text, model_text):
            split_make, split_model = tokens(joined_make), tokens(joined_model)
            attempts.append((split_make, split_model))
            attempts.append((self._strip_type_words(split_make)[0], self._strip_type_words(split_model)[0]))
        best, best_found = None, -1
        tried = set()
        for attempt_make, attempt_model in attempts:
            marker = (tuple(attempt_make), tuple(attempt_model))
            if marker in tried:
                continue
            tried.add(marker)
            candidate = _Builder(self)
            self._resolve_pair(candidate, attempt_make, attempt_model, country_hint)
            found = ("make" in candidate.ids) + ("model" in candidate.ids)
            if found > best_found:
                best, best_found = candidate, found
            if "make" in candidate.ids and ("model" in candidate.ids or not attempt_model):
                break
        return _Pair(best, type_hint, calibre_written, calibre_found_in,
                     not normalize.is_blank(make_raw), not normalize.is_blank(model_raw))

    def _find_calibre(self, text: str) -> tuple[str, str] | None:
        """A calibre at the end of a cell, as the reference spells calibres, or as it looks."""
        words = text.split()
        for length in range(min(4, len(words) - 1), 0, -1):
            tail = " ".join(words[-length:])
            tail_key = calibre_key(tail)
            # A bare number is a model's more often than a calibre ("Type 56", "P 38").
            looks_like_calibre = any(c.isalpha() for c in tail_key) or any(c in tail for c in ".,/")
            if (tail_key and looks_like_calibre and any(c.isdigit() for c in tail_key)
                    and self.calibre_index.get(tail_key)):
                return tail, " ".join(words[:-length])
        return normalize.find_calibre(text)

    def _exact_anything(self, text: str) -> bool:
        text_key = key(text)
        if self.make_index.get(text_key):
            return True
        return bool(self.model_index.get(text_key)) and not self.type_index.get(text_key)

    def _strip_type_words(self, words: list[str]) -> tuple[list[str], int | None]:
        joined = "".join(words)
        if not words or self.make_index.get(joined) or (
                self.model_index.get(joined) and not self.type_index.get(joined)):
            return words, None
        for length in range(len(words), 0, -1):
            for start in range(0, len(words) - length + 1):
                found = self.type_index.get("".join(words[start:start + length]))
                if len(found) == 1:
                    return words[:start] + words[start + length:], next(iter(found))
        return words, None

    def _country_hint(self, notes: list[str]) -> str | None:
        for note in notes:
            code = normalize.country_code(self.country_keys, note)
            if code:
                return code
        return None

    # make and model --------------------------------------------------------------

    def _resolve_pair(self, result: "_Builder", make_words: list[str], model_words: list[str],
                      country_hint) -> None:
        make_key, model_key = "".join(make_words), "".join(model_words)
        make = self._pick(self.make_index.get(make_key), "make", country_hint) if make_key else None
        if make is None and make_key and len(make_key) <= SLIP_MAKE_LENGTH and not self.model_index.get(make_key):
            make = self._make_by_slip(make_key, country_hint)  # "IIW" for IWI, "HH&K" for H&K
        if make is not None:
            result.set("make", make.id, make.method, make.confidence)
            if model_words:
                self._set_model_in_make(result, make.id, model_words, make.confidence)
            return

        if make_key:
            if model_key:
                # Swapped columns: a model in the make cell and a make in the model cell.
                swapped_make = self._pick(self.make_index.get(model_key), "make", country_hint)
                if swapped_make is not None:
                    model = self._model_in_make(swapped_make.id, make_words, allow_fuzzy=True)
                    if model is not None:
                        result.set("make", swapped_make.id, "swapped", CONFIDENCE["swapped"])
                        result.set("model", model.id, "swapped", min(CONFIDENCE["swapped"], model.confidence))
                        return
            # Make and model together in the make cell ("Norinco Type 56").
            split = self._split(make_words, country_hint)
            if split is not None:
                make, model = split
                result.set("make", make.id, make.method, make.confidence)
                result.set("model", model.id, "split_combined", min(CONFIDENCE["split_combined"], model.confidence))
                if model_key and model_key not in self.make_keys.get(make.id, ()):
                    other = self._model_in_make(make.id, model_words)
                    if other is not None and other.id != model.id:
                        result.unset("model")  # two different models: a person must say
                        result.suggest("model", model.id, model.confidence)
                        result.suggest("model", other.id, other.confidence)
                return
            # A model in the make cell (the model cell empty, or holding its make).
            model = self._model_anywhere(make_key, country_hint)
            if model is not None and (not model_key or self._model_anywhere(model_key, country_hint) is None):
                make_id = self.models[model.id].make_id
                method = "swapped" if model_key else "inferred_from_model"
                result.set("make", make_id, method, min(CONFIDENCE[method], model.confidence))
                result.set("model", model.id, "swapped" if model_key else model.method,
                           min(CONFIDENCE["swapped"], model.confidence) if model_key else model.confidence)
                return
            # A misspelt make: taken when the model cell confirms it, or when it is close.
            candidates = self._ranked(self.make_index, make_key) if len(make_key) >= MIN_FUZZY_LENGTH else []
            if model_words:
                confirmed = []
                for make_id, score in candidates[:4]:
                    if score < CONFIRMED_MAKE_ACCEPT:
                        break
                    model = self._model_in_make(make_id, model_words)
                    if model is not None:
                        confirmed.append((make_id, score, model))
                if len(confirmed) == 1:
                    make_id, score, model = confirmed[0]
                    result.set("make", make_id, "fuzzy", max(0.9, score / 100))
                    result.set("model", model.id, model.method, model.confidence)
                    return
            fuzzy_make = self._accept(candidates, make_key, MAKE_ACCEPT)
            if fuzzy_make is not None:
                result.set("make", fuzzy_make.id, "fuzzy", fuzzy_make.confidence)
                if model_words:
                    self._set_model_in_make(result, fuzzy_make.id, model_words, fuzzy_make.confidence)
                return
            for make_id, score in candidates[:4]:
                result.suggest("make", make_id, score / 100)
        if not model_key:
            return
        # No make found in the make cell: the model cell must say it.
        model = self._model_anywhere(model_key, country_hint)
        if model is None:
            split = self._split(model_words, country_hint)
            if split is not None:
                make, model = split
                result.set("make", make.id, "split_combined", min(CONFIDENCE["split_combined"], make.confidence))
                result.set("model", model.id, "split_combined", min(CONFIDENCE["split_combined"], model.confidence))
                return
            model = (self._accept(self._ranked(self.model_index, model_key), model_key, MODEL_ACCEPT)
                     or self._one_slip(self.model_index, model_key))
        if model is not None:
            make_id = self.models[model.id].make_id
            if make_key:
                # A make was typed that we could not read: the model's make, when the make
                # cell looks like it or like the model ("Tokarv" for a TT-33), else review.
                result.set("model", model.id, model.method, model.confidence)
                names = self.make_keys.get(make_id, set()) | self.model_keys.get(model.id, set())
                likeness = max((fuzz.ratio(make_key, other) for other in names), default=0)
                if likeness >= 70 or (len(make_key) >= 3 and slips_undone(make_key) & names):
                    result.set("make", make_id, "inferred_from_model", 0.85)
                else:
                    result.suggest("make", make_id, likeness / 100)
                return
            result.set("make", make_id, "inferred_from_model", min(CONFIDENCE["inferred_from_model"], model.confidence))
            result.set("model", model.id, model.method, model.confidence)
            return
        make = self._pick(self.make_index.get(model_key), "make", country_hint)
        if make is not None and not make_key:
            # Only a make, typed in the model cell.
            result.set("make", make.id, "swapped", CONFIDENCE["swapped"])
            return
        result.suggest_models(self, model_key, None)

    def _set_model_in_make(self, result: "_Builder", make_id: int, model_words: list[str], ceiling: float) -> None:
        model = self._model_in_make(make_id, model_words, allow_fuzzy=True)
        if model is not None:
            result.set("model", model.id, model.method, min(model.confidence, max(ceiling, 0.9)))
        else:
            result.suggest_models(self, "".join(model_words), make_id)

    def _pick(self, targets: dict[int, str], field_name: str, country_hint=None) -> Found | None:
        """The one target a key names; ties broken by the canonical name, then the country."""
        if not targets:
            return None
        if len(targets) > 1:
            exact = {target: method for target, method in targets.items() if method == "exact"}
            if len(exact) == 1:
                targets = exact
            elif country_hint and field_name == "make":
                local = {target: method for target, method in targets.items()
                         if self.makes[target].country_code == country_hint}
                if len(local) == 1:
                    targets = local
        if len(targets) != 1:
            return None
        target, method = next(iter(targets.items()))
        return Found(target, method, CONFIDENCE[method])

    def _model_in_make(self, make_id: int, words: list[str], allow_fuzzy=False) -> Found | None:
        index = self.models_by_make.get(make_id)
        if index is None or not words:
            return None
        whole = "".join(words)
        found = self._pick(index.get(whole), "model")
        if found is not None:
            return found
        # The model cell repeats the make, or says more: the longest run that names a
        # model, when what is left names nothing else.
        for length in range(len(words) - 1, 0, -1):
            for start in range(0, len(words) - length + 1):
                part = "".join(words[start:start + length])
                if len(part) < 2 or part in self.make_keys.get(make_id, ()):
                    continue
                found = self._pick(index.get(part), "model")
                if found is not None and self._rest_is_harmless(index, words, start, length, make_id, found.id):
                    return found
        if allow_fuzzy:
            return self._accept(self._ranked(self.fuzzy_models_by_make[make_id], whole), whole,
                                MODEL_IN_MAKE_ACCEPT) or self._one_slip(index, whole)
        return None

    def _make_by_slip(self, make_key: str, country_hint) -> Found | None:
        """A make's short name typed with one slip: "IIW" for IWI, "MEK" for MKE (a longer
        name is left to fuzzy matching, which is surer of it)."""
        if not 3 <= len(make_key) <= SLIP_MAKE_LENGTH:
            return None
        targets: dict[int, str] = {}
        for variant in slips_undone(make_key):
            targets.update(self.make_index.get(variant))
        found = self._pick(targets, "make", country_hint)
        return Found(found.id, "fuzzy", SLIP_CONFIDENCE) if found is not None else None

    def _one_slip(self, index: _Index, whole: str) -> Found | None:
        """A short model of the make typed with one slip that fuzzy scores cannot tell from
        another model ("KVP" for KPV, "Nvoa" for Nova, "CQQ" for CQ): two letters swapped
        or one letter doubled, when undoing it names one model of the make only."""
        if len(whole) < 3:
            return None
        targets: set[int] = set()
        for variant in slips_undone(whole):
            targets.update(index.get(variant))
        if len(targets) != 1:
            return None
        return Found(next(iter(targets)), "fuzzy", SLIP_CONFIDENCE)

    def _rest_is_harmless(self, index: _Index, words, start, length, make_id, model_id) -> bool:
        """What is left around a model's name is the make, or words that name nothing else."""
        rest = words[:start] + words[start + length:]
        rest_key = "".join(rest)
        if not rest_key or rest_key in self.make_keys.get(make_id, ()):
            return True
        if set(self.calibre_index.get(calibre_key(" ".join(rest)))) & set(self.model_calibres.get(model_id, ())):
            return True  # the model's own calibre ("500 12" for a 12-gauge shotgun)
        if any(word.isdigit() for word in rest) or index.get(rest_key):
            return False  # a number left over could be another model's ("Type 56 1")
        part = "".join(words[start:start + length])
        # "Type 56 carbinr" is not a Type 56 while a "Type 56 carbine" exists.
        return not any(part in other and model_id not in targets for other, targets in index.keys.items())

    def _model_anywhere(self, model_key: str, country_hint) -> Found | None:
        targets = self.model_index.get(model_key)
        if not targets or self.type_index.get(model_key):
            return None  # a word that names a type ("pistolet") says nothing of the make
        if len(targets) > 1 and country_hint:
            local = {target: method for target, method in targets.items()
                     if self.makes[self.models[target].make_id].country_code == country_hint}
            if len(local) == 1:
                targets = local
        return self._pick(targets, "model")

    def _split(self, words: list[str], country_hint) -> tuple[Found, Found] | None:
        """Make and model in one cell, either way round: "Norinco Type 56", "AK47 Kalachnikov"."""
        exact_makes = []
        for length in range(len(words) - 1, 0, -1):
            for make_words, model_words in ((words[:length], words[length:]), (words[-length:], words[:-length])):
                make = self._pick(self.make_index.get("".join(make_words)), "make", country_hint)
                if make is None:
                    continue
                model = self._model_in_make(make.id, model_words)
                if model is not None:
                    return make, model
                exact_makes.append((make, model_words))
        # The make typed with one slip ("IIW Micro Uzi", "MEK G3A7"), the model as it is named.
        for length in range(len(words) - 1, 0, -1):
            for make_words, model_words in ((words[:length], words[length:]), (words[-length:], words[:-length])):
                make = self._make_by_slip("".join(make_words), country_hint)
                if make is not None:
                    model = self._model_in_make(make.id, model_words)
                    if model is not None:
                        return make, model
        # The make is right, the model misspelt: "Ekol Jcakal".
        for make, model_words in exact_makes[:2]:
            model = self._model_in_make(make.id, model_words, allow_fuzzy=True)
            if model is not None:
                return make, model
        # The make misspelt in its first or last words, confirmed by the model: "Norinko Type 56";
        # a make close enough confirmed by a model misspelt too ("Makina ve Kimya Endüstriis
        # MPTT-76").
        for length in range(1, min(5, len(words) - 1) + 1):
            for make_words, model_words in ((words[:length], words[length:]), (words[-length:], words[:-length])):
                make_key = "".join(make_words)
                if len(make_key) < MIN_FUZZY_LENGTH:
                    continue
                for make_id, score in self._ranked(self.make_index, make_key)[:3]:
                    if score < CONFIRMED_MAKE_ACCEPT:
                        break
                    model = self._model_in_make(make_id, model_words, allow_fuzzy=score >= MAKE_ACCEPT)
                    if model is None and make_id in self.models_by_make:
                        model = self._one_slip(self.models_by_make[make_id], "".join(model_words))
                    if model is not None:
                        return Found(make_id, "fuzzy", max(0.9, score / 100)), model
        # Make and model typed as one word: "HKG36K", "FÉGFP9".
        whole = "".join(words)
        for cut in range(2, len(whole) - 1):
            make = self._pick(self.make_index.get(whole[:cut]), "make", country_hint)
            if make is not None:
                model = self._model_in_make(make.id, [whole[cut:]])
                if model is not None:
                    return make, model
        return None

    def _accept(self, ranked: list[tuple[int, float]], query: str, accept: int) -> Found | None:
        """The one target within `accept` of the query, well ahead of any other."""
        if not ranked or len(query) < MIN_FUZZY_LENGTH:
            return None
        (best, best_score), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0)
        if best_score < accept or best_score - runner_up < LEAD:
            return None
        return Found(best, "fuzzy", round(best_score / 100, 3))

    def _fuzzy(self, index: _Index, query: str, accept: int, result=None, field_name=None) -> Found | None:
        ranked = self._ranked(index, query)
        if result is not None and field_name:
            for target, score in ranked[:5]:
                result.suggest(field_name, target, score / 100)
        return self._accept(ranked, query, accept)

    def _ranked(self, index: _Index, query: str) -> list[tuple[int, float]]:
        if not query or not index.choices:
            return []
        marker = (id(index), query)
        ranked = self._rankings.get(marker)
        if ranked is not None:
            return ranked
        best: dict[int, float] = {}
        query_digits = normalize.digits(query)
        for choice, score, _position in process.extract(
                query, index.candidates(query), scorer=fuzz.ratio, limit=12, score_cutoff=SUGGEST_FROM):
            if index.digits[choice] != query_digits:
                score = min(score, SUGGEST_FROM)  # another number is another model
            for target in index.keys[choice]:
                if score > best.get(target, 0):
                    best[target] = score
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(self._rankings) >= CACHE_SIZE:
            self._rankings.clear()
        self._rankings[marker] = ranked
        return ranked

    # type and calibre ------------------------------------------------------------

    def _resolve_type(self, result: "_Builder", type_text: str, type_hint: int | None) -> None:
        if type_text and not normalize.is_blank(type_text):
            type_key = key(type_text)
            found = self._pick(self.type_index.get(type_key), "type")
            if found is None:
                words = [word for word in tokens(type_text) if word not in normalize.FILLER_WORDS]
                found = self._pick(self.type_index.get("".join(words)), "type")
            if found is None:
                found = self._fuzzy(self.type_index, type_key, TYPE_ACCEPT, result=result, field_name="type")
            if found is not None:
                result.set("type", found.id, found.method, found.confidence)
                return
        model_id = result.ids.get("model")
        if model_id is not None and self.models[model_id].type_id is not None:
            result.set("type", self.models[model_id].type_id, "inferred_from_model", CONFIDENCE["inferred_from_model"])
        elif type_hint is not None:
            result.set("type", type_hint, "alias", CONFIDENCE["alias"])

    def _resolve_calibre(self, result: "_Builder", calibre_text: str, found_in: str | None) -> None:
        model_id = result.ids.get("model")
        model_calibres = self.model_calibres.get(model_id, []) if model_id else []
        if not calibre_text or normalize.is_blank(calibre_text):
            if len(model_calibres) == 1:
                result.set("calibre", model_calibres[0], "inferred_from_model", CONFIDENCE["inferred_from_model"])
            return
        query = calibre_key(calibre_text)
        targets = self.calibre_index.get(query)
        if len(targets) > 1 and model_calibres:
            targets = {target: method for target, method in targets.items() if target in model_calibres}
        found = self._pick(targets, "calibre")
        if found is None and model_calibres:
            # "7.62" for an AK-47: the model's own calibre that starts so.
            matching = [calibre_id for calibre_id in model_calibres
                        if calibre_key(self.calibres[calibre_id]).startswith(query) and query]
            if len(matching) == 1:
                found = Found(matching[0], "inferred_from_model", CONFIDENCE["inferred_from_model"])
        if found is None:
            found = self._fuzzy(self.calibre_index, query, CALIBRE_ACCEPT, result=result, field_name="calibre")
        if found is not None:
            method = found.method
            if found_in is not None and method in ("exact", "alias"):
                method = "split_combined"
            result.set("calibre", found.id, method, found.confidence)


@dataclass(frozen=True)
class _Pair:
    """What the make and model cells say, kept for every input that has the same two cells."""

    builder: "_Builder"
    type_hint: int | None
    calibre_written: str | None
    calibre_found_in: str | None
    typed_make: bool
    typed_model: bool


class _Builder:
    """Collects what was found for one input and makes the Identification."""

    def __init__(self, identifier: Identifier):
        self.identifier = identifier
        self.ids: dict[str, int] = {}
        self.methods: dict[str, str] = {}
        self.confidence: dict[str, float] = {}
        self.suggestions: list[dict] = []

    def clone(self) -> "_Builder":
        other = _Builder(self.identifier)
        other.ids, other.methods = dict(self.ids), dict(self.methods)
        other.confidence, other.suggestions = dict(self.confidence), list(self.suggestions)
        return other

    def set(self, field_name: str, target_id: int, method: str, confidence: float) -> None:
        self.ids[field_name] = target_id
        self.methods[field_name] = method
        self.confidence[field_name] = round(float(confidence), 3)

    def unset(self, field_name: str) -> None:
        self.ids.pop(field_name, None)
        self.methods.pop(field_name, None)
        self.confidence.pop(field_name, None)

    def suggest(self, field_name: str, target_id: int, score: float) -> None:
        self.suggestions.append({"field": field_name, "id": target_id, "score": round(float(score), 3)})

    def suggest_models(self, identifier: Identifier, model_key: str, make_id: int | None) -> None:
        index = identifier.fuzzy_models_by_make.get(make_id) if make_id is not None else identifier.model_index
        for target, score in identifier._ranked(index, model_key)[:5]:
            self.suggest("model", target, score / 100)
        if make_id is not None:
            # The same spelling under another make (e.g. an AKM typed with a Chinese make).
            for target, method in identifier.model_index.get(model_key).items():
                self.suggest("model", target, CONFIDENCE[method] * 0.8)

    def _name(self, field_name: str, target_id: int) -> str:
        identifier = self.identifier
        if field_name == "make":
            return identifier.makes[target_id].name
        if field_name == "model":
            return identifier.models[target_id].name
        if field_name == "calibre":
            return identifier.calibres[target_id]
        weapon_type = identifier.types[target_id]
        return weapon_type.name_en

    def finish(self, typed: dict[str, bool]) -> Identification:
        identifier = self.identifier
        result = Identification()
        for field_name in FIELDS:
            target_id = self.ids.get(field_name)
            if target_id is None:
                continue
            setattr(result, field_name, self._name(field_name, target_id))
            setattr(result, f"{field_name}_id", target_id)
            result.confidence[field_name] = self.confidence[field_name]
            result.methods[field_name] = self.methods[field_name]
        found_methods = [result.methods[name] for name in ("make", "model") if result.methods[name] != "none"]
        found_methods = found_methods or [method for method in result.methods.values() if method != "none"]
        for method in METHOD_ORDER:
            if method in found_methods:
                result.method = method
                break
        seen = set()
        ranked = sorted(self.suggestions, key=lambda suggestion: -suggestion["score"])
        for suggestion in ranked:
            marker = (suggestion["field"], suggestion["id"])
            if marker in seen or self.ids.get(suggestion["field"]) == suggestion["id"]:
                continue
            seen.add(marker)
            entry = dict(suggestion, value=self._name(suggestion["field"], suggestion["id"]))
            if suggestion["field"] == "model":
                entry["make"] = identifier.makes[identifier.models[suggestion["id"]].make_id].name
            result.suggestions.append(entry)
        result.suggestions = result.suggestions[:8]
        result.needs_review = any(
            typed[name] and (self.ids.get(name) is None or self.confidence[name] < 0.9) for name in FIELDS)
        return result


def slips_undone(text: str) -> set[str]:
    """The texts `text` is one slip away from: two neighbouring letters swapped back, or a
    doubled letter single again (never a digit: a digit moved is another model)."""
    variants = set()
    for position in range(len(text) - 1):
        first, second = text[position], text[position + 1]
        if not (first.isalpha() and second.isalpha()):
            continue
        if first == second:
            variants.add(text[:position] + text[position + 1:])
        else:
            variants.add(text[:position] + second + first + text[position + 2:])
    return variants


# --- the engine of each process ------------------------------------------------------

_FORKED: "Identifier | None" = None


def _identify_chunk(chunk: list[tuple]) -> list[Identification]:
    """A forked process's part of a batch. The confidences, methods and suggestions its
    answers repeat are made one object each, so that the answers travel back (pickle keeps
    one copy of an object met twice) and arrive in the parent without their repeats."""
    parts: dict = {}

    def same(kind: str, value: dict) -> dict:
        try:
            return parts.setdefault((kind, *value.items()), value)
        except TypeError:  # a value that cannot be a key is kept as it is
            return value

    answers = []
    for raw in chunk:
        found = _FORKED._identify(*raw)
        found.confidence, found.methods = same("c", found.confidence), same("m", found.methods)
        found.suggestions = [same("s", item) for item in found.suggestions]
        answers.append(found)
    return answers


def _in_processes(identifier: "Identifier", todo: list[tuple], workers: int) -> list[Identification] | None:
    """`todo` identified by `workers` forked processes that share the engine already built;
    None where processes cannot be forked (then the caller identifies in this process)."""
    global _FORKED
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if threading.active_count() > 1:
        # A lock that another thread holds at the fork (logging, a connection pool, the
        # e-mail sender) stays held in the child for ever: only a process of one thread
        # (a command, an RQ work horse) forks.
        return None
    size = max(1, -(-len(todo) // (workers * 4)))
    chunks = [todo[start:start + size] for start in range(0, len(todo), size)]
    _FORKED = identifier
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return [result for part in pool.map(_identify_chunk, chunks) for result in part]
    except (AssertionError, OSError):  # a daemon process may not fork; no memory for a fork
        return None
    finally:
        _FORKED = None


_IDENTIFIERS: dict[str | None, Identifier] = {}
_LOCK = threading.Lock()


def reference_token() -> tuple:
    """What changes whenever the reference table changes (one small query)."""
    from registry.reference.models import ReferenceVersion

    row = db.session.execute(select(ReferenceVersion.version, ReferenceVersion.updated_at)).first()
    if row is None:
        return (0, None)
    return (row.version, row.updated_at.isoformat() if row.updated_at else None)


def get_identifier(country: str | None = None) -> Identifier:
    """The engine for `country`'s identifications, built once per reference version."""
    token = reference_token()
    identifier = _IDENTIFIERS.get(country)
    if identifier is not None and identifier.token == token:
        return identifier
    with _LOCK:
        identifier = _IDENTIFIERS.get(country)
        if identifier is None or identifier.token != token:
            identifier = Identifier(country, token)
            _IDENTIFIERS[country] = identifier
    return identifier


def forget_identifiers() -> None:
    """Drop every engine of this process (the reference changed here)."""
    _IDENTIFIERS.clear()


def identify(make, model, calibre=None, type=None, country=None) -> Identification:  # noqa: A002
    """Identify one weapon; see `Identifier.identify`."""
    return get_identifier(country).identify(make, model, calibre, type)


def identify_many(rows, country=None, processes: int | None = None) -> list[Identification]:
    """Identify many weapons, rows of (make, model, calibre, type); see `Identifier.identify_many`."""
    return get_identifier(country).identify_many(rows, processes)
