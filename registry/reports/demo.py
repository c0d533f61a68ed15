"""Demonstration records for `flask registry demo`: a few thousand generated weapons over
three years in the four demo states, so that the first start shows a living registry.

Every record says it is demonstration data (case reference DEMO-..., a note); they are
written in bulk (one INSERT or COPY per state and year), then a few records are made
through the service so that hits arise between states, trace requests are taken through
every state of the workflow, and one spreadsheet goes through the import. Loading again
adds nothing. The generator is seeded: the same N gives the same records.
"""

import io
import random
from datetime import UTC, date, datetime, time, timedelta

import click
from sqlalchemy import func, select, update

from registry.auth.cli import DEMO_STEPS
from registry.auth.models import Agency, User
from registry.auth.roles import Role
from registry.extensions import bulk_insert, db, utcnow
from registry.reference.models import Make, Model, WeaponType, model_calibre
from registry.reports.regions import subdivisions
from registry.weapons.models import Sharing, Weapon, WeaponStatus
from registry.weapons.serials import SerialState, serial_key
from registry.weapons.service import reserve_numbers

DEFAULT_RECORDS = 3000
CASE_PREFIX = "DEMO-"
NOTE = "[DEMO] Generated demonstration record, not a real weapon."
# Share of the records of each state (the rest is Côte d'Ivoire's).
STATE_SHARES = {"ML": 0.4, "BF": 0.25, "NE": 0.2, "CI": 0.15}
# How often each status is recorded (seizures are most of a commission's work).
STATUS_WEIGHTS = {
    WeaponStatus.SEIZED: 50, WeaponStatus.FOUND: 12, WeaponStatus.SURRENDERED: 15, WeaponStatus.LOST: 5,
    WeaponStatus.STOLEN: 6, WeaponStatus.TRAFFICKED: 5, WeaponStatus.DESTROYED: 5, WeaponStatus.RETURNED: 2,
}
# Towns with coordinates, by ISO 3166-2 subdivision: a third of the records carry a point.
TOWNS = {
    "ML-BKO": ("Bamako", 12.64, -8.0), "ML-7": ("Gao", 16.27, -0.04), "ML-5": ("Mopti", 14.49, -4.19),
    "ML-6": ("Tombouctou", 16.77, -3.0), "ML-1": ("Kayes", 14.45, -11.44), "ML-3": ("Sikasso", 11.32, -5.67),
    "ML-4": ("Ségou", 13.43, -6.26), "ML-8": ("Kidal", 18.44, 1.41),
    "BF-03": ("Ouagadougou", 12.37, -1.52), "BF-09": ("Bobo-Dioulasso", 11.18, -4.3), "BF-12": ("Dori", 14.03, -0.03),
    "BF-10": ("Ouahigouya", 13.58, -2.42), "BF-08": ("Fada N'Gourma", 12.06, 0.36),
    "NE-8": ("Niamey", 13.51, 2.11), "NE-1": ("Agadez", 16.97, 7.99), "NE-7": ("Zinder", 13.8, 8.99),
    "NE-6": ("Tillabéri", 14.21, 1.45), "NE-2": ("Diffa", 13.32, 12.61),
    "CI-AB": ("Abidjan", 5.36, -4.0), "CI-VB": ("Bouaké", 7.69, -5.03), "CI-SV": ("Korhogo", 9.46, -5.63),
    "CI-BS": ("San-Pédro", 4.75, -6.64),
}
# Other spellings of a region, as field units type them.
REGION_SPELLINGS = {"ML-6": ["Région de Tombouctou", "Timbuktu", "TOMBOUCTOU"], "ML-7": ["Gao", "Région de Gao"],
                    "NE-6": ["Tillaberi", "Tillabéry"], "CI-AB": ["District autonome d'Abidjan"]}
