"""Hits: a search or a record of one state meets another state's wanted record.

A hit is stored once (per pair of records; per wanted record and searching agency for
searches) and met again on every later search or save, each time a HitMeeting; the
owner of the wanted record is told of every meeting, never silently.

Functions take plain values and the acting user; they do not commit.
"""

import re
import unicodedata
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from sqlalchemy import or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from registry.audit.service import record
from registry.auth.models import AgencyPartner, Country, User
from registry.auth.roles import Permission
from registry.auth.scoping import visible
from registry.errors import DomainError, NotAllowed
from registry.extensions import db, utcnow
from registry.notifications.models import label_params
from registry.notifications.service import notify
from registry.weapons.models import (
    WANTED_STATUSES,
    Hit,
    HitMeeting,
    HitStatus,
    HitWay,
    Sharing,
    Weapon,
    WeaponStatus,
)
from registry.weapons.serials import is_short

IN_CHUNK = 500  # values per IN (...) list

# The two sides of a hit for an agency: its own searches and records met another state's
# wanted record (ours to confirm), or another state's met its wanted record (ours to answer).
SIDES = ("searcher", "owner")


def hit_side_condition(user: User, side: str):
    """The condition 'the user's agency is on `side` of the hit' (None for either side).
    A hit between two records of the same agency counts on the searcher's side."""
    if side == "searcher":
        return Hit.searcher_agency_id == user.agency_id
    if side == "owner":
        return (Hit.owner_agency_id == user.agency_id) & (Hit.searcher_agency_id != user.agency_id)
    return None


# --- Rules: which makes agree, who may see a record ---------------------------------------


def _plain_make(raw: str | None) -> str:
    text = unicodedata.normalize("NFKD", raw or "").lower()
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in text if not unicodedata.combining(c)))


def make_compatibility(make_id_a, raw_a, make_id_b, raw_b, key: str | None) -> float:
    """How well two makes agree, 0 when they exclude a hit.

    Same identified make: 1.0; same make as typed: 0.9; either unknown: 0.7 — except
    for a short serial, which never matches on the serial alone.
    """
    if make_id_a is not None and make_id_b is not None:
        return 1.0 if make_id_a == make_id_b else 0.0
    plain_a, plain_b = _plain_make(raw_a), _plain_make(raw_b)
    if plain_a and plain_b:
        if plain_a == plain_b or fuzz.ratio(plain_a, plain_b) >= 85:
            return 0.9
        if make_id_a is None and make_id_b is None:
            return 0.0  # both typed, clearly different
    if is_short(key):
        return 0.0
    return 0.7


def _partner_countries(agency_ids: set[int]) -> dict[int, set[str]]:
    partners: dict[int, set[str]] = {agency_id: set() for agency_id in agency_ids}
    if agency_ids:
        for agency_id, country in db.session.execute(
                select(AgencyPartner.agency_id, AgencyPartner.country_code)
                .where(AgencyPartner.agency_id.in_(agency_ids))):
            partners[agency_id].add(country)
    return partners


def _shared_with(weapon, country_code: str, partners: dict[int, set[str]]) -> bool:
    return (weapon.country_code == country_code or weapon.sharing == Sharing.ALL
            or (weapon.sharing == Sharing.PARTNERS and country_code in partners.get(weapon.agency_id, ())))


# --- What each side is told ------------------------------------------------------------------

HIT_MESSAGE_OWNER = _l("Hit: a record of %(country)s matches your wanted weapon %(reference)s "
                       "(serial %(serial)s).")
HIT_MESSAGE_SEARCH_OWNER = _l("Hit: a search from %(country)s matched your wanted weapon "
                              "%(reference)s (serial %(serial)s).")
HIT_MESSAGE_SOURCE = _l("Hit: your record %(source)s matches %(reference)s, a weapon reported "
                        "%(status)s by %(country)s.")
HIT_MESSAGE_SEARCHER = _l("Hit: serial %(serial)s matches %(reference)s, a weapon reported "
                          "%(status)s by %(country)s.")
