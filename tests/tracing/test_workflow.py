"""The state machine alone: which side, which permission, which status leads where."""

from datetime import UTC, datetime, timedelta

import pytest

from registry.auth.roles import ROLE_PERMISSIONS, Permission, Role
from registry.errors import DomainError, NotAllowed
from registry.tracing.workflow import (
    Action,
    Side,
    Status,
    Urgency,
    available_moves,
    check_move,
    due_dates,
    is_overdue,
)


def role(name: str):
    return lambda permission: permission in ROLE_PERMISSIONS[Role(name)]


TRACING, SUPERVISOR, VIEWER = role("tracing_officer"), role("supervisor"), role("viewer")


def test_the_happy_path_goes_from_draft_to_closed():
    status = Status.DRAFT
    for action, side in ((Action.SEND, Side.REQUESTING), (Action.ACKNOWLEDGE, Side.REQUESTED),
                         (Action.ANSWER, Side.REQUESTED), (Action.ACCEPT, Side.REQUESTING)):
        status = check_move(action, status, side, TRACING)
    assert status == Status.CLOSED


def test_an_agency_that_requires_approval_sends_to_its_supervisor_first():
    status = check_move(Action.SEND, Status.DRAFT, Side.REQUESTING, TRACING, requires_approval=True)
    assert status == Status.AWAITING_APPROVAL
    with pytest.raises(NotAllowed):
        check_move(Action.APPROVE, status, Side.REQUESTING, TRACING)
    assert check_move(Action.APPROVE, status, Side.REQUESTING, SUPERVISOR) == Status.SENT
    with pytest.raises(DomainError, match="note"):
        check_move(Action.SEND_BACK, status, Side.REQUESTING, SUPERVISOR)
    assert check_move(Action.SEND_BACK, status, Side.REQUESTING, SUPERVISOR,
                      note="Add the legal basis") == Status.DRAFT


def test_information_requested_goes_back_to_the_requester_who_sends_again():
    status = check_move(Action.REQUEST_INFORMATION, Status.ACKNOWLEDGED, Side.REQUESTED, TRACING,
                        note="A photo of the markings, please")
    assert status == Status.INFO_REQUESTED
    with pytest.raises(NotAllowed, match="requesting agency"):
        check_move(Action.RESEND, status, Side.REQUESTED, TRACING)
    assert check_move(Action.RESEND, status, Side.REQUESTING, TRACING) == Status.ACKNOWLEDGED


def test_asking_for_information_needs_a_note():
    with pytest.raises(DomainError) as refused:
        check_move(Action.REQUEST_INFORMATION, Status.SENT, Side.REQUESTED, TRACING, note="  ")
    assert refused.value.field == "note"


@pytest.mark.parametrize("action", [Action.DECLINE, Action.RESTRICT])
def test_declining_or_restricting_needs_one_of_the_iti_reasons(action):
    with pytest.raises(DomainError) as refused:
        check_move(action, Status.ACKNOWLEDGED, Side.REQUESTED, TRACING)
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        check_move(action, Status.ACKNOWLEDGED, Side.REQUESTED, TRACING, reason="because")
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        check_move(action, Status.ACKNOWLEDGED, Side.REQUESTED, TRACING, reason="other")
    assert refused.value.field == "note"
    target = check_move(action, Status.ACKNOWLEDGED, Side.REQUESTED, TRACING,
                        reason="ongoing_investigation")
    assert target == (Status.DECLINED if action == Action.DECLINE else Status.RESTRICTED)


def test_a_restricted_request_may_still_be_answered():
    assert check_move(Action.ANSWER, Status.RESTRICTED, Side.REQUESTED, TRACING) == Status.ANSWERED


def test_the_requesting_side_cannot_answer_its_own_request():
    with pytest.raises(NotAllowed, match="requested agency"):
        check_move(Action.ANSWER, Status.ACKNOWLEDGED, Side.REQUESTING, TRACING)


