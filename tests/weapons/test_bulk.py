"""The functions the import calls: duplicate detection and blocks of references (the
bulk creation itself is tested through the import's commit, tests/imports/test_commit.py)."""

from registry.weapons.service import create_weapon, existing_serial_keys, reserve_references


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
