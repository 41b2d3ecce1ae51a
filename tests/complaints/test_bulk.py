"""The queue's bulk bar: one operation on many ticked rows, each through the single-complaint service."""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.models import Complaint, ComplaintEvent, Priority, Status
from complaints.permissions import can_handle_complaints
from complaints.services import (
    BULK_MAX_COMPLAINTS,
    complaint_assign,
    complaint_bulk_apply,
    complaint_change_priority,
    complaint_transition,
)
from complaints.transitions import Action
from config.exceptions import ApplicationError
from tests.factories import agent, closing_answers, submit_complaint

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

QUEUE = "/dashboard/"
BULK = "/dashboard/bulk/"
# What the bulk bar sends to resolve (closing the loop), as the form posts it.
RESOLVED_AS = closing_answers("resolve")


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


def _complaints(count: int, prefix: str = "c") -> list[Complaint]:
    return [submit_complaint(email=f"{prefix}{i}@example.com") for i in range(count)]


def _in_progress(count: int, actor: Any, prefix: str = "p") -> list[Complaint]:
    complaints = _complaints(count, prefix)
    for complaint in complaints:
        complaint_transition(complaint=complaint, action=Action.START, actor=actor)
    return complaints


def _post(client: Client, complaints: list[Complaint] | list[str], **fields: Any) -> "_MonkeyPatchedWSGIResponse":
    references = [c if isinstance(c, str) else c.reference for c in complaints]
    return client.post(BULK, {"selected": references, "next": "/dashboard/?tab=all", **fields})


def _message(response: "_MonkeyPatchedWSGIResponse") -> tuple[str, str]:
    """The message this response added (earlier ones, never shown, are still queued before it)."""
    message = list(get_messages(response.wsgi_request))[-1]
    return message.level_tag, message.message


def _fresh(complaints: list[Complaint]) -> list[Complaint]:
    return [Complaint.objects.get(pk=c.pk) for c in complaints]


# --- assignment -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign_many_to_me(bob_client: Client, agent_bob: Any) -> None:
    complaints = _complaints(3)

    response = _post(bob_client, complaints, operation="assign_to_me")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?tab=all"
    assert [c.assignee_id for c in _fresh(complaints)] == [agent_bob.pk] * 3
    refs = ", ".join(c.reference for c in complaints)
    assert _message(response) == ("success", f"Done for 3 complaints: {refs}")
    assert ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.ASSIGNED, author=agent_bob).count() == 3


@pytest.mark.django_db
def test_assign_to_a_chosen_agent_then_unassign(bob_client: Client, agent_bob: Any) -> None:
    eve = agent("eve")
    complaints = _complaints(2)

    _post(bob_client, complaints, operation="assign", assignee=str(eve.pk))
    assert [c.assignee_id for c in _fresh(complaints)] == [eve.pk, eve.pk]

    response = _post(bob_client, complaints, operation="unassign")
    assert [c.assignee_id for c in _fresh(complaints)] == [None, None]
    assert _message(response)[0] == "success"
    events = ComplaintEvent.objects.filter(complaint=complaints[0], kind=ComplaintEvent.Kind.ASSIGNED)
    assert [(e.data["from"], e.data["to"]) for e in events] == [("", "eve"), ("eve", "")]


@pytest.mark.django_db
def test_assigning_without_choosing_an_agent_changes_nothing(bob_client: Client) -> None:
    complaints = _complaints(2)

    response = _post(bob_client, complaints, operation="assign")

    assert _message(response) == ("error", "Choose whom to assign the complaints to.")
    assert [c.assignee_id for c in _fresh(complaints)] == [None, None]


# --- priority ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_priority_change_records_the_reason_on_each_timeline(bob_client: Client, agent_bob: Any) -> None:
    complaints = _complaints(2)

    response = _post(bob_client, complaints, operation="priority", priority="urgent", comment="Press coverage.")

    assert _message(response)[0] == "success"
    for complaint in _fresh(complaints):
        assert complaint.priority == Priority.URGENT
        [note] = ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED)
        assert (note.body, note.author_id, note.is_public) == ("Press coverage.", agent_bob.pk, False)
        due = note.data.pop("due")  # the due times the new priority led to
        assert note.data == {"field": "priority", "from": "normal", "to": "urgent"}
        assert due["first_response_due"] == (complaint.first_response_due and complaint.first_response_due.isoformat())
        page = bob_client.get(f"/dashboard/complaints/{complaint.reference}/").content.decode()
        assert "Press coverage." in page