def test_a_user_of_neither_agency_can_do_nothing():
    for action in Action:
        with pytest.raises(NotAllowed):
            check_move(action, Status.SENT, None, SUPERVISOR)


def test_a_viewer_cannot_send_or_answer():
    with pytest.raises(NotAllowed, match="role"):
        check_move(Action.SEND, Status.DRAFT, Side.REQUESTING, VIEWER)
    with pytest.raises(NotAllowed, match="role"):
        check_move(Action.ACKNOWLEDGE, Status.SENT, Side.REQUESTED, VIEWER)


@pytest.mark.parametrize("status,action", [
    (Status.DRAFT, Action.ANSWER), (Status.CLOSED, Action.WITHDRAW), (Status.WITHDRAWN, Action.SEND),
    (Status.ANSWERED, Action.ACKNOWLEDGE), (Status.DECLINED, Action.ANSWER), (Status.SENT, Action.ACCEPT),
])
def test_a_move_not_allowed_from_the_current_state_is_refused_with_the_state_named(status, action):
    side = Side.REQUESTED if action in (Action.ANSWER, Action.ACKNOWLEDGE) else Side.REQUESTING
    with pytest.raises(DomainError) as refused:
        check_move(action, status, side, SUPERVISOR)
    assert not isinstance(refused.value, NotAllowed)
    assert "cannot be moved" in str(refused.value)


def test_an_unknown_action_is_refused():
    with pytest.raises(DomainError):
        check_move("explode", Status.SENT, Side.REQUESTED, SUPERVISOR)


def test_the_buttons_follow_side_role_and_state():
    requester = [m.action for m in available_moves(Status.SENT, Side.REQUESTING, TRACING)]
    requested = [m.action for m in available_moves(Status.SENT, Side.REQUESTED, TRACING)]
    assert requester == [Action.WITHDRAW]
    assert set(requested) == {Action.ACKNOWLEDGE, Action.REQUEST_INFORMATION, Action.RESTRICT,
                              Action.ANSWER, Action.DECLINE}
    assert available_moves(Status.SENT, Side.REQUESTED, VIEWER) == []
    assert available_moves(Status.CLOSED, Side.REQUESTING, SUPERVISOR) == []
    assert [m.action for m in available_moves(Status.AWAITING_APPROVAL, Side.REQUESTING, SUPERVISOR)] == [
        Action.APPROVE, Action.SEND_BACK, Action.WITHDRAW]


def test_urgent_requests_are_due_sooner():
    sent = datetime(2026, 3, 1, tzinfo=UTC)
    assert due_dates(sent, 10, 30) == (sent + timedelta(days=10), sent + timedelta(days=30))
    assert due_dates(sent, 10, 30, Urgency.URGENT) == (sent + timedelta(days=2), sent + timedelta(days=10))


def test_overdue_only_while_the_requested_side_holds_the_request():
    sent = datetime(2026, 3, 1, tzinfo=UTC)
    acknowledge_due, answer_due = due_dates(sent, 10, 30)
    before, between, after = sent + timedelta(days=5), sent + timedelta(days=20), sent + timedelta(days=40)
    assert not is_overdue(Status.SENT, before, acknowledge_due, answer_due)
    assert is_overdue(Status.SENT, between, acknowledge_due, answer_due)
    assert not is_overdue(Status.ACKNOWLEDGED, between, acknowledge_due, answer_due)
    assert is_overdue(Status.ACKNOWLEDGED, after, acknowledge_due, answer_due)
    for status in (Status.INFO_REQUESTED, Status.ANSWERED, Status.CLOSED, Status.DRAFT):
        assert not is_overdue(status, after, acknowledge_due, answer_due)


def test_every_permission_named_by_a_move_exists_in_some_role():
    from registry.tracing.workflow import MOVES

    granted = set().union(*ROLE_PERMISSIONS.values())
    assert {move.permission for move in MOVES.values()} <= granted
    assert Permission.APPROVE in granted
