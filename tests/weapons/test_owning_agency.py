"""Records belong to the agency that holds them: another agency of the same state reads
them, but changes and deletes nothing; deletion is for the owning agency's supervisors.
Every photo, thumbnail included, read from a record is written to the audit log."""

import io

from PIL import Image
from sqlalchemy import select

from registry.audit.models import AuditEvent
from registry.auth.models import AgencyKind, Country
from registry.auth.roles import Role
from registry.auth.service import create_agency, create_user
from registry.extensions import db
from registry.weapons.models import Weapon
from registry.weapons.photos import add_photo
from registry.weapons.service import create_weapon
from tests.conftest import PASSWORD


def _mali_police_supervisor():
    police = create_agency(None, code="ML-POLICE", name="Police nationale du Mali",
                           country=db.session.get(Country, "ML"), kind=AgencyKind.POLICE)
    supervisor = create_user(None, email="supervisor@police.ml.test", name="Police supervisor",
                             agency=police, role=Role.SUPERVISOR, password=PASSWORD)
    db.session.commit()
    return supervisor


def test_supervisor_of_another_agency_of_the_same_state_cannot_delete_the_record(world, login_as):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="OWN-7788")
    db.session.commit()
    police = login_as(_mali_police_supervisor())
    page = police.client.get(f"/weapons/{weapon.id}").get_data(as_text=True)
    assert "OWN-7788" in page  # a national record: the state's other agencies read it
    assert f"/weapons/{weapon.id}/delete" not in page
    response = police.post(f"/weapons/{weapon.id}/delete", {"reason": "Not ours but deleted anyway"},
                           token_from=f"/weapons/{weapon.id}", follow_redirects=True)
    assert "organisme qui l&#39;a enregistrée peut supprimer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).deleted_at is None


def test_supervisor_of_the_owning_agency_deletes_the_record(world, login_as):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="OWN-7789")
    db.session.commit()
    supervisor = login_as(world["ML"].user("supervisor"))
    supervisor.post(f"/weapons/{weapon.id}/delete", {"reason": "Entered twice by mistake"},
                    token_from=f"/weapons/{weapon.id}")
    db.session.expire_all()
    assert db.session.get(Weapon, weapon.id).deleted_at is not None


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def test_photo_and_thumbnail_downloads_are_written_to_the_audit_log(world, login_as):
    officer = world["ML"].user("officer")
    weapon = create_weapon(officer, status="seized", raw_serial="PH-9911")
    photo = add_photo(officer, weapon, _png(), "front.png")
    db.session.commit()
    viewer = world["ML"].user("viewer")
    browser = login_as(viewer)
    assert browser.client.get(f"/weapons/photos/{photo.id}").data == _png()
    assert browser.client.get(f"/weapons/photos/{photo.id}/thumbnail").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["weapon.photo_download", "weapon.photo_thumbnail"]))
        .order_by(AuditEvent.sequence)).all()
    assert [(event.action, event.user_id, event.object_id, event.details["photo"]) for event in events] == [
        ("weapon.photo_download", viewer.id, str(weapon.id), photo.id),
        ("weapon.photo_thumbnail", viewer.id, str(weapon.id), photo.id)]