@pytest.mark.django_db
def test_priority_change_without_a_reason_is_refused_for_each_row(bob_client: Client) -> None:
    complaints = _complaints(2)

    response = _post(bob_client, complaints, operation="priority", priority="low", comment="  ")

    level, text = _message(response)
    assert level == "error"
    assert text.startswith("Refused for 2 complaints: ")
    assert "Please give a reason for the new priority." in text
    assert [c.priority for c in _fresh(complaints)] == [Priority.NORMAL, Priority.NORMAL]


@pytest.mark.django_db
def test_setting_the_same_priority_again_records_nothing(agent_bob: Any) -> None:
    complaint = submit_complaint()

    complaint_change_priority(complaint=complaint, actor=agent_bob, priority=Priority.NORMAL, reason="Same.")

    assert not ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED).exists()


# --- transitions ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_resolve_reports_done_and_refused_rows(bob_client: Client, agent_bob: Any) -> None:
    new = _complaints(2, "new")
    working = _in_progress(2, agent_bob)

    response = _post(
        bob_client, [new[0], working[0], new[1], working[1]], operation="transition", action="resolve", **RESOLVED_AS
    )

    assert [c.status for c in _fresh(working)] == [Status.RESOLVED, Status.RESOLVED]
    assert [c.status for c in _fresh(new)] == [Status.NEW, Status.NEW]
    level, text = _message(response)
    assert level == "warning"
    assert text == (
        f"Done for 2 complaints: {working[0].reference}, {working[1].reference}; "
        f"refused for 2 complaints: {new[0].reference}, {new[1].reference}: "
        "A complaint that is “New” cannot be changed with “Resolve”."
    )
    # The service's own timeline event and letter, as if resolved one by one.
    for complaint in working:
        assert complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED, to_status=Status.RESOLVED).exists()
        assert complaint.letters.filter(kind="resolution").exists()


@pytest.mark.django_db
def test_reject_without_a_comment_is_refused_for_all(bob_client: Client, agent_bob: Any) -> None:
    working = _in_progress(3, agent_bob)

    response = _post(bob_client, working, operation="transition", action="reject", comment="", root_cause="no_fault")

    assert [c.status for c in _fresh(working)] == [Status.IN_PROGRESS] * 3
    level, text = _message(response)
    assert level == "error"
    refs = ", ".join(c.reference for c in working)
    assert text == f"Refused for 3 complaints: {refs}: Please write the customer a message explaining this step."


@pytest.mark.django_db
def test_reject_with_a_comment_reaches_every_customer(bob_client: Client, agent_bob: Any) -> None:
    working = _in_progress(2, agent_bob)

    _post(
        bob_client, working, operation="transition", action="reject", comment="Out of warranty.", root_cause="no_fault"
    )

    for complaint in _fresh(working):
        assert complaint.status == Status.REJECTED
        assert complaint.letters.filter(kind="rejection").exists()
        assert complaint.events.get(to_status=Status.REJECTED).body == "Out of warranty."


@pytest.mark.django_db
def test_an_action_not_offered_to_staff_is_refused(agent_bob: Any) -> None:
    complaint = submit_complaint()

    with pytest.raises(ApplicationError, match=r"^Choose an action\.$"):
        complaint_bulk_apply(
            actor=agent_bob, references=[complaint.reference], operation="transition", action="customer_replied"
        )


# --- limits and odd input ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_references_are_reported_as_refused(bob_client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()

    response = _post(bob_client, [complaint.reference, "RC-1999-000001", "nonsense"], operation="assign_to_me")

    assert response.status_code == 302
    level, text = _message(response)
    assert level == "warning"
    assert text == (
        f"Done for 1 complaint: {complaint.reference}; "
        "refused for 2 complaints: RC-1999-000001, nonsense: No complaint has this reference."
    )
    assert Complaint.objects.get(pk=complaint.pk).assignee_id == agent_bob.pk


@pytest.mark.django_db
def test_more_than_the_limit_is_an_error_and_changes_nothing(bob_client: Client) -> None:
    complaint = submit_complaint()
    references = [complaint.reference] + [f"RC-2000-{n:06d}" for n in range(BULK_MAX_COMPLAINTS)]

    response = _post(bob_client, references, operation="assign_to_me")

    assert _message(response) == ("error", "At most 200 complaints can be changed at once.")
    assert Complaint.objects.get(pk=complaint.pk).assignee_id is None


