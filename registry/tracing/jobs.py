"""The tracing job the worker runs on its own: reminders of overdue requests, hourly."""

from registry.jobs import job
from registry.tracing.cli import remind_overdue_traces


@job("tracing.remind", every=60 * 60)
def remind() -> int:
    return remind_overdue_traces()
