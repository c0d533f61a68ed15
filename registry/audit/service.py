"""Writing and checking the audit log. `record()` is the only way an event is written.

Events wait in their session until its transaction commits; then, under the lock of the
chain's head row, each gets the next sequence number and the hash of the one before. So
the head is locked for the few milliseconds of the commit, not for the whole request:
audited pages of every process no longer queue behind each other's rendering."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from registry.audit.models import AuditChainHead, AuditEvent
from registry.extensions import db, utcnow

GENESIS_HASH = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    moment: datetime = event.occurred_at
    payload = {
        "sequence": event.sequence,
        "occurred_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "user_id": event.user_id,
        "agency_id": event.agency_id,
        "remote_address": event.remote_address,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "details": event.details,
        "previous_hash": event.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _json_safe(details: dict | None) -> dict:
    # Round-trip through JSON so what is hashed is exactly what the database gives back.
    return json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))


WAITING = "audit_events_waiting"  # session.info key: events recorded, not chained yet


def record(
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    details: dict | None = None,
    *,
    user=None,
    agency_id: int | None = None,
    remote_address: str | None = None,
) -> AuditEvent:
    """Write one audit event in the current transaction, chained to the one before.

    The event is chained, and written, when the transaction commits (or when the audit log
    is read in it): the chain's head is locked for that moment only, not from the event to
    the end of the request. A rolled-back transaction or savepoint leaves no event. The
    acting user and address default to the request's; pass them from the CLI and jobs.
    An event written during a call of the JSON API says so in its details (`"via": "api"`).
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    if remote_address is None and has_request_context():
        remote_address = request.remote_addr
    if agency_id is None and user is not None:
        agency_id = user.agency_id
    if has_request_context() and request.path.startswith("/api/"):
        # What a call of the JSON API did reads as what the page did, and says it came so.
        details = {**(details or {}), "via": "api"}
    event = AuditEvent(
        occurred_at=utcnow(),
        user_id=user.id if user is not None else None,
        agency_id=agency_id,
        remote_address=remote_address,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=_json_safe(details),
    )
    session = db.session()
    session.info.setdefault(WAITING, []).append((event, _open_transactions(session)))
    return event


def _open_transactions(session: Session) -> tuple:
    """The transaction and savepoints the event was recorded in, innermost first."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    chain = []
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    return tuple(chain)


def _chain_waiting_events(session: Session) -> None:
    """Give each waiting event its place in the chain, under the head's lock, and write them:
    three statements (lock and read the head, insert the events, move the head) before the
    commit lets the next writer in."""
    waiting = session.info.pop(WAITING, None)
    if not waiting:
        return
    sequence, last_hash = _lock_chain_head(session)
    for event, _ in waiting:
        event.sequence, event.previous_hash = sequence + 1, last_hash
        event.hash = event_hash(event)
        sequence, last_hash = event.sequence, event.hash
        session.add(event)
    session.flush()
    head = AuditChainHead.__table__
    session.execute(update(head).where(head.c.id == 1).values(sequence=sequence, last_hash=last_hash))
    cached = session.identity_map.get(session.identity_key(AuditChainHead, 1))
    if cached is not None:
        session.expire(cached)


@sa_event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    if not session.info.get(WAITING) or session.get_nested_transaction() is not None:
        return  # nothing waits, or a savepoint is released: the transaction goes on
    # The rest of the transaction is written first, so the head stays locked only while
    # the events themselves are written and committed.
    session.flush()
    _chain_waiting_events(session)


@sa_event.listens_for(Session, "do_orm_execute")
def _chain_before_reading_the_log(state) -> None:
    # A transaction that reads the audit log sees its own events in it.
    if state.session.info.get(WAITING) and state.is_select and _reads_the_log(state):
        _chain_waiting_events(state.session)


def _reads_the_log(state) -> bool:
    """Whether a SELECT reads the log or its head: an entity or column of theirs, or a
    select_from() of them. Looked at on every query of a transaction with waiting events,
    so only by what the statement names, never by compiling it."""
    if any(mapper.class_ in (AuditEvent, AuditChainHead) for mapper in state.all_mappers):
        return True
    explicit = getattr(state.statement, "_from_obj", ())  # the select_from() of a count
    return any(getattr(getattr(item, "element", item), "name", None) in _LOG_TABLES for item in explicit)


_LOG_TABLES = {AuditEvent.__tablename__, AuditChainHead.__tablename__}


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_events(session: Session, previous_transaction) -> None:
    waiting = session.info.get(WAITING)
    if waiting:
        session.info[WAITING] = [(event, opened) for event, opened in waiting
                                 if previous_transaction not in opened]


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_events_of_an_ended_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WAITING, None)


def _lock_chain_head(session: Session) -> tuple[int, str]:
    """The head's sequence and hash, its row locked until the transaction ends (a row lock
    on PostgreSQL, the write lock on SQLite); made on the first event ever."""
    head = AuditChainHead.__table__
    row = session.execute(
        update(head).where(head.c.id == 1).values(sequence=head.c.sequence)
        .returning(head.c.sequence, head.c.last_hash)
    ).first()
    if row is None:
        session.execute(insert(head).values(id=1, sequence=0, last_hash=GENESIS_HASH))
        return 0, GENESIS_HASH
    return row.sequence, row.last_hash


@dataclass
class ChainReport:
    checked: int
    broken_sequence: int | None = None
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; name the first event whose content or link is wrong."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    last_sequence = 0
    while True:
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.sequence > last_sequence)
            .order_by(AuditEvent.sequence)
            .limit(batch_size)
            .execution_options(populate_existing=True)  # what is stored, not what is cached
        ).all()
        if not events:
            break
        for event in events:
            if event.sequence != expected_sequence:
                return ChainReport(
                    checked, expected_sequence, None, f"event {expected_sequence} is missing"
                )
            if event.previous_hash != previous_hash:
                return ChainReport(checked, event.sequence, event.id, "link to previous event broken")
            if event_hash(event) != event.hash:
                return ChainReport(checked, event.sequence, event.id, "content altered")
            previous_hash = event.hash
            expected_sequence += 1
            checked += 1
            last_sequence = event.sequence
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and head.sequence != last_sequence:
        return ChainReport(
            checked, last_sequence + 1, None, "events after the last one found were deleted"
        )
    return ChainReport(checked)
