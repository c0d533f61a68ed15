"""`flask registry demo` loads records worth looking at, all marked as demonstration data."""

from sqlalchemy import func, select

from registry.extensions import db
from registry.imports.models import Import, ImportStatus
from registry.reference.models import WeaponType
from registry.tracing.models import TraceRequest
from registry.tracing.workflow import Status
from registry.weapons.models import Hit, Weapon, WeaponStatus


def run_demo(app, *args):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["registry", "init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["registry", "demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_loads_records_of_every_status_type_and_state_with_hits_traces_and_an_import(app):
    result = run_demo(app, "--records", "300")
    assert "300 generated" in result.output
    weapons = db.session.scalars(select(Weapon)).all()
    # The generated records, the pairs made to hit each other, the import's rows.
    assert len(weapons) == 300 + 12 + 60
    assert all(weapon.case_reference.startswith("DEMO-") and weapon.notes.startswith("[DEMO]")
               for weapon in weapons)
    assert {weapon.country_code for weapon in weapons} == {"ML", "BF", "NE", "CI"}
    assert {weapon.status for weapon in weapons} == set(WeaponStatus)
    typed = {weapon.type_id for weapon in weapons}
    assert set(db.session.scalars(select(WeaponType.id))) <= typed
    years = {weapon.event_date.year for weapon in weapons}
    assert len(years) >= 3
    assert any(weapon.latitude is not None for weapon in weapons)
    hits = db.session.scalars(select(Hit)).all()
    assert len({(hit.owner_agency_id, hit.searcher_agency_id) for hit in hits}) >= 4
    assert {trace.status for trace in db.session.scalars(select(TraceRequest))} == set(Status)
    imported = db.session.scalars(select(Import)).one()
    assert imported.status is ImportStatus.COMMITTED and imported.file_name.startswith("[DEMO]")


def test_demo_loaded_again_adds_nothing(app):
    run_demo(app, "--records", "50")
    before = db.session.scalar(select(func.count(Weapon.id)))
    again = run_demo(app, "--records", "50")
    assert "already loaded" in again.output
    assert db.session.scalar(select(func.count(Weapon.id))) == before
