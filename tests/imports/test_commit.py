"""Commit: accepted rows become records once and only once, even when the commit is
interrupted part-way and run again."""

import pytest
from sqlalchemy import event, func, select

from registry.audit.models import AuditEvent
from registry.extensions import db, utcnow
from registry.imports import service
from registry.imports.models import ImportRow, ImportStatus
from registry.weapons.models import (
    Hit,
    ReferenceCounter,
    Sharing,
    Weapon,
    WeaponChange,
    WeaponStatus,
)
from registry.weapons.serials import SerialState
from registry.weapons.service import create_weapon
from tests.imports.sheets import workbook, write


class Interrupted(Exception):
    pass


def many_rows(count: int, prefix: str = "SN") -> bytes:
    rows = [["Marque", "Modèle", "N° de série", "Date de saisie"]]
    rows += [["Beretta", "92", f"{prefix}-{number:05d}", "12/03/2024"] for number in range(count)]
    return workbook(rows)


def analysed_import(world, tmp_path, count=25, prefix="SN"):
    officer = world["ML"].user("officer")
    path = write(tmp_path, "lot.xlsx", many_rows(count, prefix))
    import_ = service.upload_import(officer, path, "lot.xlsx")
    service.analyse_import(officer, import_)
    db.session.commit()
    return officer, import_


def imported_weapons(import_) -> list[int]:
    return list(db.session.scalars(select(Weapon.import_row_id).where(Weapon.import_row_id.in_(
        select(ImportRow.id).where(ImportRow.import_id == import_.id)))))


@pytest.mark.parametrize("committed_before_crash", [True, False], ids=["after-commit", "mid-batch"])
def test_an_interrupted_commit_run_again_writes_every_row_once(
        app, world, reference, tmp_path, monkeypatch, committed_before_crash):
    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    officer, import_ = analysed_import(world, tmp_path)
    assert import_.counts["ready"] == 25
    calls = []

    def crash_on_second_batch(current):
        calls.append(current.progress_done)
        if len(calls) < 2 or committed_before_crash:
            db.session.commit()
        if len(calls) == 2:
            raise Interrupted  # a killed worker, a lost connection...

    service.start_commit(officer, import_)
    db.session.commit()
    with pytest.raises(Interrupted):  # one connection: the batches are in the caller's transaction
        service.commit_import(officer, import_, on_batch=crash_on_second_batch, connections=1)
    db.session.rollback()
    written = imported_weapons(import_)
    assert len(written) == (20 if committed_before_crash else 10)

    import_ = db.session.merge(import_)
    assert import_.status is ImportStatus.COMMITTING
    service.commit_import(officer, import_, on_batch=lambda current: db.session.commit())
    db.session.commit()
    written = imported_weapons(import_)
    assert len(written) == len(set(written)) == 25
    assert import_.status is ImportStatus.COMMITTED and import_.counts["created"] == 25
    rows = db.session.scalars(select(ImportRow).where(ImportRow.import_id == import_.id)).all()
    assert all(row.weapon_id and row.weapon_reference.startswith("ML-") for row in rows)


def test_a_committed_import_cannot_be_committed_twice(app, world, reference, tmp_path):
    officer, import_ = analysed_import(world, tmp_path, count=3)
    service.commit_import(officer, import_)
    db.session.commit()
    with pytest.raises(service.DomainError):
        service.commit_import(officer, import_)
    assert len(imported_weapons(import_)) == 3


def test_rows_not_accepted_are_not_written(app, world, reference, tmp_path):
    officer, import_ = analysed_import(world, tmp_path, count=4)
    first = db.session.scalars(select(ImportRow).where(ImportRow.import_id == import_.id)
                               .order_by(ImportRow.row_number)).first()
    service.set_accepted(officer, import_, [first.id], False)
    service.commit_import(officer, import_)
    db.session.commit()
    assert first.id not in imported_weapons(import_) and len(imported_weapons(import_)) == 3


def test_approval_is_needed_when_the_agency_requires_it(app, world, reference, tmp_path):
    world["ML"].agency.requires_import_approval = True
    officer, import_ = analysed_import(world, tmp_path, count=2)
    with pytest.raises(service.DomainError, match="superviseur doit approuver"):
        service.commit_import(officer, import_)
    with pytest.raises(service.NotAllowed):
        service.approve_import(officer, import_)
    service.approve_import(world["ML"].user("supervisor"), import_)
    service.commit_import(officer, import_)
    assert db.session.scalar(select(func.count()).where(Weapon.import_row_id.is_not(None))) == 2


def test_another_agency_cannot_commit_the_import(app, world, reference, tmp_path):
    _officer, import_ = analysed_import(world, tmp_path, count=2)
    with pytest.raises(service.NotAllowed):
        service.commit_import(world["NE"].user("officer"), import_)