UNMATCHED_REGIONS = ["Zone des trois frontières", "Frontière nord", "Axe routier principal"]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _models() -> list[tuple]:
    """(make id, make name, model id, model name, type id, calibre id, make's country) of every
    model of the reference table."""
    calibres = {}
    for model_id, calibre_id in db.session.execute(select(model_calibre.c.model_id, model_calibre.c.calibre_id)):
        calibres.setdefault(model_id, calibre_id)
    return [(make_id, make_name, model_id, model_name, type_id, calibres.get(model_id), country)
            for make_id, make_name, model_id, model_name, type_id, country in db.session.execute(
                select(Make.id, Make.name, Model.id, Model.name, Model.type_id, Make.country_code)
                .join(Model, Model.make_id == Make.id).order_by(Model.id))]


def generated_rows(agency: Agency, user_id: int, count: int, rng: random.Random, today: date) -> list[dict]:
    """`count` records of the agency spread over the three years before `today`, without
    their references (given per year by the caller)."""
    models = _models()
    regions = [item.code for item in subdivisions(agency.country_code)]
    # The first rows take every status, type and region once: a small demo shows them all.
    by_type = {}
    for model in models:
        by_type.setdefault(model[4], model)
    # A type no model of the table has (a craft weapon): recorded by its type alone.
    for type_id, in db.session.execute(select(WeaponType.id).where(WeaponType.id.not_in(list(by_type)))):
        by_type[type_id] = (None, None, None, None, type_id, None, None)
    firsts = list(by_type.values())
    statuses = list(WeaponStatus)
    rows = []
    for index in range(count):
        make_id, make_name, model_id, model_name, type_id, calibre_id, country = (
            firsts[index] if index < len(firsts) else rng.choice(models))
        day = today - timedelta(days=int(rng.triangular(0, 3 * 365, 0)))
        status = statuses[index] if index < len(statuses) else _weighted(rng, STATUS_WEIGHTS)
        region = regions[index] if index < len(regions) else rng.choice(regions)
        town = TOWNS.get(region) if rng.random() < 0.6 else None
        serial_state = SerialState.READABLE if rng.random() < 0.88 else rng.choice(
            [SerialState.OBLITERATED, SerialState.UNREADABLE, SerialState.ABSENT])
        raw_serial = f"{rng.choice('ABCKMNPRTZ')}{rng.randint(0, 9)}-{rng.randint(1000, 999999)}" \
            if serial_state is SerialState.READABLE else None
        recorded = datetime.combine(day + timedelta(days=rng.randint(0, 20)), time(rng.randint(8, 17)), UTC)
        recorded = min(recorded, datetime.combine(today, time(8), UTC))
        rows.append({
            "agency_id": agency.id, "country_code": agency.country_code, "status": status.value,
            "sharing": _weighted(rng, {Sharing.NATIONAL: 5, Sharing.PARTNERS: 2, Sharing.ALL: 3}).value,
            "raw_make": make_name, "raw_model": model_name, "raw_calibre": None, "raw_type": None,
            "raw_serial": raw_serial, "serial_key": serial_key(raw_serial) if raw_serial else None,
            "serial_state": serial_state.value,
            "make_id": make_id, "model_id": model_id, "calibre_id": calibre_id, "type_id": type_id,
            "identification_method": "exact" if make_id else None,
            "identification_confidence": {"make": 1.0, "model": 1.0} if make_id else None,
            "manufacture_country_code": country if rng.random() < 0.7 else None,
            "marking_year": str(rng.choice([1895, 1942, 1956, 1968, 1975, 1981, 1990, 2004, 2012]))
            if rng.random() < 0.3 else None,
            "event_date": day, "event_region": _typed_region(rng, agency.country_code, region),
            "event_town": town[0] if town else None, "event_country_code": agency.country_code,
            "latitude": round(town[1] + rng.uniform(-0.3, 0.3), 4) if town else None,
            "longitude": round(town[2] + rng.uniform(-0.3, 0.3), 4) if town else None,
            "case_reference": f"{CASE_PREFIX}{agency.country_code}-{rng.randint(1, 400):04d}",
            "legal_ground": "illicit possession" if status is WeaponStatus.SEIZED else None,
            "notes": NOTE, "created_by_id": user_id, "created_at": recorded, "updated_at": recorded,
            "version": 1,
        })
    return rows


