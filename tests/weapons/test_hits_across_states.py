"""Hits: one state's search or record meets another state's wanted weapon."""

from sqlalchemy import select

from registry.extensions import db
from registry.notifications.models import Notification
from registry.weapons.models import Hit, HitStatus
from registry.weapons.service import create_weapon
from tests.weapons.helpers import latest_weapon, record_through_form


def test_mali_search_finds_burkina_stolen_weapon_and_both_agencies_are_told(world, client, login_as):
    burkina = login_as(world["BF"].user("officer"))
    response = record_through_form(burkina, status="stolen", sharing="all", raw_serial="KX-10-2345",
                                   raw_make="Kalashnikov")
    assert response.status_code == 302
    stolen = latest_weapon()
    assert stolen.reference.startswith("BF-") and stolen.serial_key == "KX102345"
    burkina.logout()

    mali = login_as(world["ML"].user("officer"))
    page = client.get("/weapons/", query_string={"serial": "kx 1O 2345"}).get_data(as_text=True)
    assert stolen.reference in page
    assert "Correspondance : ce numéro de série correspond" in page
    hit = db.session.scalars(select(Hit)).all()
    hit = [h for h in hit if h.hit_weapon_id == stolen.id]
    assert len(hit) == 1 and hit[0].searcher_agency_id == world["ML"].agency.id
    assert hit[0].status is HitStatus.NEW and hit[0].notified
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert stolen.reference in notifications
    # A second search makes no second hit.
    client.get("/weapons/", query_string={"serial": "KX102345"})
    assert db.session.scalar(select(db.func.count(Hit.id)).where(Hit.hit_weapon_id == stolen.id)) == 1
    mali.logout()

    login_as(world["BF"].user("viewer"))
    notifications = client.get("/notifications/").get_data(as_text=True)
    assert stolen.reference in notifications and "un autre État (Mali)" in notifications
    assert '<span class="badge">' in client.get("/").get_data(as_text=True)


def test_a_new_record_matching_a_shared_stolen_record_makes_a_hit_for_both(world):
    stolen = create_weapon(world["BF"].user("officer"), status="stolen", sharing="all",
                           raw_serial="GL-998877", raw_make="Glock")
    seized = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="GL 998877",
                           raw_make="glock")
    hit = db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()
    assert hit.hit_weapon_id == stolen.id
    told = {n.agency_id for n in db.session.scalars(select(Notification).where(
        Notification.kind == "weapon.hit", Notification.link == f"/weapons/hits/{hit.id}"))}
    assert told == {world["BF"].agency.id, world["ML"].agency.id}


def test_a_stolen_record_shared_later_hits_an_existing_seizure(world):
    seized = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="CZ-445566")
    create_weapon(world["BF"].user("officer"), status="stolen", sharing="all", raw_serial="CZ445566")
    assert db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()


def test_no_hit_on_a_national_record_a_different_make_or_a_short_serial_alone(world):
    mali, burkina = world["ML"].user("officer"), world["BF"].user("officer")
    create_weapon(burkina, status="stolen", sharing="national", raw_serial="NAT-123456")
    create_weapon(burkina, status="stolen", sharing="all", raw_serial="MK-654321", raw_make="Beretta")
    create_weapon(burkina, status="stolen", sharing="all", raw_serial="12", raw_make="Beretta")
    create_weapon(burkina, status="stolen", sharing="all", raw_serial="34")
    before = db.session.scalar(select(db.func.count(Hit.id)))
    create_weapon(mali, status="seized", raw_serial="NAT123456")
    create_weapon(mali, status="seized", raw_serial="MK654321", raw_make="Glock")
    create_weapon(mali, status="seized", raw_serial="12")  # short, make unknown
    create_weapon(mali, status="seized", raw_serial="34", raw_make="Beretta")  # short, their make unknown
    assert db.session.scalar(select(db.func.count(Hit.id))) == before
    create_weapon(mali, status="seized", raw_serial="1-2", raw_make="BERETTA")  # short, same make
    assert db.session.scalar(select(db.func.count(Hit.id))) == before + 1


def test_partners_sharing_reaches_only_listed_partner_states(world):
    from registry.auth.models import AgencyPartner

    db.session.add(AgencyPartner(agency_id=world["BF"].agency.id, country_code="NE"))
    create_weapon(world["BF"].user("officer"), status="lost", sharing="partners", raw_serial="PT-777888")
    mali_record = create_weapon(world["ML"].user("officer"), status="found", raw_serial="PT777888")
    niger_record = create_weapon(world["NE"].user("officer"), status="found", raw_serial="PT777888")
    sources = set(db.session.scalars(select(Hit.source_weapon_id)))
    assert niger_record.id in sources and mali_record.id not in sources


def test_owner_confirms_and_searcher_dismisses_with_reason(world, client, login_as):
    stolen = create_weapon(world["BF"].user("officer"), status="stolen", sharing="all",
                           raw_serial="DC-1212121")
    seized = create_weapon(world["ML"].user("officer"), status="seized", raw_serial="DC1212121")
    db.session.commit()
    hit = db.session.scalars(select(Hit).where(Hit.source_weapon_id == seized.id)).one()
    mali = login_as(world["ML"].user("officer"))
    response = mali.post(f"/weapons/hits/{hit.id}", {"decision": "dismiss", "reason": ""})
    assert response.status_code == 400
    assert "Indiquez pourquoi la correspondance" in response.get_data(as_text=True)
    db.session.refresh(hit)
    assert hit.status is HitStatus.NEW
    response = mali.post(f"/weapons/hits/{hit.id}", {"decision": "dismiss",
                                                     "reason": "Different frame, photo compared"})
    assert response.status_code == 302
    db.session.refresh(hit)
    assert hit.status is HitStatus.DISMISSED and hit.decision_reason.startswith("Different")
    assert stolen.reference in client.get("/weapons/hits").get_data(as_text=True)
