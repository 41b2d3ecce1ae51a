"""The complaint state machine, applied through ``complaint_transition`` and the reply services."""

from typing import Any

import pytest

from complaints.models import Complaint, ComplaintEvent, Status
from complaints.services import complaint_customer_reply, complaint_reply, complaint_transition
from complaints.transitions import TRANSITIONS, Action
from config.exceptions import ApplicationError, PermissionRefused, TransitionNotAllowed
from notifications.models import Letter
from tests.factories import closing_answers, submit_complaint

# How each status is reached from "new", the way staff and customers get a complaint there.
_WALKS: dict[str, list[str]] = {
    Status.NEW: [],
    Status.IN_PROGRESS: [Action.START],
    Status.AWAITING_CUSTOMER: [Action.START, Action.REQUEST_INFO],
    Status.RESOLVED: [Action.START, Action.RESOLVE],
    Status.CLOSED: [Action.START, Action.RESOLVE, Action.CLOSE],
    Status.REJECTED: [Action.REJECT],
}


def complaint_in_status(status: str, *, actor: Any, **overrides: Any) -> Complaint:
    """A submitted complaint walked to ``status`` through the services."""
    complaint = submit_complaint(**overrides)
    for action in _WALKS[status]:
        complaint = complaint_transition(
            complaint=complaint,
            action=action,
            actor=actor,
            comment=f"Walking there: {action}.",
            **closing_answers(action),
        )
    assert complaint.status == status
    return complaint


def _snapshot(complaint: Complaint) -> tuple[Any, ...]:
    complaint.refresh_from_db()
    return (
        complaint.status,
        complaint.resolved_at,
        complaint.closed_at,
        complaint.first_responded_at,
        complaint.updated_at,
        complaint.events.count(),
        complaint.letters.count(),
    )


# A merge needs the complaint to merge into: ``complaint_merge`` applies it (tests/complaints/test_merge.py), and
# ``complaint_transition`` refuses it whatever the status (below).
LEGAL = [
    (action, source) for action, t in TRANSITIONS.items() if action != Action.MERGE for source in sorted(t.sources)
]
ILLEGAL = [
    (action, status)
    for action in Action.values
    if action != Action.MERGE
    for status in Status.values
    if status not in TRANSITIONS[action].sources
]


def test_the_table_has_both_legal_and_illegal_pairs() -> None:
    # Guards the parametrisation below against silently collapsing to nothing.
    assert len(LEGAL) == 12
    assert len(LEGAL) + len(ILLEGAL) == (len(Action.values) - 1) * len(Status.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "source"), LEGAL)
def test_every_legal_transition_applies_and_is_recorded(action: str, source: str, agent_bob: Any) -> None:
    transition = TRANSITIONS[action]
    complaint = complaint_in_status(source, actor=agent_bob)
    letters_before = set(complaint.letters.values_list("pk", flat=True))
    actor = None if action == Action.CUSTOMER_REPLIED else agent_bob

    updated = complaint_transition(
        complaint=complaint, action=action, actor=actor, comment="We looked at it carefully.", **closing_answers(action)
    )

    assert updated.status == transition.target
    updated.refresh_from_db()
    assert updated.status == transition.target
    event = updated.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).latest("id")
    assert (event.from_status, event.to_status) == (source, transition.target)
    assert event.author == actor
    assert event.is_public
    assert event.body == "We looked at it carefully."
    assert event.by_customer is (action == Action.CUSTOMER_REPLIED)
    new_letters = list(updated.letters.exclude(pk__in=letters_before))
    assert [letter.kind for letter in new_letters] == ([transition.letter] if transition.letter else [])
    for letter in new_letters:
        assert letter.status == "queued"
        assert letter.recipient == "alice@example.com"
        assert "We looked at it carefully." in letter.body_text


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(action: str, status: str, agent_bob: Any) -> None:
    complaint = complaint_in_status(status, actor=agent_bob)
    before = _snapshot(complaint)

    with pytest.raises(TransitionNotAllowed) as excinfo:
        complaint_transition(complaint=complaint, action=action, actor=agent_bob, comment="A reason.")

    assert excinfo.value.extra == {"status": status, "action": action}
    assert _snapshot(complaint) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.REJECT, Action.REQUEST_INFO])
@pytest.mark.parametrize("comment", ["", "   \n "])
def test_reject_and_request_info_need_a_message_for_the_customer(action: str, comment: str, agent_bob: Any) -> None:
    complaint = complaint_in_status(Status.IN_PROGRESS, actor=agent_bob)
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=action, actor=agent_bob, comment=comment)

    assert not isinstance(excinfo.value, TransitionNotAllowed)
    assert excinfo.value.extra == {"field": "comment"}
    assert _snapshot(complaint) == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_a_merge_is_refused_without_the_complaint_to_merge_into(status: str, agent_bob: Any) -> None:
    complaint = complaint_in_status(status, actor=agent_bob)
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action=Action.MERGE, actor=agent_bob, comment="Same kettle.")

    assert not isinstance(excinfo.value, TransitionNotAllowed)
    assert str(excinfo.value.message) == "Use merge: it needs the complaint to merge into."
    assert _snapshot(complaint) == before


