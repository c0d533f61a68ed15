"""The home dashboard: what a user's state recorded this month and this year, the hits
and trace requests waiting, the imports to review and the latest records. Each figure
comes with the filters of the list it counts, so the page links every number to that list.

A fixed number of queries whatever the size of the registry.
"""

from datetime import date

from sqlalchemy import func, or_, select

from registry.auth.roles import Permission
from registry.auth.scoping import STATISTICS, scoped, visible
from registry.extensions import db, utcnow
from registry.weapons.models import Hit, HitStatus, Weapon, WeaponStatus

LATEST = 8
TRACE_WAITING = ("sent", "acknowledged", "restricted", "info_requested", "answered")


def _month_start(today: date) -> date:
    return today.replace(day=1)


def _records_by_status(user, today: date) -> dict:
    """The state's records whose event falls in this month and in this year, by status,
    in one scan of the index of state, event date and status: the weapon list filtered by
    country, status and event dates shows the same records (the state's own, not deleted)."""
    year_start, month_start = today.replace(month=1, day=1), _month_start(today)
    in_month = (Weapon.event_date >= month_start).label("in_month")
    rows = db.session.execute(
        scoped(user, select(Weapon), Weapon, STATISTICS)
        .where(Weapon.country_code == user.country_code, Weapon.event_date >= year_start,
               Weapon.event_date <= today)
        .with_only_columns(Weapon.status, in_month, func.count(Weapon.id))
        .group_by(Weapon.status, in_month).order_by(None))
    counts = {"month": {}, "year": {}}
    for status, is_in_month, count in rows:
        key = getattr(status, "value", status)
        for period in ("month", "year") if is_in_month else ("year",):
            counts[period][key] = counts[period].get(key, 0) + count
    return {period: {"date_from": since.isoformat(), "date_to": today.isoformat(),
                     "total": sum(counts[period].values()),
                     "by_status": [{"status": status.value, "count": counts[period].get(status.value, 0)}
                                   for status in WeaponStatus]}
            for period, since in (("month", month_start), ("year", year_start))}


def _hits(user) -> dict:
    """New hits on each side for the user's agency: the hits list filtered by the same
    side (registry.weapons.hits.hit_side_condition) shows the same hits."""
    from registry.weapons.hits import hit_side_condition

    searcher = hit_side_condition(user, "searcher").label("searcher")
    rows = db.session.execute(
        visible(user, Hit).where(Hit.status == HitStatus.NEW)
        .with_only_columns(searcher, func.count(Hit.id)).group_by(searcher).order_by(None))
    by_side = {bool(is_searcher): count for is_searcher, count in rows}
    # Our search or record matched another state's wanted record: ours to confirm. Another
    # state's matched our wanted record: ours to answer.
    return {"to_confirm": by_side.get(True, 0), "to_answer": by_side.get(False, 0),
            "total": sum(by_side.values())}


def _traces(user) -> dict:
    from registry.tracing.models import TraceRequest
    from registry.tracing.service import overdue_condition

    now = utcnow()
    mine = or_(TraceRequest.requested_agency_id == user.agency_id,
               TraceRequest.requesting_agency_id == user.agency_id)
    # Grouped by their labels: PostgreSQL takes an expression with parameters in GROUP BY
    # as another expression than the same one in SELECT.
    received = (TraceRequest.requested_agency_id == user.agency_id).label("received")
    overdue_now = overdue_condition(now).label("overdue")
    rows = db.session.execute(
        visible(user, TraceRequest).where(mine, TraceRequest.status.in_(list(TRACE_WAITING)))
        .with_only_columns(received, TraceRequest.status, overdue_now, func.count(TraceRequest.id))
        .group_by(received, TraceRequest.status, overdue_now).order_by(None))
    boxes = {"inbox": {}, "outbox": {}}
    overdue = {"inbox": 0, "outbox": 0}
    for is_received, status, is_overdue, count in rows:
        box = "inbox" if is_received else "outbox"
        key = getattr(status, "value", status)
        boxes[box][key] = boxes[box].get(key, 0) + count
        if is_overdue:
            overdue[box] += count
    # What waits for the requested side (to answer) and for the requester (to act on).
    waiting = {"inbox": ("sent", "acknowledged", "restricted"), "outbox": ("sent", "acknowledged", "restricted",
                                                                           "info_requested", "answered")}
    return {box: {"by_status": [{"status": status, "count": boxes[box].get(status, 0)} for status in waiting[box]],
                  "overdue": overdue[box]} for box in boxes}


def _imports(user) -> dict | None:
    if not (user.can(Permission.IMPORT_RECORDS) or user.can(Permission.APPROVE)):
        return None
    from registry.imports.models import Import, ImportStatus

    rows = db.session.execute(
        visible(user, Import).where(Import.status.in_([ImportStatus.REVIEW, ImportStatus.APPROVED]))
        .with_only_columns(Import.status, func.count(Import.id)).group_by(Import.status).order_by(None))
    counts = {getattr(status, "value", status): count for status, count in rows}
    return {"review": counts.get("review", 0), "approved": counts.get("approved", 0)}


def dashboard(user, today: date | None = None) -> dict:
    """The figures of the home page for `user` (plain values)."""
    if not user.can(Permission.READ_RECORDS):
        return {"records": None}
    today = today or utcnow().date()
    latest = db.session.execute(
        visible(user, Weapon).where(Weapon.country_code == user.country_code)
        .with_only_columns(Weapon.id, Weapon.reference, Weapon.status, Weapon.raw_make, Weapon.raw_model,
                           Weapon.event_date, Weapon.created_at)
        .order_by(Weapon.created_at.desc(), Weapon.id.desc()).limit(LATEST)).all()
    return {
        "records": _records_by_status(user, today),
        "hits": _hits(user),
        "traces": _traces(user),
        "imports": _imports(user),
        "latest": [{"id": row.id, "reference": row.reference, "status": getattr(row.status, "value", row.status),
                    "make": row.raw_make, "model": row.raw_model, "event_date": row.event_date,
                    "created_at": row.created_at} for row in latest],
    }
