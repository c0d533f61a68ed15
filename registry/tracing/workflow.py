"""The trace request workflow (docs/trace-workflow.md), as pure data and functions.

draft -> sent -> acknowledged -> answered -> closed, with: awaiting approval (when the
requesting agency wants a supervisor to approve outgoing requests), information requested
(back to the requester, who completes and sends again), restricted or declined with a
stated reason (the ITI allows an answer to be delayed, restricted or refused only for
stated reasons) and withdrawn by the requester.

Nothing here touches the database: the service asks `check_move()` which status a move
leads to, and `available_moves()` which buttons a user may see.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed


class Status(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    INFO_REQUESTED = "info_requested"
    RESTRICTED = "restricted"
    ANSWERED = "answered"
    CLOSED = "closed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.AWAITING_APPROVAL: _l("Awaiting approval"),
    Status.SENT: _l("Sent"),
    Status.ACKNOWLEDGED: _l("Acknowledged"),
    Status.INFO_REQUESTED: _l("Information requested"),
    Status.RESTRICTED: _l("Restricted"),
    Status.ANSWERED: _l("Answered"),
    Status.CLOSED: _l("Closed"),
    Status.DECLINED: _l("Declined"),
    Status.WITHDRAWN: _l("Withdrawn"),
}

# A request in these states is finished: nothing is due any more.
FINAL_STATUSES = frozenset({Status.CLOSED, Status.DECLINED, Status.WITHDRAWN})
# The requested side holds the request and a due date runs.
AWAITING_ANSWER = frozenset({Status.SENT, Status.ACKNOWLEDGED})


class Side(enum.StrEnum):
    REQUESTING = "requesting"
    REQUESTED = "requested"


class Action(enum.StrEnum):
    SEND = "send"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_INFORMATION = "request_information"
    RESEND = "resend"
    RESTRICT = "restrict"
    ANSWER = "answer"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"

    @property
    def label(self):
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SEND: _l("Send"),
    Action.APPROVE: _l("Approve and send"),
    Action.SEND_BACK: _l("Send back to draft"),
    Action.ACKNOWLEDGE: _l("Acknowledge receipt"),
    Action.REQUEST_INFORMATION: _l("Ask for information"),
    Action.RESEND: _l("Send again with the information"),
    Action.RESTRICT: _l("Delay or restrict the answer"),
    Action.ANSWER: _l("Answer"),
    Action.DECLINE: _l("Decline"),
    Action.WITHDRAW: _l("Withdraw"),
    Action.ACCEPT: _l("Accept the answer"),
}


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"

    @property
    def label(self):
        return {Urgency.NORMAL: _l("Normal"), Urgency.URGENT: _l("Urgent")}[self]


class Outcome(enum.StrEnum):
    TRACED = "traced"
    PARTIALLY_TRACED = "partially_traced"
    NOT_FOUND = "not_found"
    NOT_TRACEABLE = "not_traceable"
    DECLINED = "declined"

    @property
    def label(self):
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.TRACED: _l("Traced"),
    Outcome.PARTIALLY_TRACED: _l("Partially traced"),
    Outcome.NOT_FOUND: _l("Not found in records"),
    Outcome.NOT_TRACEABLE: _l("Not traceable"),
    Outcome.DECLINED: _l("Declined"),
}
# An answer states one of these; "declined" is given by the decline move.
ANSWER_OUTCOMES = (Outcome.TRACED, Outcome.PARTIALLY_TRACED, Outcome.NOT_FOUND, Outcome.NOT_TRACEABLE)


class Reason(enum.StrEnum):
    """Why an answer is delayed, restricted or refused: the reasons the ITI admits."""

    ONGOING_INVESTIGATION = "ongoing_investigation"
    CONFIDENTIALITY_LAW = "confidentiality_law"
    REQUESTER_CONFIDENTIALITY = "requester_confidentiality"
    OTHER = "other"

    @property
    def label(self):
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.ONGOING_INVESTIGATION: _l("Ongoing investigation"),
    Reason.CONFIDENTIALITY_LAW: _l("Confidentiality required by national law"),
    Reason.REQUESTER_CONFIDENTIALITY: _l("The requesting state cannot guarantee confidentiality"),
    Reason.OTHER: _l("Other reason (explained in the note)"),
}


@dataclass(frozen=True)
class Move:
    action: Action
    side: Side
    permission: Permission
    sources: frozenset
    target: Status
    needs_note: bool = False    # a free text is mandatory (what information, why sent back)
    needs_reason: bool = False  # one of the ITI reasons is mandatory


def _move(action, side, permission, sources, target, **flags) -> tuple[Action, Move]:
    return action, Move(action, side, permission, frozenset(sources), target, **flags)


_OPEN_FOR_ANSWER = (Status.SENT, Status.ACKNOWLEDGED, Status.RESTRICTED)

MOVES: dict[Action, Move] = dict([
    # SEND goes to AWAITING_APPROVAL instead when the requesting agency requires approval.
    _move(Action.SEND, Side.REQUESTING, Permission.SEND_TRACES, [Status.DRAFT], Status.SENT),
    _move(Action.APPROVE, Side.REQUESTING, Permission.APPROVE, [Status.AWAITING_APPROVAL], Status.SENT),
    _move(Action.SEND_BACK, Side.REQUESTING, Permission.APPROVE, [Status.AWAITING_APPROVAL],
          Status.DRAFT, needs_note=True),
    _move(Action.ACKNOWLEDGE, Side.REQUESTED, Permission.ANSWER_TRACES, [Status.SENT],
          Status.ACKNOWLEDGED),
    _move(Action.REQUEST_INFORMATION, Side.REQUESTED, Permission.ANSWER_TRACES, _OPEN_FOR_ANSWER,
          Status.INFO_REQUESTED, needs_note=True),
    _move(Action.RESEND, Side.REQUESTING, Permission.SEND_TRACES, [Status.INFO_REQUESTED],
          Status.ACKNOWLEDGED),
    _move(Action.RESTRICT, Side.REQUESTED, Permission.ANSWER_TRACES, [Status.SENT, Status.ACKNOWLEDGED],
          Status.RESTRICTED, needs_reason=True),
    _move(Action.ANSWER, Side.REQUESTED, Permission.ANSWER_TRACES, _OPEN_FOR_ANSWER, Status.ANSWERED),
    _move(Action.DECLINE, Side.REQUESTED, Permission.ANSWER_TRACES,
          _OPEN_FOR_ANSWER + (Status.INFO_REQUESTED,), Status.DECLINED, needs_reason=True),
    _move(Action.WITHDRAW, Side.REQUESTING, Permission.SEND_TRACES,
          [Status.DRAFT, Status.AWAITING_APPROVAL, Status.SENT, Status.ACKNOWLEDGED,
           Status.INFO_REQUESTED, Status.RESTRICTED], Status.WITHDRAWN),
    _move(Action.ACCEPT, Side.REQUESTING, Permission.SEND_TRACES, [Status.ANSWERED], Status.CLOSED),
])


def target_status(action: Action, status: Status, requires_approval: bool = False) -> Status:
    """Where `action` leads from `status`, or DomainError when the move is not allowed there."""
    move = MOVES[Action(action)]
    if Status(status) not in move.sources:
        raise DomainError(_l("A request that is “%(status)s” cannot be moved this way (%(action)s).",
                             status=Status(status).label, action=move.action.label))
    if move.action == Action.SEND and requires_approval:
        return Status.AWAITING_APPROVAL
    return move.target


def check_move(action: Action, status: Status, side: Side | None, can, *,
               requires_approval: bool = False, note: str = "", reason: str | None = None) -> Status:
    """The status `action` leads to for this user, or the reason it is refused.

    `side` is the user's side of the request (None: neither agency); `can(permission)`
    tells whether the user holds a permission.
    """
    move = MOVES.get(_action_or_none(action))
    if move is None:
        raise DomainError(_l("Unknown action on a trace request."))
    if side != move.side:
        if move.side == Side.REQUESTING:
            raise NotAllowed(_l("Only the requesting agency may do this."))
        raise NotAllowed(_l("Only the requested agency may do this."))
    if not can(move.permission):
        raise NotAllowed(_l("Your role does not allow this action on a trace request."))
    target = target_status(move.action, status, requires_approval)
    if move.needs_reason:
        if reason not in {item.value for item in Reason}:
            raise DomainError(_l("Choose the reason, as the International Tracing Instrument asks."),
                              field="reason")
        if reason == Reason.OTHER and not (note or "").strip():
            raise DomainError(_l("Explain the reason in the note."), field="note")
    if move.needs_note and not (note or "").strip():
        raise DomainError(_l("Write a note: it tells the other side what is needed."), field="note")
    return target


def _action_or_none(value) -> Action | None:
    try:
        return Action(value)
    except ValueError:
        return None


def available_moves(status: Status, side: Side | None, can, requires_approval: bool = False) -> list[Move]:
    """The moves this user may make now, in the order buttons are shown."""
    moves = []
    for move in MOVES.values():
        if move.side == side and can(move.permission) and Status(status) in move.sources:
            moves.append(move)
    return moves


# --- Deadlines ------------------------------------------------------------------------

# An urgent request: acknowledgement within this many days, answer within a third of the time.
URGENT_ACKNOWLEDGE_DAYS = 2
URGENT_ANSWER_DIVISOR = 3


def due_dates(sent_at: datetime, acknowledge_days: int, answer_days: int,
              urgency: Urgency = Urgency.NORMAL) -> tuple[datetime, datetime]:
    """Acknowledgement and answer due moments of a request sent at `sent_at`."""
    if urgency == Urgency.URGENT:
        acknowledge_days = min(acknowledge_days, URGENT_ACKNOWLEDGE_DAYS)
        answer_days = max(1, answer_days // URGENT_ANSWER_DIVISOR)
    return sent_at + timedelta(days=acknowledge_days), sent_at + timedelta(days=answer_days)


def is_overdue(status: Status, now: datetime, acknowledge_due: datetime | None,
               answer_due: datetime | None) -> bool:
    """Not acknowledged or not answered by its due date, while the requested side holds it."""
    status = Status(status)
    if status == Status.SENT and acknowledge_due is not None and now > acknowledge_due:
        return True
    return status in AWAITING_ANSWER and answer_due is not None and now > answer_due
