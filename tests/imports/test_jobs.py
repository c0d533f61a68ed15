"""Analysis and commit as background jobs: in a thread of the process (embedded default)
and on an RQ queue in Redis (production), with progress, failure and cancellation."""


import pytest
from sqlalchemy import func, select

from registry import jobs
from registry.extensions import db
from registry.imports import service
from registry.imports.jobs import start_analysis_job, start_commit_job
from registry.imports.models import Import, ImportRow, ImportStatus
from tests.conftest import TEST_REDIS_URL
from tests.imports.sheets import messy_french_sheet, workbook, write


def uploaded(world, tmp_path, content=None):
    officer = world["ML"].user("officer")
    path = write(tmp_path, "saisies.xlsx", content or messy_french_sheet())
    import_ = service.upload_import(officer, path, "saisies.xlsx")
    db.session.commit()
    return officer, import_


def fresh(import_id: int) -> Import:
    db.session.expire_all()
    return db.session.get(Import, import_id)


def test_embedded_jobs_analyse_then_commit_in_a_thread(app, world, reference, tmp_path):
    officer, import_ = uploaded(world, tmp_path)
    job_id = start_analysis_job(officer, import_)
    assert import_.status is ImportStatus.ANALYSING
    db.session.commit()  # the job starts once the request's transaction is saved
    assert jobs.wait(job_id)
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.REVIEW, import_.error
    assert import_.counts["ready"] == 2 and import_.progress_percent == 100

    job_id = start_commit_job(officer, import_)
    db.session.commit()
    assert jobs.wait(job_id)
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.COMMITTED and import_.counts["created"] == 2


def test_a_job_asked_for_in_a_rolled_back_transaction_never_runs(app, world, reference, tmp_path):
    officer, import_ = uploaded(world, tmp_path)
    job_id = start_analysis_job(officer, import_)
    db.session.rollback()
    assert jobs.wait(job_id)
    assert fresh(import_.id).status is ImportStatus.UPLOADED


def test_a_file_that_cannot_be_analysed_fails_with_its_reason(app, world, reference, tmp_path):
    officer, import_ = uploaded(world, tmp_path, workbook([["Nom", "Prénom", "Adresse"], ["a", "b", "c"]]))
    service.start_analysis(officer, import_)  # the job is run here, not also in a thread
    db.session.commit()
    jobs.perform("imports.analyse", {"import_id": import_.id, "user_id": officer.id})
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.FAILED
    assert "Nom, Prénom, Adresse" in import_.error


def test_a_running_analysis_can_be_cancelled(app, world, reference, tmp_path):
    officer, import_ = uploaded(world, tmp_path)
    service.start_analysis(officer, import_)
    service.cancel_import(officer, import_)
    db.session.commit()
    assert fresh(import_.id).status is ImportStatus.ANALYSING  # stops at its next batch
    jobs.perform("imports.analyse", {"import_id": import_.id, "user_id": officer.id})
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.CANCELLED
    assert db.session.scalar(select(func.count()).where(ImportRow.import_id == import_.id)) == 0


@pytest.mark.parametrize("connections", [1, 2])
def test_a_running_commit_can_be_stopped_and_committed_again_later(
        app, world, reference, tmp_path, monkeypatch, connections):
    import time

    from registry.weapons import service as weapons_service
    from registry.weapons.models import Weapon

    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    app.config["IMPORT_COMMIT_CONNECTIONS"] = connections
    real = weapons_service.create_weapons_from_select

    def slow_batch(*arguments, **keywords):  # batches as long as a large sheet's, for the stop to land
        time.sleep(0.2)
        return real(*arguments, **keywords)

    monkeypatch.setattr(weapons_service, "create_weapons_from_select", slow_batch)
    rows = [["Marque", "Modèle", "N° de série"]] + [["Beretta", "92", f"ST-{number:03d}"] for number in range(45)]
    officer, import_ = uploaded(world, tmp_path, workbook(rows))
    service.analyse_import(officer, import_)
    service.start_commit(officer, import_)
    db.session.commit()
    service.cancel_import(officer, import_)  # asked while the records are being written
    db.session.commit()
    assert fresh(import_.id).status is ImportStatus.COMMITTING  # stops after its batch
    jobs.perform("imports.commit", {"import_id": import_.id, "user_id": officer.id})
    import_ = fresh(import_.id)
    written = db.session.scalar(select(func.count()).select_from(Weapon).where(Weapon.raw_serial.like("ST-%")))
    assert import_.status is ImportStatus.FAILED and not import_.cancel_requested
    assert 10 <= written < 45 and import_.counts["created"] == written
    assert "arrêté comme demandé, après" in import_.error  # in the registry's language, French

    service.start_commit(officer, import_)  # committed again: the rest, nothing twice
    db.session.commit()
    jobs.perform("imports.commit", {"import_id": import_.id, "user_id": officer.id})
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.COMMITTED and import_.counts["created"] == 45
    assert db.session.scalar(select(func.count(func.distinct(Weapon.import_row_id))).where(
        Weapon.raw_serial.like("ST-%"))) == 45