@pytest.mark.django_db
def test_nothing_selected_or_no_operation(bob_client: Client) -> None:
    assert _message(_post(bob_client, [], operation="assign_to_me")) == ("error", "Select at least one complaint.")
    complaint = submit_complaint()
    assert _message(_post(bob_client, [complaint], operation="explode")) == (
        "error",
        "Choose what to do with the selected complaints.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/dashboard/?tab=mine&sort=due", "/dashboard/?tab=mine&sort=due"),
        ("https://evil.example.com/", "/dashboard/"),
        ("", "/dashboard/"),
    ],
)
def test_returns_to_the_queue_as_it_was_filtered(bob_client: Client, next_url: str, expected: str) -> None:
    complaint = submit_complaint()

    response = bob_client.post(BULK, {"selected": [complaint.reference], "operation": "unassign", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == expected


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outsider_is_forbidden(client: Client, outsider_dave: Any) -> None:
    complaint = submit_complaint()
    client.force_login(outsider_dave)

    response = _post(client, [complaint], operation="assign_to_me")

    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).assignee_id is None


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    complaint = submit_complaint()

    response = _post(client, [complaint], operation="assign_to_me")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=/dashboard/bulk/")
    assert Complaint.objects.get(pk=complaint.pk).assignee_id is None


@pytest.mark.django_db
def test_get_is_not_allowed(bob_client: Client) -> None:
    assert bob_client.get(BULK).status_code == 405


# --- the page ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_rows_are_inside_the_bulk_form(bob_client: Client) -> None:
    complaint = submit_complaint()

    html = bob_client.get(QUEUE, {"tab": "all", "sort": "due"}).content.decode()

    form = re.search(r'<form method="post" action="/dashboard/bulk/"[^>]*>(.*?)</form>', html, re.S)
    assert form, "no bulk form"
    inside = form.group(1)
    assert f'name="selected" value="{complaint.reference}"' in inside
    assert 'name="csrfmiddlewaretoken"' in inside
    for name in ("operation", "assignee", "priority", "action", "comment"):
        assert f'name="{name}"' in inside, name
    assert re.search(r'name="next" value="/dashboard/\?tab=all&amp;sort=due"', inside)
    assert '<button type="submit">Apply to selected</button>' in inside


# --- query counts -----------------------------------------------------------------------------------------

# The POST's own cost, whatever the number of rows: the session, the user, the user's permissions (2), the
# assignable agents for the form, the outer transaction's savepoint and its release (the test runs inside a
# transaction), and one lookup of all the references. (The summary goes to the messages cookie.) Everything
# beyond it must be what the single-complaint service costs per row: its savepoint and release, the row lock,
# the update, the timeline event, and the letter if the action sends one.
BULK_FIXED_QUERIES = 8


def _queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "prepare", "one_by_one"),
    [
        (
            {"operation": "assign_to_me"},
            lambda complaint, bob: None,
            lambda complaint, bob: complaint_assign(complaint=complaint.pk, assignee=bob, actor=bob),
        ),
        (
            {"operation": "transition", "action": "resolve", **RESOLVED_AS},
            lambda complaint, bob: complaint_transition(complaint=complaint, action=Action.START, actor=bob),
            lambda complaint, bob: complaint_transition(
                complaint=complaint.pk, action=Action.RESOLVE, actor=bob, **closing_answers("resolve")
            ),
        ),
        (
            {"operation": "priority", "priority": "high", "comment": "Escalated."},
            lambda complaint, bob: None,
            lambda complaint, bob: complaint_change_priority(
                complaint=complaint.pk, actor=bob, priority=Priority.HIGH, reason="Escalated."
            ),
        ),
    ],
)
def test_bulk_queries_grow_only_by_the_per_complaint_service_cost(
    bob_client: Client,
    agent_bob: Any,
    fields: dict[str, str],
    prepare: Callable[[Complaint, Any], object],
    one_by_one: Callable[[Complaint, Any], object],
) -> None:
    assert can_handle_complaints(agent_bob)  # warms the permission cache: the per-row cost below is the service's
    sample = submit_complaint(email="sample@example.com")
    prepare(sample, agent_bob)
    per_row = _queries(lambda: one_by_one(sample, agent_bob))

    counted: dict[int, int] = {}
    for count in (5, 50):
        complaints = _complaints(count, prefix=f"n{count}-")
        for complaint in complaints:
            prepare(complaint, agent_bob)
        with CaptureQueriesContext(connection) as captured:
            response = _post(bob_client, complaints, **fields)
        counted[count] = len(captured)
        assert _message(response)[0] == "success"
        assert counted[count] <= BULK_FIXED_QUERIES + count * per_row, (count, per_row)

    assert counted[50] - counted[5] == 45 * per_row