HIT_MESSAGE_OWNER_AGAIN = _l("Hit met again: a record of %(country)s that matches your wanted weapon "
                             "%(reference)s (serial %(serial)s) was saved again; met %(times)s times.")
HIT_MESSAGE_SEARCH_OWNER_AGAIN = _l("Hit met again: a search from %(country)s matched your wanted weapon "
                                    "%(reference)s (serial %(serial)s) again; met %(times)s times.")


def _in_sentence(label) -> str:
    """A status label as it reads inside a sentence: "Volée" → "volée"."""
    text = str(label)
    return text[:1].lower() + text[1:]


# Notifications keep the status value; the reader sees its label in their language.
def _country_name(code: str) -> str:
    country = db.session.get(Country, code)
    if country is None:
        raise KeyError(code)
    return country.name


label_params("weapon.hit", status=lambda value: _in_sentence(WeaponStatus(value).label),
             country=_country_name)
label_params("weapon.hit_decided", decision=lambda value: _in_sentence(HitStatus(value).label))


def hit_link(hit: Hit) -> str:
    return f"/weapons/hits/{hit.id}"


def _tell_first(hit: Hit, source: Weapon | None, searcher: User) -> None:
    """The first meeting: both sides are told."""
    target = hit.hit_weapon
    if source is not None:
        notify(agency_id=hit.owner_agency_id, kind="weapon.hit", message=HIT_MESSAGE_OWNER,
               params={"country": source.country_code, "reference": target.reference,
                       "serial": target.raw_serial}, link=hit_link(hit))
        notify(agency_id=source.agency_id, kind="weapon.hit", message=HIT_MESSAGE_SOURCE,
               params={"source": source.reference, "reference": target.reference,
                       "status": target.status.value, "country": target.country_code}, link=hit_link(hit))
        told = [{"agency_id": hit.owner_agency_id}, {"agency_id": source.agency_id}]
    else:
        notify(agency_id=hit.owner_agency_id, kind="weapon.hit", message=HIT_MESSAGE_SEARCH_OWNER,
               params={"country": searcher.country_code, "reference": target.reference,
                       "serial": target.raw_serial}, link=hit_link(hit))
        notify(user_id=searcher.id, kind="weapon.hit", message=HIT_MESSAGE_SEARCHER,
               params={"serial": target.raw_serial, "reference": target.reference,
                       "status": target.status.value, "country": target.country_code}, link=hit_link(hit))
        told = [{"agency_id": hit.owner_agency_id}, {"user_id": searcher.id,
                                                      "agency_id": searcher.agency_id}]
    hit.notified = told
    hit.notified_at = utcnow()


def _tell_again(hit: Hit, country_code: str, times: int) -> None:
    """A later meeting: the owner is told each time (the searcher sees it on its page)."""
    target = hit.hit_weapon
    message = HIT_MESSAGE_OWNER_AGAIN if hit.source_weapon_id else HIT_MESSAGE_SEARCH_OWNER_AGAIN
    notify(agency_id=hit.owner_agency_id, kind="weapon.hit", message=message,
           params={"country": country_code, "reference": target.reference, "serial": target.raw_serial,
                   "times": times}, link=hit_link(hit))
    hit.notified = list(hit.notified or []) + [{"agency_id": hit.owner_agency_id}]
    hit.notified_at = utcnow()


def _meet(hit: Hit, actor: User | None, way: HitWay, details: dict | None, country_code: str,
          first: bool) -> None:
    """Write one meeting of `hit`; a meeting after the first counts and tells the owner."""
    now = utcnow()
    db.session.add(HitMeeting(hit_id=hit.id, met_at=now, user_id=actor.id if actor else None, way=way,
                              details=details or None))
    if first:
        hit.times_met, hit.last_met_at = 1, now
        return
    # Counted by the database, so two searches at the same moment both count.
    db.session.execute(Hit.__table__.update().where(Hit.__table__.c.id == hit.id).values(
        times_met=Hit.__table__.c.times_met + 1, last_met_at=now))
    db.session.refresh(hit, ["times_met", "last_met_at"])
    _tell_again(hit, country_code, hit.times_met)
    record("weapon.hit_met", "hit", hit.id, {"way": way.value, "times": hit.times_met,
                                             "hit": hit.hit_weapon.reference, **(details or {})},
           user=actor, agency_id=hit.searcher_agency_id)


