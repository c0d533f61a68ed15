"""The import's jobs: analysis and commit, with progress saved after each batch and
cancellation checked there."""

import logging
import time

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from registry.auth.models import User
from registry.errors import DomainError
from registry.extensions import db
from registry.imports import service
from registry.imports.models import Import, ImportRow, ImportStatus
from registry.jobs import enqueue, job
from registry.observability import import_committed

log = logging.getLogger(__name__)


def _load(import_id: int, user_id: int) -> tuple[Import, User]:
    return db.session.get(Import, import_id), db.session.get(User, user_id)


def _save_batch(current: Import) -> None:
    """Commit the batch and its progress; stop if someone cancelled meanwhile."""
    db.session.commit()
    cancelled = db.session.scalar(select(Import.cancel_requested).where(Import.id == current.id))
    if cancelled:
        raise service.ImportCancelled


def _fail(import_id: int, message) -> None:
    db.session.rollback()
    import_ = db.session.get(Import, import_id)
    import_.status = ImportStatus.FAILED
    import_.error = str(message)
    db.session.commit()


@job("imports.analyse")
def analyse_job(import_id: int, user_id: int) -> None:
    import_, user = _load(import_id, user_id)
    if import_ is None or import_.status != ImportStatus.ANALYSING:
        return
    try:
        service.analyse_import(user, import_, on_batch=_save_batch)
        db.session.commit()
    except service.ImportCancelled:
        db.session.rollback()
        import_ = db.session.get(Import, import_id)
        db.session.execute(delete(ImportRow).where(ImportRow.import_id == import_id))
        import_.status = ImportStatus.CANCELLED
        import_.progress_done = 0
        db.session.commit()
    except DomainError as error:
        _fail(import_id, error.message)
    except Exception:
        log.exception("Analysis of import %s failed", import_id)
        _fail(import_id, _l("The analysis stopped on an unexpected error; it was logged. Try again, "
                            "or send the file to the registry's administrators."))


@job("imports.commit")
def commit_job(import_id: int, user_id: int) -> None:
    import_, user = _load(import_id, user_id)
    if import_ is None or import_.status != ImportStatus.COMMITTING:
        return
    started = time.perf_counter()
    try:
        service.commit_import(user, import_, on_batch=_save_batch)
        db.session.commit()
        import_committed((import_.counts or {}).get("created", 0), time.perf_counter() - started)
    except service.ImportCancelled:
        # The batches written stay written (each is whole); committing again writes the rest.
        db.session.rollback()
        import_ = db.session.get(Import, import_id)
        import_.cancel_requested = False
        accepted, written = service.commit_progress(import_id)
        if written == accepted:
            # The stop came as the last batch ended: every record is written, so the import
            # is committed (a stopped import would ask to commit what is already there).
            service.commit_import(user, import_)
            db.session.commit()
            return
        import_.status = ImportStatus.FAILED
        import_.counts = {**(import_.counts or {}), "created": written}
        import_.error = str(_l("The commit was stopped as asked, after %(count)d records. Commit again to "
                               "write the rest, or cancel the import: the records written stay.", count=written))
        db.session.commit()
    except DomainError as error:
        _fail(import_id, error.message)
    except Exception:
        log.exception("Commit of import %s failed", import_id)
        # Batches already written stay written; committing again finishes the rest.
        _fail(import_id, _l("Writing the records stopped on an unexpected error; it was logged. "
                            "Commit again: rows already written will not be written twice."))


def start_analysis_job(actor: User, import_: Import) -> str:
    """Mark the import as analysing and run the analysis in the background."""
    service.start_analysis(actor, import_)
    import_.job_id = enqueue("imports.analyse", import_id=import_.id, user_id=actor.id)
    return import_.job_id


def start_commit_job(actor: User, import_: Import) -> str:
    """Check the import may be committed, and write its records in the background."""
    service.start_commit(actor, import_)
    import_.job_id = enqueue("imports.commit", import_id=import_.id, user_id=actor.id)
    return import_.job_id
