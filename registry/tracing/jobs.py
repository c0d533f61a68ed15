"""The tracing job the worker runs on its own: reminders of overdue requests, hourly."""

from registry.extensions import db
from registry.jobs import job


@job("tracing.remind", every=60 * 60)
def remind_overdue_traces() -> int:
    """The reminder run, for the job worker and `flask tracing remind`: commits its work."""
    from registry.tracing.service import remind_overdue

    try:
        count = remind_overdue()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count
