"""Commit: accepted rows become records once and only once, even when the commit is
interrupted part-way and run again."""

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.imports import service
from registry.imports.models import ImportRow, ImportStatus
from registry.weapons.models import Weapon
from tests.imports.sheets import workbook, write


class Interrupted(Exception):
    pass


def many_rows(count: int) -> bytes:
    rows = [["Marque", "Modèle", "N° de série", "Date de saisie"]]
    rows += [["Beretta", "92", f"SN-{number:05d}", "12/03/2024"] for number in range(count)]
    return workbook(rows)


def analysed_import(world, tmp_path, count=25):
    officer = world["ML"].user("officer")
    path = write(tmp_path, "lot.xlsx", many_rows(count))
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
    with pytest.raises(Interrupted):
        service.commit_import(officer, import_, on_batch=crash_on_second_batch)
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