# --- Records meeting records -------------------------------------------------------------------


class HitKey(NamedTuple):
    """The columns of a record the hit rules read (a Weapon has the same attributes)."""

    id: int
    serial_key: str | None
    country_code: str
    agency_id: int
    make_id: int | None
    raw_make: str | None
    status: WeaponStatus
    sharing: Sharing

    @property
    def is_wanted(self) -> bool:
        return self.status in WANTED_STATUSES


HIT_KEY_COLUMNS = tuple(getattr(Weapon, name) for name in HitKey._fields)


def _hit_candidates(weapons: list) -> list[HitKey]:
    """Other states' live records sharing a serial key with `weapons`, as HitKey rows: the
    wanted ones for every key, and all of them for the keys of the batch's wanted records
    (they may be found by another state). One query per IN chunk of keys."""
    keys_of_wanted = sorted({w.serial_key for w in weapons if w.is_wanted})
    other_keys = sorted({w.serial_key for w in weapons} - set(keys_of_wanted))
    countries = {w.country_code for w in weapons}
    base = select(*HIT_KEY_COLUMNS).where(Weapon.deleted_at.is_(None))
    if len(countries) == 1:
        base = base.where(Weapon.country_code != next(iter(countries)))
    candidates: list[HitKey] = []
    for keys, statement in ((keys_of_wanted, base),
                            (other_keys, base.where(Weapon.status.in_(WANTED_STATUSES)))):
        for start in range(0, len(keys), IN_CHUNK):
            candidates.extend(HitKey(*row) for row in db.session.execute(
                statement.where(Weapon.serial_key.in_(keys[start:start + IN_CHUNK]))))
    return candidates


