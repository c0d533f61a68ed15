"""The audit page as its readers use it: actions in words in their language, the objects
linked while they exist, filters, pages, and an export that is itself audited."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select, update

from registry.audit.models import AuditEvent
from registry.audit.service import record
from registry.extensions import db, utcnow
from registry.weapons.models import Weapon
from registry.weapons.service import create_weapon, delete_weapon


def _tbody(response) -> str:
    return response.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]


def _mali_weapon(world, serial="AUDIT-PAGE-1"):
    weapon = create_weapon(world["ML"].user("officer"), status="seized", raw_serial=serial,
                           raw_make="Beretta")
    db.session.commit()
    return weapon


def test_a_french_supervisor_reads_actions_in_french_with_the_record_linked(client, world, login_as):
    weapon = _mali_weapon(world)
    record("weapon.view", "weapon", weapon.id, {"reference": weapon.reference},
           user=world["ML"].user("officer"))
    record("weapon.photo_download", "weapon", weapon.id, {"photo": 1}, user=world["ML"].user("officer"))
    db.session.commit()
    login_as(world["ML"].user("supervisor"))
    body = _tbody(client.get(f"/audit/?object={weapon.reference}"))
    assert "A consulté une fiche d&#39;arme" in body or "A consulté une fiche d'arme" in body
    assert "A téléchargé une photo d" in body
    assert f'<a href="/weapons/{weapon.id}">{weapon.reference}</a>' in body


def test_an_english_reader_reads_the_same_events_in_english(client, world, login_as):
    supervisor = world["ML"].user("supervisor")
    supervisor.language = "en"
    record("auth.login_failed", "user", supervisor.id, {"reason": "password"}, user=supervisor)
    db.session.commit()
    login_as(supervisor)
    body = _tbody(client.get("/audit/?action=auth.login_failed"))
    assert "Failed to log in" in body
    assert "Échec de connexion" not in body


def test_a_deleted_record_is_named_but_no_longer_linked(client, world, login_as):
    weapon = _mali_weapon(world)
    record("weapon.view", "weapon", weapon.id, {"reference": weapon.reference},
           user=world["ML"].user("officer"))
    delete_weapon(world["ML"].user("supervisor"), weapon, "entered twice")
    db.session.commit()
    login_as(world["ML"].user("supervisor"))
    body = _tbody(client.get(f"/audit/?object_type=weapon&object={weapon.id}"))
    assert weapon.reference in body
    assert f'href="/weapons/{weapon.id}"' not in body
    assert "A supprimé une fiche d" in body


def test_the_log_is_filtered_by_user_action_and_period(client, world, login_as):
    officer, viewer = world["ML"].user("officer"), world["ML"].user("viewer")
    record("weapon.search", details={"terms": {"serial": "OLD-ONE"}}, user=officer)
    db.session.flush()
    db.session.execute(update(AuditEvent).where(AuditEvent.details["terms"]["serial"].as_string() == "OLD-ONE")
                       .values(occurred_at=utcnow() - timedelta(days=40)))
    record("weapon.search", details={"terms": {"serial": "NEW-ONE"}}, user=officer)
    record("weapon.search", details={"terms": {"serial": "VIEWER-ONE"}}, user=viewer)
    record("weapon.export", details={"terms": {"serial": "EXPORTED"}}, user=officer)
    db.session.commit()
    login_as(world["ML"].user("supervisor"))
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    body = _tbody(client.get(f"/audit/?user=officer@ml&action=weapon.search&since={since}"))
    assert "NEW-ONE" in body
    assert "OLD-ONE" not in body and "VIEWER-ONE" not in body and "EXPORTED" not in body
    family = _tbody(client.get("/audit/?user=officer%20ML&action=weapon."))
    assert "NEW-ONE" in family and "OLD-ONE" in family and "EXPORTED" in family
    assert "VIEWER-ONE" not in family


def test_a_date_that_is_not_one_is_said_so_and_nothing_breaks(client, world, login_as):
    login_as(world["ML"].user("supervisor"))
    response = client.get("/audit/?since=31/12/2025&until=2025-01-01")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "AAAA-MM-JJ" in page or "YYYY-MM-DD" in page
    assert 'value="31/12/2025"' in page


def test_a_period_that_ends_before_it_starts_is_refused(client, world, login_as):
    login_as(world["ML"].user("supervisor"))
    response = client.get("/audit/?since=2026-02-01&until=2026-01-01")
    assert response.status_code == 400
    assert "La période se termine avant de commencer." in response.get_data(as_text=True)


def test_the_log_pages_fifty_events_at_a_time(client, world, login_as):
    officer = world["ML"].user("officer")
    for number in range(60):
        record("weapon.search", details={"terms": {"serial": f"PAGE-{number:03d}"}}, user=officer)
    db.session.commit()
    login_as(world["ML"].user("supervisor"))
    first = client.get("/audit/?action=weapon.search").get_data(as_text=True)
    assert "PAGE-059" in first and "PAGE-010" in first and "PAGE-009" not in first
    assert "page=2" in first
    second = client.get("/audit/?action=weapon.search&page=2").get_data(as_text=True)
    assert "PAGE-009" in second and "PAGE-000" in second and "PAGE-010" not in second


def test_the_csv_export_holds_the_agency_events_in_words_and_is_audited(client, world, login_as):
    weapon = _mali_weapon(world)
    record("weapon.view", "weapon", weapon.id, {"reference": weapon.reference},
           user=world["ML"].user("officer"))
    record("weapon.view", "weapon", world.ne_weapon_id, {"reference": "NE-ONLY"},
           user=world["NE"].user("officer"))
    db.session.commit()
    login_as(world["ML"].user("supervisor"))
    response = client.get("/audit/export.csv?action=weapon.view")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][5] == "Action"
    assert any(row[5] == "A consulté une fiche d'arme" and weapon.reference in row[7] for row in rows[1:])
    assert "NE-ONLY" not in response.get_data(as_text=True)
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
    assert exported.details == {"action": "weapon.view", "format": "csv", "rows": len(rows) - 1}
    assert exported.user_id == world["ML"].user("supervisor").id


def test_the_xlsx_export_follows_the_filters(client, world, login_as):
    officer = world["ML"].user("officer")
    record("weapon.search", details={"terms": {"serial": "IN-XLSX"}}, user=officer)
    record("auth.logout", "user", officer.id, user=officer)
    db.session.commit()
    login_as(world["ML"].user("agency_admin"))
    response = client.get("/audit/export.xlsx?action=weapon.search")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [" ".join(str(value) for value in row if value is not None)
             for row in sheet.iter_rows(values_only=True)]
    assert any("IN-XLSX" in line and "A recherché dans les fiches d" in line for line in cells)
    assert not any("auth.logout" in line for line in cells)
    # The page says how far an export goes.
    page = client.get("/audit/?action=weapon.search").get_data(as_text=True)
    assert "les 100 000 plus récents au plus" in page or "les 100 000 plus récents au plus" in page


def test_a_viewer_reads_no_audit_log(client, world, login_as):
    login_as(world["ML"].user("viewer"))
    assert client.get("/audit/").status_code in (403, 404)
    assert client.get("/audit/export.csv").status_code in (403, 404)
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).all()


def test_a_record_of_another_state_is_not_linked_for_a_reader_of_every_agency(client, world, login_as):
    hidden = db.session.get(Weapon, world.ne_weapon_id)
    record("weapon.view", "weapon", hidden.id, {"reference": hidden.reference},
           user=world["NE"].user("officer"))
    db.session.commit()
    # The platform administrator reads every agency's log, yet Niger's national record
    # stays Niger's: named, not opened.
    login_as(world["ML"].user("platform_admin"))
    body = _tbody(client.get(f"/audit/?object={hidden.reference}"))
    assert hidden.reference in body
    assert f'href="/weapons/{hidden.id}"' not in body
