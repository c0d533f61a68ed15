"""Objects of Niger (and Burkina Faso) that users of Mali must never reach."""

from sqlalchemy import select

from registry.extensions import db, utcnow
from registry.weapons.models import Hit, WeaponPhoto
from registry.weapons.service import create_weapon


def add_weapons(world) -> None:
    niger = world["NE"].user("officer")
    national = create_weapon(niger, status="stolen", sharing="national", raw_serial="NE-SECRET-77",
                             raw_make="Kalashnikov", raw_model="AKM", case_reference="NE-CASE-1")
    world.ne_weapon_id = national.id
    photo = WeaponPhoto(weapon_id=national.id, stored_name="niger-photo.png", original_name="n.png",
                        content_type="image/png", size=1, width=1, height=1, uploaded_at=utcnow())
    db.session.add(photo)
    # A hit between Niger and Burkina Faso: Mali is no party to it.
    burkina = world["BF"].user("officer")
    create_weapon(burkina, status="seized", sharing="national", raw_serial="NE-SECRET-77",
                  raw_make="Kalashnikov")
    niger_shared = create_weapon(niger, status="stolen", sharing="all", raw_serial="SHARED-NE-1",
                                 raw_make="Beretta")
    world.ne_shared_weapon_id = niger_shared.id
    bf_seizure = create_weapon(burkina, status="seized", raw_serial="SHARED NE 1", raw_make="Beretta")
    db.session.flush()
    world.ne_photo_id = photo.id
    world.ne_hit_id = db.session.scalar(select(Hit.id).where(Hit.source_weapon_id == bf_seizure.id))
