import re

from sqlalchemy import select

from registry.extensions import db
from registry.weapons.models import Weapon

VALID = {"status": "seized", "sharing": "national", "raw_serial": "AB-1234", "raw_make": "Beretta",
         "raw_model": "92FS", "event_date": "2024-03-01"}


def record_through_form(actions, **values):
    """What an officer does on the 'Record a weapon' page; returns the response."""
    return actions.post("/weapons/new", VALID | values)


def latest_weapon() -> Weapon:
    return db.session.scalars(select(Weapon).order_by(Weapon.id.desc()).execution_options(
        populate_existing=True)).first()


def reference_in(page: str) -> str | None:
    match = re.search(r"[A-Z]{2}-\d{4}-\d{6}", page)
    return match.group(0) if match else None