def check_hits(actor: User | None, weapons: list, way: HitWay = HitWay.FORM,
               details: dict | None = None) -> list[Hit]:
    """Store and announce the hits of these records on other states' shared wanted records,
    and of other states' records on these when these are wanted and shared; a hit these
    records already made is met again (counted, and its owner told). Answers the hits
    made or met. A fixed number of queries for the whole batch: `weapons` are Weapon
    objects or HitKey rows (a bulk creation loads no record); candidates are read as
    columns, and only the records of hits are loaded."""
    weapons = [w for w in weapons if w.serial_key and getattr(w, "deleted_at", None) is None]
    if not weapons:
        return []
    batch_ids = {w.id for w in weapons}
    candidates = _hit_candidates(weapons)
    if not candidates:
        return []
    by_key: dict[str, list[HitKey]] = {}
    for candidate in candidates:
        by_key.setdefault(candidate.serial_key, []).append(candidate)
    partners = _partner_countries({w.agency_id for w in candidates} | {w.agency_id for w in weapons})
    pairs: dict[tuple[int, int], float] = {}
    for weapon in weapons:
        for other in by_key.get(weapon.serial_key, ()):
            if other.country_code == weapon.country_code:
                continue
            score = make_compatibility(weapon.make_id, weapon.raw_make, other.make_id, other.raw_make,
                                       weapon.serial_key)
            if not score:
                continue
            # this record matches another state's wanted record it may see...
            if other.is_wanted and _shared_with(other, weapon.country_code, partners):
                pairs.setdefault((weapon.id, other.id), score)
            # ...or this wanted record, shared, matches another state's record
            if weapon.is_wanted and other.id not in batch_ids and _shared_with(
                    weapon, other.country_code, partners):
                pairs.setdefault((other.id, weapon.id), score)
    if not pairs:
        return []
    known: dict[tuple[int, int], Hit] = {}
    pair_list = list(pairs)
    for start in range(0, len(pair_list), IN_CHUNK):
        known.update(((hit.source_weapon_id, hit.hit_weapon_id), hit) for hit in db.session.scalars(
            select(Hit).where(tuple_(Hit.source_weapon_id, Hit.hit_weapon_id).in_(
                pair_list[start:start + IN_CHUNK]))))
    # A known hit is met again when its searching record is saved again; the owner saving
    # its own wanted record meets nothing.
    again = [hit for pair, hit in known.items() if pair[0] in batch_ids]
    fresh = {pair: score for pair, score in pairs.items() if pair not in known}
    records: dict[int, Weapon] = {}
    involved = sorted({weapon_id for pair in fresh for weapon_id in pair})
    for start in range(0, len(involved), IN_CHUNK):
        records.update((weapon.id, weapon) for weapon in db.session.scalars(
            select(Weapon).where(Weapon.id.in_(involved[start:start + IN_CHUNK]))))
    made = []
    now = utcnow()
    for (source_id, target_id), score in fresh.items():
        source, target = records[source_id], records[target_id]
        hit = Hit(hit_weapon=target, owner_agency_id=target.agency_id, source_weapon_id=source.id,
                  searcher_agency_id=source.agency_id, searcher_user_id=actor.id if actor else None,
                  serial_key=target.serial_key, score=score, status=HitStatus.NEW, created_at=now,
                  times_met=1, last_met_at=now)
        db.session.add(hit)
        made.append((hit, source))
    db.session.flush()
    for hit, source in made:
        _meet(hit, actor, way, details, source.country_code, first=True)
        _tell_first(hit, source, actor)
        record("weapon.hit", "hit", hit.id, {"source": source.reference,
                                             "hit": hit.hit_weapon.reference, "score": hit.score},
               user=actor, agency_id=source.agency_id)
    for hit in again:
        _meet(hit, actor, way, details, db.session.get(Weapon, hit.source_weapon_id).country_code, first=False)
    return [hit for hit, _source in made] + again


# --- Searches meeting records -----------------------------------------------------------------