def _typed_region(rng: random.Random, country_code: str, code: str) -> str | None:
    """The region as a field unit types it: its name, another spelling, now and then a
    place no subdivision matches, or nothing."""
    draw = rng.random()
    if draw < 0.03:
        return rng.choice(UNMATCHED_REGIONS)
    if draw < 0.08:
        return None
    name = next(item.name for item in subdivisions(country_code) if item.code == code)
    return rng.choice(REGION_SPELLINGS.get(code, []) + [name, name])


def _insert(rows: list[dict]) -> int:
    """Give each row its reference (per state and year of recording) and write them."""
    by_year: dict[tuple[str, int], list[dict]] = {}
    for row in sorted(rows, key=lambda row: row["created_at"]):
        by_year.setdefault((row["country_code"], row["created_at"].year), []).append(row)
    for (country_code, year), block in sorted(by_year.items()):
        year, first = reserve_numbers(country_code, len(block), year)
        for offset, row in enumerate(block):
            row["reference"] = f"{country_code}-{year}-{first + offset:06d}"
        bulk_insert(Weapon.__table__, block)
    return len(rows)


def _users(agencies: dict) -> dict:
    users = {}
    for agency in agencies.values():
        users[agency.country_code] = {user.role: user for user in db.session.scalars(
            select(User).where(User.agency_id == agency.id))}
    return users


def already_loaded(agencies: dict) -> bool:
    ids = [agency.id for agency in agencies.values()]
    return db.session.scalar(select(func.count(Weapon.id)).where(
        Weapon.agency_id.in_(ids), Weapon.case_reference.like(f"{CASE_PREFIX}%"))) > 0


def load_demo_records(agencies: dict, count: int | None = None, today: date | None = None) -> str:
    """The demo step: generated records, hits, traces in every state, one import."""
    if count is None:
        context = click.get_current_context(silent=True)
        count = (context.params.get("records") if context else None) or DEFAULT_RECORDS
    if already_loaded(agencies):
        return "Demo records already loaded."
    today = today or utcnow().date()
    rng = random.Random(count)
    users = _users(agencies)
    by_country = {agency.country_code: agency for agency in agencies.values()}
    rows = []
    for country_code, share in STATE_SHARES.items():
        agency = by_country[country_code]
        rows += generated_rows(agency, users[country_code][Role.OFFICER].id, round(count * share), rng, today)
    written = _insert(rows)
    db.session.flush()
    hits = _hits_between_states(users)
    traces = _traces(users, by_country, rng)
    imported = _import(users["ML"][Role.OFFICER], by_country["ML"], rng)
    db.session.flush()
    return (f"Demo records: {written} generated over three years, {hits} hits between states, "
            f"{traces} trace requests, an import of {imported} rows.")


def _hits_between_states(users: dict) -> int:
    """Weapons reported stolen or lost in one state, shared with all, then seized in another:
    each pair is a hit, made by the service as a user's record makes it."""
    from registry.weapons.models import Hit
    from registry.weapons.service import create_weapon

    pairs = [("NE", "ML", "Kalashnikov", "AKM"), ("BF", "ML", "Beretta", "92"), ("ML", "NE", "Kalashnikov", "AK-47"),
             ("CI", "BF", "Glock", "17"), ("ML", "CI", "FN Herstal", "FAL"), ("NE", "BF", "Tula Arms Plant", "TT-33")]
    before = db.session.scalar(select(func.count(Hit.id)))
    for number, (owner, finder, make, model) in enumerate(pairs, start=1):
        serial = f"HX-{number:02d}-{7000 + number}"
        create_weapon(users[owner][Role.OFFICER], status="stolen" if number % 2 else "lost", sharing="all",
                      raw_make=make, raw_model=model, raw_serial=serial, case_reference=f"{CASE_PREFIX}HIT-{number}",
                      notes=NOTE, event_date=(utcnow().date() - timedelta(days=200 + 20 * number)).isoformat())
        create_weapon(users[finder][Role.OFFICER], status="seized", sharing="partners", raw_make=make,
                      raw_model=model, raw_serial=serial.replace("-", " "), case_reference=f"{CASE_PREFIX}HIT-{number}",
                      notes=NOTE, event_date=(utcnow().date() - timedelta(days=10 * number)).isoformat())
    db.session.flush()
    return db.session.scalar(select(func.count(Hit.id))) - before