@pytest.mark.django_db
def test_an_unknown_action_is_an_application_error(agent_bob: Any) -> None:
    complaint = submit_complaint()
    before = _snapshot(complaint)

    with pytest.raises(ApplicationError) as excinfo:
        complaint_transition(complaint=complaint, action="teleport", actor=agent_bob)

    assert not isinstance(excinfo.value, TransitionNotAllowed)
    assert "teleport" in str(excinfo.value.message)
    assert _snapshot(complaint) == before


@pytest.mark.django_db
def test_a_customer_reply_to_our_question_puts_the_complaint_back_in_work(agent_bob: Any) -> None:
    complaint = complaint_in_status(Status.AWAITING_CUSTOMER, actor=agent_bob)

    message = complaint_customer_reply(complaint=complaint, body="The serial number is 12345.")

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    change = complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).latest("id")
    assert (change.from_status, change.to_status) == (Status.AWAITING_CUSTOMER, Status.IN_PROGRESS)
    assert change.by_customer
    assert change.author is None
    assert message.kind == ComplaintEvent.Kind.CUSTOMER_MESSAGE
    assert message.is_public


@pytest.mark.django_db
def test_a_customer_message_on_a_complaint_in_work_does_not_change_its_status(agent_bob: Any) -> None:
    complaint = complaint_in_status(Status.IN_PROGRESS, actor=agent_bob)

    complaint_customer_reply(complaint=complaint, body="Any news?")

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db
def test_a_staff_reply_on_a_new_complaint_starts_it_and_counts_as_first_response(agent_bob: Any) -> None:
    complaint = submit_complaint()
    assert complaint.first_responded_at is None

    reply = complaint_reply(complaint=complaint, author=agent_bob, body="We are sorry; a new kettle is on its way.")

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.first_responded_at == reply.created_at
    change = complaint.events.get(kind=ComplaintEvent.Kind.STATUS_CHANGED)
    assert (change.from_status, change.to_status, change.author) == (Status.NEW, Status.IN_PROGRESS, agent_bob)
    reply_letter = complaint.letters.get(kind="reply")
    assert "a new kettle is on its way" in reply_letter.body_text


@pytest.mark.django_db
def test_the_first_response_time_is_kept_by_later_replies(agent_bob: Any) -> None:
    complaint = submit_complaint()
    first = complaint_reply(complaint=complaint, author=agent_bob, body="First answer.")
    complaint_reply(complaint=complaint, author=agent_bob, body="Second answer.")

    complaint.refresh_from_db()
    assert complaint.first_responded_at == first.created_at


@pytest.mark.django_db
def test_resolving_closing_and_reopening_set_and_clear_the_timestamps(agent_bob: Any) -> None:
    complaint = complaint_in_status(Status.IN_PROGRESS, actor=agent_bob)
    assert (complaint.resolved_at, complaint.closed_at) == (None, None)

    complaint = complaint_transition(
        complaint=complaint, action=Action.RESOLVE, actor=agent_bob, comment="Refunded.", **closing_answers("resolve")
    )
    resolved = complaint.events.latest("id")
    assert complaint.resolved_at == resolved.created_at
    assert complaint.closed_at is None
    # The resolution letter is the first thing the customer heard from us.
    assert complaint.first_responded_at == resolved.created_at

    complaint = complaint_transition(
        complaint=complaint, action=Action.CLOSE, actor=agent_bob, **closing_answers("close")
    )
    closed = complaint.events.latest("id")
    assert complaint.closed_at == closed.created_at
    assert complaint.resolved_at == resolved.created_at

    complaint = complaint_transition(complaint=complaint, action=Action.REOPEN, actor=agent_bob)
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert (complaint.resolved_at, complaint.closed_at) == (None, None)
    assert complaint.first_responded_at == resolved.created_at


@pytest.mark.django_db
def test_declining_sets_closed_at(agent_bob: Any) -> None:
    complaint = submit_complaint()

    complaint = complaint_transition(
        complaint=complaint,
        action=Action.REJECT,
        actor=agent_bob,
        comment="Outside the warranty.",
        **closing_answers("reject"),
    )

    complaint.refresh_from_db()
    assert complaint.status == Status.REJECTED
    assert complaint.closed_at is not None
    assert complaint.resolved_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.START, Action.REJECT])
def test_an_outsider_cannot_change_a_complaint(action: str, outsider_dave: Any) -> None:
    complaint = submit_complaint()
    before = _snapshot(complaint)

    with pytest.raises(PermissionRefused):
        complaint_transition(complaint=complaint, action=action, actor=outsider_dave, comment="Because.")

    assert _snapshot(complaint) == before


@pytest.mark.django_db
def test_a_manager_can_change_a_complaint(manager_carol: Any) -> None:
    complaint = submit_complaint()

    complaint = complaint_transition(complaint=complaint, action=Action.START, actor=manager_carol)

    assert complaint.status == Status.IN_PROGRESS
    assert Letter.objects.filter(complaint=complaint).count() == 1  # the acknowledgement only