def record_search_hits(actor: User, key: str, make_id: int | None, raw_make: str | None,
                       matches: list[Weapon], terms: dict) -> list[Hit]:
    """Hits of a serial search: exact-key matches that are other states' wanted records.
    The agency's first search of a record makes the hit; every later one meets it again.
    Answers the hits made or met, so that the page shows the alert every time."""
    wanted = []
    for weapon in matches:
        if weapon.country_code == actor.country_code or not weapon.is_wanted or weapon.serial_key != key:
            continue
        score = make_compatibility(make_id, raw_make, weapon.make_id, weapon.raw_make, key)
        if score:
            wanted.append((weapon, score))
    if not wanted:
        return []

    def existing() -> dict[int, Hit]:
        return {hit.hit_weapon_id: hit for hit in db.session.scalars(select(Hit).where(
            Hit.searcher_agency_id == actor.agency_id, Hit.source_weapon_id.is_(None),
            Hit.hit_weapon_id.in_([weapon.id for weapon, _score in wanted])))}

    already = existing()
    details = {"terms": terms}
    hits = []
    for weapon, score in wanted:
        hit = already.get(weapon.id)
        if hit is not None:
            _meet(hit, actor, HitWay.SEARCH, details, actor.country_code, first=False)
            hits.append(hit)
            continue
        now = utcnow()
        hit = Hit(hit_weapon=weapon, owner_agency_id=weapon.agency_id, source_weapon_id=None,
                  searcher_agency_id=actor.agency_id, searcher_user_id=actor.id, search_terms=terms,
                  serial_key=key, score=score, status=HitStatus.NEW, created_at=now,
                  times_met=1, last_met_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(hit)
                db.session.flush()
        except IntegrityError:
            # Another search of the agency made it at the same moment: this one meets it.
            hit = existing()[weapon.id]
            _meet(hit, actor, HitWay.SEARCH, details, actor.country_code, first=False)
            hits.append(hit)
            continue
        _meet(hit, actor, HitWay.SEARCH, details, actor.country_code, first=True)
        _tell_first(hit, None, actor)
        record("weapon.hit", "hit", hit.id, {"search": terms, "hit": hit.hit_weapon.reference,
                                             "score": hit.score}, user=actor)
        hits.append(hit)
    return hits


# --- Reading hits ----------------------------------------------------------------------------------


def hits_of_records(user: User, weapon_ids: list[int]) -> list[Hit]:
    """The hits the user may see in which these records are either side, newest met first,
    with their meetings."""
    if not weapon_ids:
        return []
    found: dict[int, Hit] = {}
    for start in range(0, len(weapon_ids), IN_CHUNK):
        chunk = weapon_ids[start:start + IN_CHUNK]
        found.update((hit.id, hit) for hit in db.session.scalars(
            visible(user, Hit).where(or_(Hit.hit_weapon_id.in_(chunk), Hit.source_weapon_id.in_(chunk)))
            .options(selectinload(Hit.meetings), selectinload(Hit.source_weapon))))
    return sorted(found.values(), key=lambda hit: (hit.last_met_at or hit.created_at, hit.id), reverse=True)


# --- Deciding --------------------------------------------------------------------------------------


def decide_hit(actor: User, hit: Hit, confirm: bool, reason: str, linked_reference: str | None = None) -> Hit:
    """Confirm (the same weapon) or dismiss (not the same) a hit, with the reason. A search
    hit confirmed by the searcher may name the searcher's own record of the weapon: the hit
    then links the two records. Confirming asks the owner to update its record."""
    if actor.agency_id not in (hit.owner_agency_id, hit.searcher_agency_id) or not actor.can(
            Permission.WRITE_RECORDS):
        raise NotAllowed(_l("Only the two agencies of a hit may decide on it."))
    if hit.status != HitStatus.NEW:
        raise DomainError(_l("This hit was already decided: %(status)s.", status=hit.status.label))
    reason = (reason or "").strip()
    if not confirm and len(reason) < 5:
        raise DomainError(_l("Say why the hit is dismissed (at least 5 characters)."), field="reason")
    linked_reference = (linked_reference or "").strip().upper()
    if confirm and linked_reference:
        _link_searcher_record(actor, hit, linked_reference)
    hit.status = HitStatus.CONFIRMED if confirm else HitStatus.DISMISSED
    hit.decision_reason = reason or None
    hit.decided_by_id = actor.id
    hit.decided_at = utcnow()
    other_agency = hit.searcher_agency_id if actor.agency_id == hit.owner_agency_id else hit.owner_agency_id
    if confirm:
        if actor.agency_id != hit.owner_agency_id:
            notify(agency_id=hit.owner_agency_id, kind="weapon.hit_decided",
                   message=_l("Hit on %(reference)s confirmed by %(agency)s: the same weapon. Update your record "
                              "(seized abroad, returned) from the hit's page."),
                   params={"reference": hit.hit_weapon.reference, "agency": actor.agency.code},
                   link=hit_link(hit))
        else:
            notify(agency_id=other_agency, kind="weapon.hit_decided",
                   message=_l("Hit on %(reference)s: %(decision)s by %(agency)s."),
                   params={"reference": hit.hit_weapon.reference, "decision": hit.status.value,
                           "agency": actor.agency.code}, link=hit_link(hit))
    else:
        notify(agency_id=other_agency, kind="weapon.hit_decided",
               message=_l("Hit on %(reference)s dismissed by %(agency)s: %(reason)s"),
               params={"reference": hit.hit_weapon.reference, "agency": actor.agency.code, "reason": reason},
               link=hit_link(hit))
    record("weapon.hit_decided", "hit", hit.id, {"status": hit.status.value, "reason": reason,
                                                 "linked": hit.source_weapon_id}, user=actor)
    return hit


def _link_searcher_record(actor: User, hit: Hit, reference: str) -> None:
    if hit.source_weapon_id is not None:
        raise DomainError(_l("This hit already links two records."), field="linked_reference")
    if actor.agency_id != hit.searcher_agency_id:
        raise DomainError(_l("Only the agency whose search met the record may link its own record."),
                          field="linked_reference")
    from registry.auth.scoping import CHANGE, scoped

    weapon = db.session.scalar(scoped(actor, select(Weapon), Weapon, CHANGE).where(Weapon.reference == reference))
    if weapon is None:
        raise DomainError(_l("No record of your agency has the reference %(reference)s.", reference=reference),
                          field="linked_reference")
    taken = db.session.scalar(select(Hit.id).where(Hit.source_weapon_id == weapon.id,
                                                   Hit.hit_weapon_id == hit.hit_weapon_id))
    if taken is not None:
        raise DomainError(_l("Record %(reference)s already has its own hit on this weapon.", reference=reference),
                          field="linked_reference")
    hit.source_weapon_id = weapon.id


# What the owner may make of its wanted record once a hit is confirmed.
AFTER_HIT_STATUSES = (WeaponStatus.SEIZED, WeaponStatus.RETURNED)


def update_record_after_hit(actor: User, hit: Hit, status: str, expected_version) -> Weapon:
    """The owner updates its wanted record after a confirmed hit (seized abroad, returned)."""
    from registry.weapons.service import update_weapon

    if hit.status != HitStatus.CONFIRMED:
        raise DomainError(_l("Only a confirmed hit asks for the record to be updated."))
    if actor.agency_id != hit.owner_agency_id:
        raise NotAllowed(_l("Only the agency that recorded this weapon may change it."))
    try:
        chosen = WeaponStatus(status)
    except ValueError:
        chosen = None
    if chosen not in AFTER_HIT_STATUSES:
        raise DomainError(_l("Choose what became of the weapon."), field="status")
    weapon = hit.hit_weapon
    try:
        version = int(expected_version)
    except (TypeError, ValueError):
        version = weapon.version
    update_weapon(actor, weapon, version, status=chosen.value)
    record("weapon.hit_record_updated", "hit", hit.id, {"weapon": weapon.id, "status": chosen.value}, user=actor)
    return weapon


def hits_of_import(user: User, import_id: int, limit: int = 500) -> list[tuple[int, str, Hit]]:
    """(row number, record reference, hit) of the import's rows whose record hit, or was
    hit, as the user may see them; in row order, at most `limit`."""
    from registry.imports.models import ImportRow

    rows = (select(Weapon.id, Weapon.reference, ImportRow.row_number)
            .join(ImportRow, ImportRow.id == Weapon.import_row_id)
            .where(ImportRow.import_id == import_id).subquery("imported"))
    statement = (visible(user, Hit).add_columns(rows.c.row_number, rows.c.reference)
                 .join(rows, or_(Hit.source_weapon_id == rows.c.id, Hit.hit_weapon_id == rows.c.id))
                 .order_by(rows.c.row_number, Hit.id).limit(limit))
    return [(row_number, reference, hit) for hit, row_number, reference in db.session.execute(statement)]


def hit_summaries(weapon_ids: list[int]) -> dict[int, list[str]]:
    """For the result sheet of an import (its agency's own records): per record, each hit
    as "BF-2026-000012 (BF, stolen): exact serial, same make"."""
    summaries: dict[int, list[str]] = {}
    for start in range(0, len(weapon_ids), IN_CHUNK):
        chunk = weapon_ids[start:start + IN_CHUNK]
        for hit in db.session.scalars(select(Hit).where(
                or_(Hit.hit_weapon_id.in_(chunk), Hit.source_weapon_id.in_(chunk)))
                .options(selectinload(Hit.source_weapon))):
            mine, other = ((hit.source_weapon_id, hit.hit_weapon) if hit.source_weapon_id in chunk
                           else (hit.hit_weapon_id, hit.source_weapon))
            if other is None:
                continue
            summaries.setdefault(mine, []).append(
                f"{other.reference} ({other.country_code}, {other.status.label}): {hit.match_label}")
    return summaries
