"""Writing and checking the audit log. `record()` is the only way an event is written."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, update

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

    The acting user and address default to the request's; pass them from the CLI and jobs.
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
    head = _lock_chain_head()
    event = AuditEvent(
        sequence=head.sequence + 1,
        occurred_at=utcnow(),
        user_id=user.id if user is not None else None,
        agency_id=agency_id,
        remote_address=remote_address,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=_json_safe(details),
        previous_hash=head.last_hash,
    )
    event.hash = event_hash(event)
    head.sequence = event.sequence
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


def _lock_chain_head() -> AuditChainHead:
    session = db.session
    locked = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(sequence=AuditChainHead.sequence)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount == 0:
        session.add(AuditChainHead(id=1, sequence=0, last_hash=GENESIS_HASH))
        session.flush()
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).execution_options(populate_existing=True)
    ).scalar_one()
    return head


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