# (requesting, requested, moves to make, days ago it was sent)
TRACE_PLAN = [
    ("ML", "BF", [], None),                                                   # draft
    ("ML", "NE", ["approval"], None),                                         # awaiting approval
    ("ML", "CI", ["send"], 3),                                                # sent
    ("ML", "NE", ["send"], 40),                                               # sent, overdue
    ("ML", "BF", ["send", "acknowledge"], 12),                                # acknowledged
    ("ML", "CI", ["send", "acknowledge", "request_information"], 20),         # information requested
    ("ML", "NE", ["send", "restrict"], 25),                                   # restricted
    ("ML", "BF", ["send", "acknowledge", "answer:traced"], 60),               # answered
    ("ML", "CI", ["send", "acknowledge", "answer:partially_traced", "accept"], 200),   # closed
    ("ML", "NE", ["send", "decline"], 90),                                    # declined
    ("ML", "BF", ["send", "withdraw"], 30),                                   # withdrawn
    ("BF", "ML", ["send"], 5),                                                # received by Mali
    ("NE", "ML", ["send"], 45),                                               # received, overdue
    ("CI", "ML", ["send", "acknowledge", "answer:not_found"], 120),
    ("NE", "ML", ["send", "acknowledge", "answer:traced", "accept"], 300),
    ("BF", "NE", ["send", "acknowledge", "answer:traced"], 150),
    ("CI", "BF", ["send", "acknowledge", "answer:not_traceable"], 400),
    ("NE", "CI", ["send", "acknowledge"], 8),
]
ITI = {
    "illicit_reason": "[DEMO] Seized without a permit.", "legal_basis": "[DEMO] National arms law; ITI section IV.",
    "recovery_circumstances": "[DEMO] Seized at a checkpoint.", "information_sought": "Last legal holder.",
    "intended_use": "Criminal investigation.", "confidentiality": "Restricted to the investigating services.",
}


def _traces(users: dict, agencies: dict, rng: random.Random) -> int:
    """Trace requests taken through the real workflow, then dated back as if sent days ago."""
    from registry.tracing import service as tracing
    from registry.tracing.models import TraceEvent, TraceRequest

    made = 0
    used: dict[str, int] = {}
    for requesting, requested, moves, days_ago in TRACE_PLAN:
        sender = users[requesting][Role.TRACING_OFFICER]
        answerer = users[requested][Role.TRACING_OFFICER]
        used[requesting] = used.get(requesting, -1) + 1
        weapon_id = db.session.scalar(select(Weapon.id).where(
            Weapon.country_code == requesting, Weapon.status.in_(
                [WeaponStatus.SEIZED, WeaponStatus.FOUND, WeaponStatus.SURRENDERED]),
            Weapon.make_id.is_not(None)).order_by(Weapon.id).offset(used[requesting]).limit(1))
        if weapon_id is None:  # a demo of very few records
            continue
        trace = tracing.create_trace_request(sender, weapon_ids=[weapon_id], requested_country_code=requested, **ITI)
        for move in moves:
            if move == "approval":
                agency = agencies[requesting]
                agency.requires_trace_approval = True
                tracing.send(sender, trace)
                agency.requires_trace_approval = False
            elif move == "send":
                tracing.send(sender, trace)
            elif move == "acknowledge":
                tracing.acknowledge(answerer, trace)
            elif move == "request_information":
                tracing.request_information(answerer, trace, "[DEMO] Please send photos of the markings.")
            elif move == "restrict":
                tracing.restrict(answerer, trace, "ongoing_investigation")
            elif move == "decline":
                tracing.decline(answerer, trace, "confidentiality_law")
            elif move == "withdraw":
                tracing.withdraw(sender, trace, "[DEMO] Found in national records.")
            elif move == "accept":
                tracing.accept_answer(sender, trace)
            elif move.startswith("answer:"):
                tracing.answer(answerer, trace, outcome=move.split(":", 1)[1],
                               answer_text="[DEMO] Answer from the national records.",
                               importer="[DEMO] Importer", importer_country_code=requested)
        db.session.flush()
        if days_ago:
            _date_back(trace, TraceRequest, TraceEvent, timedelta(days=days_ago), rng)
        made += 1
    return made