def _statements_of(function) -> list[str]:
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_the_commit_sends_as_many_statements_for_200_rows_as_for_20(app, world, reference, tmp_path):
    counted = []
    for count in (5, 20, 200):  # the first also makes the year's reference counter
        (tmp_path / str(count)).mkdir()
        officer, import_ = analysed_import(world, tmp_path / str(count), count=count, prefix=f"N{count}")
        counted.append(len(_statements_of(lambda officer=officer, import_=import_: service.commit_import(
            officer, import_))))
        assert len(imported_weapons(import_)) == count
    assert counted[1] == counted[2] and counted[2] < 40, counted  # no statement per row


def test_committed_records_hold_what_the_sheet_said(app, world, reference, tmp_path):
    officer = world["ML"].user("officer")
    rows = [["Marque", "Modèle", "N° de série", "Calibre", "Type d'arme", "Pays de fabrication",
             "Date de saisie", "Lieu de saisie", "Référence dossier", "Statut", "Observations"],
            ["Kalachnikov", "AK 47", "AB-123456", "7,62x39", "Fusil d'assaut", "Russie", "12/03/2024",
             "Ségou", "PV 12/2024", "Volée", "crosse cassée"],
            ["Beretta", "92", "limé", "9mm", "Pistolet", None, "2024-01-05", "Kayes", None, "Saisie", None]]
    path = write(tmp_path, "lot.xlsx", workbook(rows))
    import_ = service.upload_import(officer, path, "lot.xlsx")
    service.analyse_import(officer, import_)
    service.set_accepted(officer, import_, None, True, status="needs_review")
    service.commit_import(officer, import_)
    db.session.commit()
    first, second = db.session.scalars(select(Weapon).where(Weapon.import_row_id.is_not(None))
                                       .order_by(Weapon.import_row_id)).all()
    assert (first.raw_make, first.raw_model, first.raw_serial, first.serial_key) == (
        "Kalachnikov", "AK 47", "AB-123456", "AB123456")
    assert first.make.name == "Kalashnikov" and first.model is not None and first.calibre is not None
    assert first.type_id is not None and set(first.identification_confidence) >= {"make", "model"}
    assert first.identification_method
    assert (first.manufacture_country_code, first.event_date.isoformat(), first.event_town,
            first.case_reference, first.notes) == ("RU", "2024-03-12", "Ségou", "PV 12/2024", "crosse cassée")
    assert first.status is WeaponStatus.STOLEN and first.sharing is Sharing.NATIONAL
    assert first.agency_id == world["ML"].agency.id and first.country_code == "ML"
    assert first.created_by_id == officer.id and first.updated_by_id is None and first.version == 1
    assert second.serial_state is SerialState.OBLITERATED and second.serial_key is None
    assert second.status is WeaponStatus.SEIZED and second.event_date.isoformat() == "2024-01-05"
    year = first.created_at.year
    assert [first.reference, second.reference] == [f"ML-{year}-000001", f"ML-{year}-000002"]
    assert not db.session.scalars(select(WeaponChange).where(WeaponChange.weapon_id == first.id)).all()
    created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "weapon.bulk_create")).one()
    assert created.details["count"] == 2 and created.details["import"] == import_.id
    linked = dict(db.session.execute(select(ImportRow.weapon_id, ImportRow.weapon_reference)
                                     .where(ImportRow.import_id == import_.id, ImportRow.weapon_id.is_not(None))).all())
    assert linked == {first.id: first.reference, second.id: second.reference}


def test_the_commit_runs_the_hit_check(app, world, reference, tmp_path):
    wanted = create_weapon(world["BF"].user("officer"), status="stolen", sharing="all", raw_make="Beretta",
                           raw_serial="SN-00007")
    officer, import_ = analysed_import(world, tmp_path, count=10)
    service.commit_import(officer, import_)
    db.session.commit()
    hit = db.session.scalars(select(Hit).where(Hit.hit_weapon_id == wanted.id)).one()
    assert db.session.get(Weapon, hit.source_weapon_id).raw_serial == "SN-00007"


def test_a_commit_run_again_after_the_end_writes_nothing(app, world, reference, tmp_path):
    officer, import_ = analysed_import(world, tmp_path, count=3)
    service.commit_import(officer, import_)
    db.session.commit()
    import_.status = ImportStatus.COMMITTING  # as if the worker died before saying it was done
    db.session.commit()
    service.commit_import(officer, import_)
    db.session.commit()
    assert len(imported_weapons(import_)) == 3 and import_.counts["created"] == 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "weapon.bulk_create")) == 1


