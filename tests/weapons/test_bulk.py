"""The functions the import calls: duplicate detection and blocks of references (the
bulk creation itself is tested through the import's commit, tests/imports/test_commit.py)."""

from sqlalchemy import select

from registry.extensions import db
from registry.weapons.models import Weapon
from registry.weapons.service import (
    MAX_ID_RUNS,
    create_weapon,
    existing_serial_keys,
    id_condition,
    reserve_references,
)


def test_existing_serial_keys_finds_the_country_duplicates_only(world):
    for number in range(1, 6):
        create_weapon(world["ML"].user("officer"), status="seized", raw_serial=f"BK-{number:05d}")
    found = existing_serial_keys("ML", {"BK00001", "BK00004", "NOPE"})
    assert {key for key, _make in found} == {"BK00001", "BK00004"}
    assert existing_serial_keys("BF", {"BK00001"}) == set()


def test_references_follow_each_other_per_country_and_year(app):
    first = reserve_references("ML", 2, year=2031)
    second = reserve_references("ML", 1, year=2031)
    assert first == ["ML-2031-000001", "ML-2031-000002"] and second == ["ML-2031-000003"]
    assert reserve_references("NE", 1, year=2031) == ["NE-2031-000001"]


def test_a_batch_of_scattered_ids_names_exactly_its_records(world):
    """The ids of a batch written while another writer took numbers in turn are not one
    run: past MAX_ID_RUNS runs they go as a list (one array parameter on PostgreSQL)."""
    officer = world["ML"].user("officer")
    ids = [create_weapon(officer, status="seized", raw_serial=f"SC-{number:05d}").id
           for number in range(2 * MAX_ID_RUNS + 6)]
    every_other = ids[::2]
    for chosen in (every_other, ids[:3], [ids[0], ids[-1]]):
        found = db.session.scalars(select(Weapon.id).where(id_condition(Weapon.id, chosen)))
        assert sorted(found) == sorted(chosen)
    assert len(every_other) > MAX_ID_RUNS