@pytest.fixture
def redis_queue(app, redis_jobs_queue):
    app.config["REDIS_URL"] = TEST_REDIS_URL
    yield redis_jobs_queue
    app.config["REDIS_URL"] = None


def test_with_redis_jobs_go_on_the_queue_and_a_worker_runs_them(app, world, reference, tmp_path, redis_queue):
    from rq import SimpleWorker

    officer, import_ = uploaded(world, tmp_path)
    job_id = start_analysis_job(officer, import_)
    assert redis_queue.count == 0  # not before the transaction is saved
    db.session.commit()
    assert redis_queue.job_ids == [job_id]
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    import_ = fresh(import_.id)
    assert import_.status is ImportStatus.REVIEW, import_.error

    start_commit_job(officer, import_)
    db.session.commit()
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    assert fresh(import_.id).status is ImportStatus.COMMITTED


def test_the_worker_command_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REGISTRY_REDIS_URL is not set" in result.output


def test_the_worker_command_runs_the_queue(app, world, reference, tmp_path, redis_queue):
    officer, import_ = uploaded(world, tmp_path)
    start_analysis_job(officer, import_)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert fresh(import_.id).status is ImportStatus.REVIEW


def test_an_analysis_leaves_the_garbage_collector_as_it_found_it(app, world, reference, tmp_path):
    """The analysis pauses the cyclic collector and freezes what it made; once the rows are
    stored, the collector runs again over everything (nothing stays frozen)."""
    import gc

    officer, import_ = uploaded(world, tmp_path)
    assert gc.isenabled()
    analysis = service.analyse_file(tmp_path / "saisies.xlsx", "ML")
    assert gc.isenabled() and analysis.counts["ready"] > 0
    del analysis
    service.analyse_import(officer, import_)
    db.session.commit()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert import_.status is ImportStatus.REVIEW


@pytest.mark.parametrize("connections", [1, 2])
def test_a_stop_that_comes_as_the_last_batch_ends_leaves_the_import_committed(
        app, world, reference, tmp_path, monkeypatch, connections):
    """Cancel asked while the last batch is written: every record is there, so the import
    shows as committed, not as stopped with nothing left to write."""
    from registry.weapons import service as weapons_service
    from registry.weapons.models import Weapon

    monkeypatch.setattr(service, "COMMIT_BATCH", 10)
    app.config["IMPORT_COMMIT_CONNECTIONS"] = connections
    real = weapons_service.create_weapons_from_select
    rows = [["Marque", "Modèle", "N° de série"]] + [["Beretta", "92", f"LB-{number:03d}"] for number in range(15)]
    officer, import_ = uploaded(world, tmp_path, workbook(rows))
    service.analyse_import(officer, import_)
    service.start_commit(officer, import_)
    db.session.commit()
    import_id = import_.id
    written_batches = []

    def cancel_during_the_last_batch(*arguments, **keywords):
        ids = real(*arguments, **keywords)
        written_batches.append(len(ids))
        if sum(written_batches) == 15:  # the stop is asked from another request, as this batch ends
            db.session.execute(Import.__table__.update().where(Import.__table__.c.id == import_id)
                               .values(cancel_requested=True))
        return ids

    monkeypatch.setattr(weapons_service, "create_weapons_from_select", cancel_during_the_last_batch)
    jobs.perform("imports.commit", {"import_id": import_id, "user_id": officer.id})
    import_ = fresh(import_id)
    assert sorted(written_batches) == [5, 10]
    assert import_.status is ImportStatus.COMMITTED and not import_.cancel_requested and not import_.error
    assert import_.counts["created"] == 15
    assert db.session.scalar(select(func.count(func.distinct(Weapon.import_row_id))).where(
        Weapon.raw_serial.like("LB-%"))) == 15
