"""Public references stay unique when several writers create records at once."""

from sqlalchemy import func, select

from registry.auth.models import User
from registry.extensions import db
from registry.weapons.models import Weapon
from registry.weapons.service import create_weapon
from tests.concurrency import run_concurrently


def test_concurrent_creations_get_distinct_references(app, world):
    officer_id = world["BF"].user("officer").id
    db.session.commit()

    def work(number: int) -> None:
        for index in range(5):
            officer = db.session.get(User, officer_id)
            create_weapon(officer, status="seized", raw_serial=f"CC-{number}-{index}")
            db.session.commit()

    errors = run_concurrently(app, work)
    assert not errors, errors
    references = list(db.session.scalars(select(Weapon.reference).where(Weapon.raw_serial.like("CC-%"))))
    assert len(references) == 20 == len(set(references))
    assert db.session.scalar(select(func.count(Weapon.id)).where(Weapon.country_code == "BF")) >= 20
