"""The functions the import calls: bulk creation and duplicate detection."""

from sqlalchemy import event, func, select

from registry.audit.models import AuditEvent
from registry.extensions import db
from registry.weapons.models import Hit, Weapon
from registry.weapons.service import (
    create_weapon,
    create_weapons_bulk,
    existing_serial_keys,
    reserve_references,
)


def _rows(count, start=1):
    return [{"import_row_id": start + n, "status": "seized", "raw_serial": f"BK-{start + n:05d}",
             "raw_make": "Beretta"} for n in range(count)]


def test_bulk_creation_is_idempotent_and_makes_few_queries(world):
    officer = world["ML"].user("officer")
    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        created = create_weapons_bulk(officer, world["ML"].agency, _rows(300))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(created) == 300
    assert len(statements) < 30, sorted(set(s[:70] for s in statements))  # no query per row
    references = [reference for _id, reference in created.values()]
    assert len(set(references)) == 300 and all(r.startswith("ML-") for r in references)
    again = create_weapons_bulk(officer, world["ML"].agency, _rows(300) + _rows(2, start=301))
    assert len(again) == 302 and {k: again[k] for k in created} == created
    assert db.session.scalar(select(func.count(Weapon.id)).where(Weapon.import_row_id.is_not(None))) == 302
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "weapon.bulk_create")) == 2
    stored = db.session.scalars(select(Weapon).where(Weapon.import_row_id == 1)).one()
    assert stored.serial_key == "BK00001" and stored.serial_state.value == "readable"


def test_bulk_creation_runs_the_hit_check(world):
    create_weapon(world["BF"].user("officer"), status="stolen", sharing="all", raw_serial="BK-00007")
    created = create_weapons_bulk(world["ML"].user("officer"), world["ML"].agency, _rows(10))
    source_ids = set(db.session.scalars(select(Hit.source_weapon_id)))
    assert created[7][0] in source_ids


def test_existing_serial_keys_finds_the_country_duplicates_only(world):
    create_weapons_bulk(world["ML"].user("officer"), world["ML"].agency, _rows(5))
    found = existing_serial_keys("ML", {"BK00001", "BK00004", "NOPE"})
    assert {key for key, _make in found} == {"BK00001", "BK00004"}
    assert existing_serial_keys("BF", {"BK00001"}) == set()


def test_references_follow_each_other_per_country_and_year(app):
    first = reserve_references("ML", 2, year=2031)
    second = reserve_references("ML", 1, year=2031)
    assert first == ["ML-2031-000001", "ML-2031-000002"] and second == ["ML-2031-000003"]
    assert reserve_references("NE", 1, year=2031) == ["NE-2031-000001"]
