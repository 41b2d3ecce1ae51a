"""The staff dashboard: the queue and the complaint page."""

import html as html_lib
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from complaints.models import Complaint, ComplaintEvent, Status
from complaints.services import complaint_customer_reply, complaint_note_add, complaint_reply, complaint_transition
from complaints.transitions import Action, allowed_actions
from tests.factories import closing_answers, submit_complaint

QUEUE = "/dashboard/"


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _queue_references(html: str) -> list[str]:
    table = re.search(r'<table class="queue" data-testid="queue">(.*?)</table>', html, re.S)
    assert table, "no queue table"
    return re.findall(r'<a href="/dashboard/complaints/(RC-\d{4}-\d{6})/">', table.group(1))


def _older_link(html: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)">', html)
    return html_lib.unescape(match.group(1)) if match else None


def _action_buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="(\w+)">', html)


def _messages(html: str) -> list[str]:
    return re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [QUEUE, "/dashboard/complaints/RC-2026-000001/"])
def test_anonymous_visitors_are_sent_to_log_in(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_an_outsider_is_forbidden(client: Client, outsider_dave: Any) -> None:
    complaint = submit_complaint()
    client.force_login(outsider_dave)

    assert client.get(QUEUE).status_code == 403
    assert client.get(_page(complaint.reference)).status_code == 403
    response = client.post(f"{_page(complaint.reference)}transition/", {"action": "start"})
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_a_manager_sees_the_queue(client: Client, manager_carol: Any) -> None:
    complaint = submit_complaint()
    client.force_login(manager_carol)

    assert _queue_references(client.get(QUEUE).content.decode()) == [complaint.reference]


# --- the queue --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_lists_open_complaints_newest_first(bob_client: Client, agent_bob: Any) -> None:
    oldest = submit_complaint(email="one@example.com")
    closed = submit_complaint(email="two@example.com")
    for action in (Action.START, Action.RESOLVE, Action.CLOSE):
        complaint_transition(complaint=closed, action=action, actor=agent_bob, **closing_answers(action))
    declined = submit_complaint(email="three@example.com")
    complaint_transition(
        complaint=declined, action=Action.REJECT, actor=agent_bob, comment="Not ours.", **closing_answers("reject")
    )
    resolved = submit_complaint(email="four@example.com")
    complaint_transition(complaint=resolved, action=Action.START, actor=agent_bob)
    complaint_transition(complaint=resolved, action=Action.RESOLVE, actor=agent_bob, **closing_answers("resolve"))
    waiting = submit_complaint(email="five@example.com")
    complaint_transition(complaint=waiting, action=Action.START, actor=agent_bob)
    complaint_transition(complaint=waiting, action=Action.REQUEST_INFO, actor=agent_bob, comment="Photo?")
    newest = submit_complaint(email="six@example.com")

    response = bob_client.get(QUEUE)

    assert response.status_code == 200
    assert _queue_references(response.content.decode()) == [newest.reference, waiting.reference, oldest.reference]


@pytest.mark.django_db
def test_the_queue_filters_by_status(bob_client: Client, agent_bob: Any) -> None:
    submit_complaint()
    closed = submit_complaint(email="two@example.com")
    for action in (Action.START, Action.RESOLVE, Action.CLOSE):
        complaint_transition(complaint=closed, action=action, actor=agent_bob, **closing_answers(action))

    assert _queue_references(bob_client.get(QUEUE, {"status": "closed"}).content.decode()) == [closed.reference]


@pytest.mark.django_db
def test_older_links_walk_the_whole_queue_without_repeats(bob_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 3)
    expected = [submit_complaint(email=f"c{i}@example.com").reference for i in range(10)][::-1]

    seen: list[list[str]] = []
    url: str | None = QUEUE
    while url is not None:
        assert len(seen) < 10, "the pager does not end"
        html = bob_client.get(url).content.decode()
        seen.append(_queue_references(html))
        older = _older_link(html)
        url = f"{QUEUE}{older}" if older else None

    assert [len(page) for page in seen] == [3, 3, 3, 1]
    assert [ref for page in seen for ref in page] == expected


@pytest.mark.django_db
def test_complaints_received_in_the_same_instant_are_all_paged(
    bob_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time_machine

    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 2)
    with time_machine.travel("2026-03-01 09:00:00+00:00", tick=False):
        references = {submit_complaint(email=f"same{i}@example.com").reference for i in range(5)}

    walked: list[str] = []
    url: str | None = QUEUE
    while url is not None and len(walked) < 20:
        html = bob_client.get(url).content.decode()
        walked += _queue_references(html)
        older = _older_link(html)
        url = f"{QUEUE}{older}" if older else None

    assert sorted(walked) == sorted(references)


@pytest.mark.django_db
def test_a_garbled_cursor_shows_the_first_page(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.get(QUEUE, {"after": "not-a-cursor_x"})

    assert response.status_code == 200
    assert _queue_references(response.content.decode()) == [complaint.reference]


def _queue_queries(client: Client, agent: Any, count: int, django_assert_max_num_queries: Any) -> None:
    for i in range(count):
        complaint = submit_complaint(email=f"q{count}-{i}@example.com")
        if i % 2:
            complaint_transition(complaint=complaint, action=Action.START, actor=agent)
            client.post(f"{_page(complaint.reference)}assign-to-me/")
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        response = client.get(QUEUE)
    assert len(_queue_references(response.content.decode())) == count


# Session, user, permissions (2), filter choices (products, assignees), tab counts, rows, saved filters.
QUEUE_MAX_QUERIES = 9


@pytest.mark.django_db
def test_the_queue_costs_the_same_few_queries_for_5_or_60_complaints(
    bob_client: Client, agent_bob: Any, django_assert_max_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("complaints.views.staff.QUEUE_PAGE_SIZE", 100)
    _queue_queries(bob_client, agent_bob, 5, django_assert_max_num_queries)
    Complaint.objects.all().delete()
    _queue_queries(bob_client, agent_bob, 60, django_assert_max_num_queries)


# --- the complaint page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_complaint_page_shows_the_whole_timeline(bob_client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint(description="The kettle leaks from the bottom.")
    complaint_note_add(complaint=complaint, author=agent_bob, body="Check batch 42.")
    complaint_reply(complaint=complaint, author=agent_bob, body="Could you send a photo?")
    complaint_customer_reply(complaint=complaint, body="Photo attached to my email.")

    html = bob_client.get(_page(complaint.reference)).content.decode()

    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', html, re.S)
    assert timeline
    for text in ("The kettle leaks from the bottom.", "Check batch 42.", "Could you send a photo?", "Photo attached"):
        assert text in timeline.group(1)
    assert "Bob Agentson" in timeline.group(1)
    assert 'class="event event-internal_note internal"' in timeline.group(1)
    assert "alice@example.com" in html


@pytest.mark.django_db
def test_a_reply_is_sent_to_the_customer(bob_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(f"{_page(complaint.reference)}reply/", {"body": "A new kettle is on its way."})

    assert response.status_code == 302
    assert response["Location"] == _page(complaint.reference)
    html = bob_client.get(response["Location"]).content.decode()
    assert "Reply sent to the customer." in _messages(html)
    assert "A new kettle is on its way." in html
    assert complaint.letters.filter(kind="reply", status="sent").count() == 1
    replies = [m for m in mail.outbox if "A new kettle is on its way." in m.body]
    assert len(replies) == 1
    assert replies[0].to == ["alice@example.com"]
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_an_empty_reply_is_refused_with_a_message(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}reply/", {"body": ""}, follow=True)

    assert "The reply is empty or too long." in _messages(response.content.decode())
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()


@pytest.mark.django_db
def test_an_internal_note_sends_no_letter(bob_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()
    letters_before = complaint.letters.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(f"{_page(complaint.reference)}note/", {"body": "Probably batch 42."}, follow=True)

    html = response.content.decode()
    assert "Internal note added." in _messages(html)
    assert "Probably batch 42." in html
    assert complaint.letters.count() == letters_before
    assert all("batch 42" not in m.body for m in mail.outbox)
    note = complaint.events.get(kind=ComplaintEvent.Kind.INTERNAL_NOTE)
    assert not note.is_public


@pytest.mark.django_db
def test_assign_to_me(bob_client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    assert "Assign to me" in bob_client.get(_page(complaint.reference)).content.decode()

    response = bob_client.post(f"{_page(complaint.reference)}assign-to-me/", follow=True)

    html = response.content.decode()
    assert "The complaint is yours." in _messages(html)
    assert "Assign to me" not in html
    complaint.refresh_from_db()
    assert complaint.assignee == agent_bob
    assignment = complaint.events.get(kind=ComplaintEvent.Kind.ASSIGNED)
    assert assignment.data == {"from": "", "to": "bob", "from_name": "", "to_name": "Bob Agentson"}
    assert "— → Bob Agentson" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("walk", "status"),
    [
        ([], Status.NEW),
        ([Action.START], Status.IN_PROGRESS),
        ([Action.START, Action.REQUEST_INFO], Status.AWAITING_CUSTOMER),
        ([Action.START, Action.RESOLVE], Status.RESOLVED),
        ([Action.START, Action.RESOLVE, Action.CLOSE], Status.CLOSED),
        ([Action.REJECT], Status.REJECTED),
    ],
)
def test_the_buttons_offered_are_exactly_the_allowed_actions(
    bob_client: Client, agent_bob: Any, walk: list[str], status: str
) -> None:
    complaint = submit_complaint()
    for action in walk:
        complaint_transition(
            complaint=complaint, action=action, actor=agent_bob, comment="Step.", **closing_answers(action)
        )

    html = bob_client.get(_page(complaint.reference)).content.decode()

    assert _action_buttons(html) == allowed_actions(status)
    assert Action.CUSTOMER_REPLIED not in _action_buttons(html)


@pytest.mark.django_db
def test_a_transition_button_changes_the_status(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(
        f"{_page(complaint.reference)}transition/",
        {"action": "reject", "comment": "Outside warranty.", "root_cause": "no_fault"},
        follow=True,
    )

    html = response.content.decode()
    assert "Done: Decline." in _messages(html)
    assert '<span data-testid="status">Declined</span>' in html
    complaint.refresh_from_db()
    assert complaint.status == Status.REJECTED


@pytest.mark.django_db
def test_an_illegal_transition_is_explained_not_a_server_error(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}transition/", {"action": "close"}, follow=True)

    assert response.status_code == 200
    assert _messages(response.content.decode()) == [
        html_lib.escape("A complaint that is “New” cannot be changed with “Close”.")
    ]
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"action": "decline"}, {"action": ""}, {}])
def test_a_nonsense_action_is_explained_not_a_server_error(bob_client: Client, data: dict[str, str]) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}transition/", data, follow=True)

    assert response.status_code == 200
    assert _messages(response.content.decode()) == ["Choose an action."]


@pytest.mark.django_db
def test_declining_without_a_reason_asks_for_one(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}transition/", {"action": "reject"}, follow=True)

    assert _messages(response.content.decode()) == ["Please write the customer a message explaining this step."]
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_an_unknown_reference_is_not_found(bob_client: Client) -> None:
    assert bob_client.get(_page("RC-1999-000001")).status_code == 404
    assert bob_client.post(f"{_page('RC-1999-000001')}reply/", {"body": "Hello"}).status_code == 404


# session, user, groups/permissions, the complaint, its events (+ authors), their attachments, letters, offers,
# the canned responses for the reply composer (one query, however many there are), and the customer panel
# (purchases, earlier complaints, compensation given: three queries, however long the history), the complaint
# it was merged into with its duplicates and related complaints (one), the teams for the team box and the
# signed-in member's duty switch in the header (two), the promise warnings/breaches badge (one), and the
# incident box (its incident and the ones to choose from: one).
DETAIL_MAX_QUERIES = 18


@pytest.mark.django_db
@pytest.mark.parametrize("rounds", [1, 15])
def test_the_complaint_page_costs_a_bounded_number_of_queries(
    bob_client: Client, agent_bob: Any, manager_carol: Any, rounds: int, django_assert_max_num_queries: Any
) -> None:
    complaint = submit_complaint()
    for i in range(rounds):
        complaint_reply(complaint=complaint, author=agent_bob if i % 2 else manager_carol, body=f"Reply {i}.")
        complaint_note_add(complaint=complaint, author=manager_carol, body=f"Note {i}.")
        complaint_customer_reply(complaint=complaint, body=f"Answer {i}.")

    with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
        response = bob_client.get(_page(complaint.reference))

    html = response.content.decode()
    assert f"Reply {rounds - 1}." in html
    assert f"Note {rounds - 1}." in html


@pytest.mark.django_db
def test_a_refused_status_change_keeps_the_message_typed_for_the_customer(bob_client: Client) -> None:
    complaint = submit_complaint()
    question = "Could you send us a photo of the label under the kettle?"

    response = bob_client.post(
        f"{_page(complaint.reference)}transition/", {"action": "request_info", "comment": question}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert _messages(page) == [html_lib.escape("A complaint that is “New” cannot be changed with “Ask the customer”.")]
    assert f">{question}</textarea>" in page
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_a_reply_too_long_is_refused_and_kept(bob_client: Client) -> None:
    complaint = submit_complaint()
    too_long = "Sorry. " * 1500

    response = bob_client.post(f"{_page(complaint.reference)}reply/", {"body": too_long})

    assert response.status_code == 200
    page = response.content.decode()
    assert "The reply is empty or too long." in _messages(page)
    assert too_long.strip() in page
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()


@pytest.mark.django_db
def test_the_timeline_names_each_delivered_letter(bob_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        complaint = submit_complaint()

    html = bob_client.get(_page(complaint.reference)).content.decode()

    assert "We have received your complaint → alice@example.com" in html


@pytest.mark.django_db
def test_the_customer_panel_shows_purchases_earlier_complaints_and_compensation(
    bob_client: Client, agent_bob: Any
) -> None:
    from decimal import Decimal

    from compensation.models import OfferStatus
    from compensation.services import offer_decide, offer_propose
    from tests.factories import CustomerFactory, PurchaseFactory

    customer = CustomerFactory(email="alice@example.com", name="Alice Example")
    PurchaseFactory(customer=customer, order_number="ORD-777")
    earlier = submit_complaint()
    offer = offer_propose(complaint=earlier, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="Sorry.")
    offer_decide(complaint=earlier, offer_id=offer.pk, accept=True)
    current = submit_complaint(description="The replacement kettle is broken too.")

    html = bob_client.get(_page(current.reference)).content.decode()

    panel = html.split('data-testid="customer-history"', 1)[1].split("</details>", 1)[0]
    assert "ORD-777" in panel
    assert earlier.reference in panel
    assert current.reference not in panel
    assert "500.00" in panel
    offer.refresh_from_db()
    # An accepted voucher is issued at once.
    assert offer.status == OfferStatus.FULFILLED


@pytest.mark.django_db
def test_category_and_priority_change_with_a_reason_on_the_timeline(bob_client: Client) -> None:
    complaint = submit_complaint()

    refused = bob_client.post(
        f"{_page(complaint.reference)}change/", {"field": "category", "value": "billing", "reason": ""}
    )
    assert refused.status_code == 200
    assert "Choose the new value and say why." in _messages(refused.content.decode())
    response = bob_client.post(
        f"{_page(complaint.reference)}change/",
        {"field": "category", "value": "billing", "reason": "The customer was charged twice."},
        follow=True,
    )
    bob_client.post(
        f"{_page(complaint.reference)}change/", {"field": "priority", "value": "urgent", "reason": "Third time."}
    )

    complaint.refresh_from_db()
    assert (complaint.category, complaint.priority) == ("billing", "urgent")
    changes = complaint.events.filter(kind=ComplaintEvent.Kind.FIELD_CHANGED).order_by("id")
    # Each change also records the due times it led to (see tests/complaints/test_sla_services.py).
    assert [{k: v for k, v in event.data.items() if k != "due"} for event in changes] == [
        {"field": "category", "from": "defect", "to": "billing"},
        {"field": "priority", "from": "normal", "to": "urgent"},
    ]
    assert all(event.data["due"]["first_response_due"] for event in changes)
    assert "Changed; the reason is on the timeline." in _messages(response.content.decode())
    page = bob_client.get(_page(complaint.reference)).content.decode()
    assert "Category: Faulty product → Billing" in page
    assert "Priority: Normal → Urgent" in page
    assert "The customer was charged twice." in page


@pytest.mark.django_db
def test_an_unknown_field_or_value_is_refused(bob_client: Client) -> None:
    complaint = submit_complaint()

    for data in (
        {"field": "status", "value": "closed", "reason": "x"},
        {"field": "priority", "value": "x", "reason": "y"},
    ):
        response = bob_client.post(f"{_page(complaint.reference)}change/", data)
        assert response.status_code == 200

    complaint.refresh_from_db()
    assert (complaint.status, complaint.priority) == ("new", "normal")
