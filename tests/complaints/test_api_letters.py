"""The letter outbox through the REST API: read-only for staff, filtered, a page at a time."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from complaints.services import complaint_merge, complaint_reply
from notifications.models import Letter
from tests.api_clients import token_client
from tests.factories import submit_complaint

LETTERS = "/api/v1/letters/"


def _kinds(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return [(row["complaint"], row["kind"]) for row in response.json()["results"]]


@pytest.mark.django_db
def test_staff_read_the_letters_newest_first_and_filter_them(agent_bob: Any) -> None:
    first = submit_complaint(email="ann@example.com")
    second = submit_complaint(email="bob@example.com")
    complaint_reply(complaint=first, author=agent_bob, body="We are on it.")
    Letter.objects.filter(kind="reply").update(status="sent")
    client = token_client(agent_bob)

    assert _kinds(client.get(LETTERS)) == [
        (first.reference, "reply"),
        (second.reference, "acknowledgement"),
        (first.reference, "acknowledgement"),
    ]
    assert _kinds(client.get(LETTERS, {"complaint": second.reference})) == [(second.reference, "acknowledgement")]
    assert _kinds(client.get(LETTERS, {"kind": "reply"})) == [(first.reference, "reply")]
    assert _kinds(client.get(LETTERS, {"status": "queued", "recipient": "ANN@example.com"})) == [
        (first.reference, "acknowledgement")
    ]
    row = client.get(LETTERS, {"kind": "reply"}).json()["results"][0]
    assert row["recipient"] == "ann@example.com"
    assert "body_text" not in row


@pytest.mark.django_db
def test_a_complaints_letters_include_those_of_a_merged_duplicate(agent_bob: Any) -> None:
    target = submit_complaint()
    duplicate = submit_complaint(description="The kettle broke, I wrote already.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    response = token_client(agent_bob).get(f"/api/v1/complaints/{target.reference}/letters/", {"ordering": "id"})

    assert [(row["complaint"], row["kind"]) for row in response.json()["results"]] == [
        (target.reference, "acknowledgement"),
        (duplicate.reference, "acknowledgement"),
        (duplicate.reference, "merged"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"kind": "postcard"}, {"status": "lost"}, {"ordering": "recipient"}])
def test_malformed_letter_filters_are_a_400(agent_bob: Any, params: dict[str, str]) -> None:
    response = token_client(agent_bob).get(LETTERS, params)

    assert response.status_code == 400
    assert list(response.json()) == list(params)


@pytest.mark.django_db
def test_letters_are_for_staff_only(outsider_dave: Any) -> None:
    complaint = submit_complaint()

    assert APIClient().get(LETTERS).status_code == 401
    assert token_client(outsider_dave).get(LETTERS).status_code == 403
    assert token_client(outsider_dave).get(f"/api/v1/complaints/{complaint.reference}/letters/").status_code == 403


LIST_MAX_QUERIES = 4


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_letter_list_costs_the_same_few_queries_for_any_page_size(
    agent_bob: Any, page_size: int, django_assert_max_num_queries: Any
) -> None:
    for i in range(page_size):
        submit_complaint(email=f"c{i}@example.com")
    client = token_client(agent_bob)

    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(LETTERS, {"page_size": str(page_size), "kind": "acknowledgement"})

    assert len(response.json()["results"]) == page_size
