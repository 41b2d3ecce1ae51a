"""The complaint's lifecycle through the REST API: the filtered list, messages, notes, assignment, priority and
category."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent, Team
from complaints.services import (
    complaint_assign,
    complaint_customer_reply,
    complaint_merge,
    complaint_note_add,
    complaint_reply,
    complaint_transition,
)
from complaints.transitions import Action
from tests.api_clients import token_client
from tests.factories import ProductFactory, submit_complaint

LIST = "/api/v1/complaints/"


def _url(complaint: Complaint, tail: str = "") -> str:
    return f"{LIST}{complaint.reference}/{tail}"


def _references(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


# --- the list: filters and ordering -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_filters_by_each_field_staff_need(agent_bob: Any, lead_tess: Any) -> None:
    ProductFactory(code="kettle")
    kettle = submit_complaint(email="k@example.com", product_code="kettle")
    billing = submit_complaint(email="b@example.com", category="billing")
    phoned = submit_complaint(email="p@example.com", channel="phone")
    complaint_assign(complaint=billing, assignee=lead_tess, actor=agent_bob)
    team = Team.objects.create(name="Kettles")
    Complaint.objects.filter(pk=kettle.pk).update(team=team, priority="urgent")
    client = token_client(agent_bob)

    assert _references(client.get(LIST, {"category": "billing"})) == [billing.reference]
    assert _references(client.get(LIST, {"priority": "urgent"})) == [kettle.reference]
    assert _references(client.get(LIST, {"channel": "phone"})) == [phoned.reference]
    assert _references(client.get(LIST, {"team": team.pk})) == [kettle.reference]
    assert _references(client.get(LIST, {"assignee": "tess"})) == [billing.reference]
    assert set(_references(client.get(LIST, {"assignee": "none"}))) == {kettle.reference, phoned.reference}
    assert _references(client.get(LIST, {"product": "kettle"})) == [kettle.reference]
    assert _references(client.get(LIST, {"customer_email": "B@example.com"})) == [billing.reference]


@pytest.mark.django_db
def test_the_list_filters_by_when_complaints_arrived(agent_bob: Any) -> None:
    now = timezone.now()
    old = submit_complaint(email="old@example.com")
    Complaint.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=10))
    new = submit_complaint(email="new@example.com")
    client = token_client(agent_bob)
    day_ago = (now - timedelta(days=1)).isoformat()

    assert _references(client.get(LIST, {"received_after": day_ago})) == [new.reference]
    assert _references(client.get(LIST, {"received_before": day_ago})) == [old.reference]


@pytest.mark.django_db
def test_the_list_orders_by_the_last_activity_when_asked(agent_bob: Any) -> None:
    first = submit_complaint(email="one@example.com")
    second = submit_complaint(email="two@example.com")
    complaint_reply(complaint=first, author=agent_bob, body="We are on it.")
    client = token_client(agent_bob)

    assert _references(client.get(LIST)) == [second.reference, first.reference]
    assert _references(client.get(LIST, {"ordering": "-updated_at"})) == [first.reference, second.reference]
    assert _references(client.get(LIST, {"ordering": "received_at"})) == [first.reference, second.reference]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"priority": "whenever"},
        {"channel": ""},
        {"team": "kettles"},
        {"received_after": "last week"},
        {"ordering": "priority"},
        {"status": ["new", "closed"]},
    ],
)
def test_malformed_filters_are_a_400(bob_api: APIClient, params: dict[str, Any]) -> None:
    submit_complaint()

    response = bob_api.get(LIST, params)

    assert response.status_code == 400
    assert list(response.json()) == list(params)


@pytest.fixture
def bob_api(agent_bob: Any) -> APIClient:
    return token_client(agent_bob)


FILTERED_LIST_MAX_QUERIES = 4


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_a_filtered_list_costs_the_same_few_queries_for_any_page_size(
    agent_bob: Any, page_size: int, django_assert_max_num_queries: Any
) -> None:
    for i in range(page_size):
        complaint_assign(complaint=submit_complaint(email=f"c{i}@example.com"), assignee=agent_bob, actor=agent_bob)
    client = token_client(agent_bob)

    with django_assert_max_num_queries(FILTERED_LIST_MAX_QUERIES):
        response = client.get(LIST, {"page_size": str(page_size), "assignee": "bob", "ordering": "-updated_at"})

    assert len(response.json()["results"]) == page_size


# --- messages and notes -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_read_the_conversation_with_notes_but_no_status_changes(bob_api: APIClient, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_reply(complaint=complaint, author=agent_bob, body="Could you send a photo?")
    complaint_customer_reply(complaint=complaint, body="Here is what it looks like.")
    complaint_note_add(complaint=complaint, author=agent_bob, body="Batch 42 again.")

    response = bob_api.get(_url(complaint, "messages/"))

    assert response.status_code == 200
    assert [(m["kind"], m["body"], m["is_public"]) for m in response.json()] == [
        ("staff_reply", "Could you send a photo?", True),
        ("customer_message", "Here is what it looks like.", True),
        ("internal_note", "Batch 42 again.", False),
    ]
    assert response.json()[0]["author"] == "bob"
    assert response.json()[1]["by_customer"] is True


@pytest.mark.django_db
def test_the_conversation_includes_a_merged_duplicates_messages(bob_api: APIClient, agent_bob: Any) -> None:
    target = submit_complaint()
    duplicate = submit_complaint(description="The kettle broke, I wrote already.")
    complaint_customer_reply(complaint=duplicate, body="Any news?")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    messages = bob_api.get(_url(target, "messages/")).json()

    assert [(m["complaint"], m["body"]) for m in messages] == [(duplicate.reference, "Any news?")]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_the_conversation_costs_the_same_few_queries_however_long(
    agent_bob: Any, count: int, django_assert_max_num_queries: Any
) -> None:
    complaint = submit_complaint()
    for i in range(count):
        complaint_note_add(complaint=complaint, author=agent_bob, body=f"Note {i}")
    client = token_client(agent_bob)

    # The token, the role's permissions (2), the complaint, its messages and their files.
    with django_assert_max_num_queries(6):
        response = client.get(_url(complaint, "messages/"))

    assert len(response.json()) == count


@pytest.mark.django_db
def test_an_internal_note_is_added_without_a_letter(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.post(_url(complaint, "notes/"), {"body": "The courier lost it."})
    empty = bob_api.post(_url(complaint, "notes/"), {"body": ""})

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["is_public"]) == ("internal_note", False)
    assert empty.status_code == 400
    assert list(complaint.letters.values_list("kind", flat=True)) == ["acknowledgement"]


@pytest.mark.django_db
def test_outsiders_and_anonymous_callers_cannot_read_or_write_messages(outsider_dave: Any) -> None:
    complaint = submit_complaint()

    assert APIClient().get(_url(complaint, "messages/")).status_code == 401
    assert token_client(outsider_dave).get(_url(complaint, "messages/")).status_code == 403
    assert token_client(outsider_dave).post(_url(complaint, "notes/"), {"body": "Hi"}).status_code == 403
    assert complaint.events.count() == 1


# --- assignment -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_assign_a_complaint_and_take_it_back(bob_api: APIClient, lead_tess: Any) -> None:
    complaint = submit_complaint()

    assigned = bob_api.post(_url(complaint, "assign/"), {"assignee": "tess"})
    released = bob_api.post(_url(complaint, "assign/"), {"assignee": None})

    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "tess"
    assert released.json()["assignee"] is None
    events = complaint.events.filter(kind=ComplaintEvent.Kind.ASSIGNED).order_by("id")
    assert [(e.data["from"], e.data["to"]) for e in events] == [("", "tess"), ("tess", "")]


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["nobody", "dave"])
def test_only_staff_who_handle_complaints_can_be_assigned(agent_bob: Any, outsider_dave: Any, username: str) -> None:
    complaint = submit_complaint()

    response = token_client(agent_bob, language="ru").post(_url(complaint, "assign/"), {"assignee": username})

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "assignee"}
    assert Complaint.objects.get(pk=complaint.pk).assignee is None


# --- priority and category --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_change_the_priority_and_category_with_a_reason(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.patch(
        _url(complaint), {"priority": "urgent", "category": "delivery", "reason": "A child's birthday present."}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["category"]) == ("urgent", "delivery")
    changes = complaint.events.filter(kind=ComplaintEvent.Kind.FIELD_CHANGED).order_by("id")
    assert [(e.data["field"], e.data["to"], e.body) for e in changes] == [
        ("priority", "urgent", "A child's birthday present."),
        ("category", "delivery", "A child's birthday present."),
    ]


@pytest.mark.django_db
def test_a_change_without_a_reason_is_refused_in_russian(agent_bob: Any) -> None:
    complaint = submit_complaint()
    client = token_client(agent_bob, language="ru")

    no_reason = client.patch(_url(complaint), {"priority": "urgent"})
    nothing = client.patch(_url(complaint), {"reason": "Just because."})

    assert no_reason.status_code == 400
    assert no_reason.json() == {"reason": ["Обязательное поле."]}
    assert nothing.status_code == 400
    assert list(nothing.json()) == ["non_field_errors"]
    assert Complaint.objects.get(pk=complaint.pk).priority == complaint.priority


@pytest.mark.django_db
def test_a_change_of_status_the_complaint_does_not_allow_is_a_409(bob_api: APIClient, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_transition(complaint=complaint, action=Action.START, actor=agent_bob)

    response = bob_api.post(_url(complaint, "transitions/"), {"action": "start"})

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