def test_references_past_a_million_keep_every_digit(app, world, reference, tmp_path):
    year = utcnow().year
    db.session.add(ReferenceCounter(country_code="ML", year=year, last=999_998))
    db.session.commit()
    officer, import_ = analysed_import(world, tmp_path, count=3)
    service.commit_import(officer, import_)
    db.session.commit()
    references = db.session.scalars(select(Weapon.reference).where(Weapon.import_row_id.is_not(None))
                                    .order_by(Weapon.import_row_id)).all()
    assert references == [f"ML-{year}-999999", f"ML-{year}-1000000", f"ML-{year}-1000001"]


# --- Batches written side by side (PostgreSQL's default; forced here on both databases) ------


def references_of(import_) -> list[str]:
    return list(db.session.scalars(select(Weapon.reference).where(Weapon.import_row_id.in_(
        select(ImportRow.id).where(ImportRow.import_id == import_.id)))))


def test_batches_written_side_by_side_write_every_row_once(app, world, reference, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    officer, import_ = analysed_import(world, tmp_path, count=45)
    progress = []
    service.commit_import(officer, import_, on_batch=lambda current: progress.append(current.progress_done),
                          connections=2)
    db.session.commit()
    written = imported_weapons(import_)
    assert len(written) == len(set(written)) == 45
    references = references_of(import_)
    assert len(set(references)) == 45 and all(reference.startswith("ML-") for reference in references)
    assert sorted(progress) == progress and len(progress) == 5 and progress[-1] == 45
    assert import_.status is ImportStatus.COMMITTED and import_.counts["created"] == 45
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "weapon.bulk_create")) == 5


def test_a_batch_failing_on_its_connection_is_rolled_back_and_the_rest_finished_later(
        app, world, reference, tmp_path, monkeypatch):
    import threading

    from registry.weapons import service as weapons_service

    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    officer, import_ = analysed_import(world, tmp_path, count=45)
    real = weapons_service.create_weapons_from_select
    lock, calls, failed = threading.Lock(), [], []

    def fails_in_third_batch(*arguments, **keywords):
        ids = real(*arguments, **keywords)  # written, not yet committed
        with lock:
            calls.append(1)
            if len(calls) == 3:
                failed.append(keywords["details"]["import_rows"])
                raise Interrupted  # a lost connection, a database error...
        return ids

    monkeypatch.setattr(weapons_service, "create_weapons_from_select", fails_in_third_batch)
    with pytest.raises(Interrupted):
        service.commit_import(officer, import_, connections=2)
    db.session.rollback()
    written = imported_weapons(import_)
    low, high = failed[0]
    assert not [row for row in written if low <= row <= high]  # the failed batch: nothing of it
    assert len(written) == len(set(written)) and 20 <= len(written) < 45

    monkeypatch.setattr(weapons_service, "create_weapons_from_select", real)
    import_ = db.session.merge(import_)
    service.commit_import(officer, import_, connections=2)
    db.session.commit()
    written = imported_weapons(import_)
    assert len(written) == len(set(written)) == 45
    assert len(set(references_of(import_))) == 45  # a reserved block left unused is a gap, never a repeat
    assert import_.status is ImportStatus.COMMITTED and import_.counts["created"] == 45


def test_a_stop_asked_between_batches_lets_the_writers_finish_their_batch(
        app, world, reference, tmp_path, monkeypatch):
    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    officer, import_ = analysed_import(world, tmp_path, count=45)

    def stop_after_the_first(current):
        raise Interrupted  # the job's on_batch raises so when the commit is cancelled or dies

    with pytest.raises(Interrupted):
        service.commit_import(officer, import_, on_batch=stop_after_the_first, connections=2)
    db.session.rollback()
    written = imported_weapons(import_)
    assert len(written) == len(set(written)) and 10 <= len(written) < 45
    import_ = db.session.merge(import_)
    service.commit_import(officer, import_, connections=2)
    db.session.commit()
    assert len(set(imported_weapons(import_))) == len(imported_weapons(import_)) == 45


def test_a_large_import_has_the_database_read_its_rows_statistics_before_the_commit(
        app, world, reference, tmp_path, monkeypatch):
    """On PostgreSQL, storing many rows runs ANALYZE on them, so that a commit started at
    once (the command line's `imports run --commit`) is planned for the rows it reads."""
    from sqlalchemy import text

    monkeypatch.setattr(service, "ANALYZE_AFTER_ROWS", 30)
    officer, import_ = analysed_import(world, tmp_path, count=40, prefix="AN")
    assert import_.status is ImportStatus.REVIEW
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'import_row'")) >= 40
    service.commit_import(officer, import_)
    db.session.commit()
    assert len(imported_weapons(import_)) == 40