def _date_back(trace, TraceRequest, TraceEvent, shift: timedelta, rng: random.Random) -> None:
    """Move a demo request's moments back by `shift`, each later step a few days after the last."""
    sent = utcnow() - shift
    step = timedelta(days=max(1, min(shift.days // 4, 25)))
    values = {"sent_at": sent, "acknowledge_due": sent + (trace.acknowledge_due - trace.sent_at),
              "answer_due": sent + (trace.answer_due - trace.sent_at), "created_at": sent - timedelta(days=1)}
    if trace.acknowledged_at:
        values["acknowledged_at"] = sent + timedelta(days=rng.randint(1, 4))
    if trace.answered_at:
        values["answered_at"] = sent + step * 2
    if trace.closed_at:
        values["closed_at"] = sent + step * 3
    db.session.execute(update(TraceRequest).where(TraceRequest.id == trace.id).values(**values))
    db.session.execute(update(TraceEvent).where(TraceEvent.trace_request_id == trace.id, TraceEvent.action == "send")
                       .values(occurred_at=sent))
    db.session.expire(trace)


def _import(officer: User, agency: Agency, rng: random.Random) -> int:
    """One spreadsheet of seizures, as a field unit keeps it, analysed and committed."""
    from openpyxl import Workbook

    from registry.imports.service import analyse_import, commit_import, start_commit, upload_import
    from registry.jobs import wait_all

    models = _models()
    book = Workbook()
    sheet = book.active
    sheet.title = "Saisies"
    sheet.append(["[DEMO] Etat des armes saisies - données de démonstration"])
    sheet.append([])
    sheet.append(["N°", "Marque", "Modèle", "N° de série", "Date de saisie", "Région", "Statut", "Observations"])
    regions = [item.name for item in subdivisions("ML")]
    rows = 60
    for number in range(1, rows + 1):
        _make_id, make, _model_id, model, *_rest = rng.choice(models)
        day = utcnow().date() - timedelta(days=rng.randint(30, 330))
        sheet.append([number, make, model, f"IMP-{number:03d}-{rng.randint(10000, 99999)}", day.strftime("%d/%m/%Y"),
                      rng.choice(regions), rng.choice(["Saisie", "saisie", "Trouvée", "Remise volontaire"]),
                      "[DEMO]"])
    buffer = io.BytesIO()
    book.save(buffer)
    import_ = upload_import(officer, io.BytesIO(buffer.getvalue()), "[DEMO] saisies.xlsx", agency=agency)
    analyse_import(officer, import_)
    start_commit(officer, import_, skip_approval=True)
    commit_import(officer, import_)
    wait_all()
    db.session.execute(update(Weapon).where(Weapon.import_row_id.is_not(None), Weapon.agency_id == agency.id,
                                            Weapon.case_reference.is_(None))
                       .values(case_reference=f"{CASE_PREFIX}IMPORT", notes=NOTE))
    return rows


DEMO_STEPS.append(load_demo_records)
