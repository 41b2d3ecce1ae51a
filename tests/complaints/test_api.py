"""The complaints REST API under /api/v1/, the OpenAPI schema and its docs page."""

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent, Status
from complaints.services import complaint_note_add, complaint_reply, complaint_transition
from complaints.transitions import Action
from notifications.models import Letter
from tests.api_clients import token_client as _client_for
from tests.factories import submit_complaint

LIST = "/api/v1/complaints/"

SUBMISSION: dict[str, str] = {
    "name": "Alice Example",
    "email": "alice@example.com",
    "category": "delivery",
    "description": "The parcel arrived two weeks late and crushed.",
}


def _detail(reference: str) -> str:
    return f"{LIST}{reference}/"


@pytest.fixture
def bob_api(agent_bob: Any) -> APIClient:
    return _client_for(agent_bob)


# --- submission -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anyone_can_submit_a_complaint() -> None:
    response = APIClient().post(LIST, SUBMISSION, format="json")

    assert response.status_code == 201
    complaint = Complaint.objects.get()
    body = response.json()
    assert set(body) == {"reference", "status", "tracking_url", "first_response_due"}
    assert body["reference"] == complaint.reference
    assert body["status"] == "new"
    assert body["tracking_url"].startswith("http://testserver/track/")
    assert APIClient().get(body["tracking_url"].removeprefix("http://testserver")).status_code == 200
    assert body["first_response_due"]
    assert complaint.channel == "api"
    assert Letter.objects.get().kind == "acknowledgement"


@pytest.mark.django_db
def test_a_submission_can_choose_russian() -> None:
    response = APIClient().post(LIST, {**SUBMISSION, "language": "ru"}, format="json")

    assert response.status_code == 201
    assert Complaint.objects.get().language == "ru"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "nope"),
        ("category", "alien_abduction"),
        ("description", "short"),
        ("name", ""),
        ("phone", "call me"),
        ("order_number", "9" * 65),
        ("language", "fr"),
    ],
)
def test_an_invalid_submission_is_a_400_keyed_by_field(field: str, value: str) -> None:
    response = APIClient().post(LIST, {**SUBMISSION, field: value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_a_submission_without_fields_names_each_missing_one() -> None:
    response = APIClient().post(LIST, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name", "email", "category", "description"}


# --- listing ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_is_not_for_anonymous_callers() -> None:
    submit_complaint()

    response = APIClient().get(LIST)

    assert response.status_code in (401, 403)
    assert "alice@example.com" not in response.content.decode()


@pytest.mark.django_db
def test_the_list_is_not_for_outsiders(outsider_dave: Any) -> None:
    submit_complaint()

    assert _client_for(outsider_dave).get(LIST).status_code == 403


@pytest.mark.django_db
def test_staff_list_complaints_newest_first_a_page_at_a_time(bob_api: APIClient) -> None:
    references = [submit_complaint(email=f"c{i}@example.com").reference for i in range(5)][::-1]

    first = bob_api.get(LIST, {"page_size": 3})
    assert first.status_code == 200
    body = first.json()
    assert [row["reference"] for row in body["results"]] == references[:3]
    assert body["results"][0]["customer_email"] == "c4@example.com"
    assert body["next"]

    second = bob_api.get(body["next"]).json()
    assert [row["reference"] for row in second["results"]] == references[3:]
    assert second["next"] is None


@pytest.mark.django_db
def test_the_list_filters_by_status(bob_api: APIClient, agent_bob: Any) -> None:
    submit_complaint()
    started = submit_complaint(email="two@example.com")
    complaint_transition(complaint=started, action=Action.START, actor=agent_bob)

    response = bob_api.get(LIST, {"status": "in_progress"})

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [started.reference]


@pytest.mark.django_db
def test_an_unknown_status_filter_is_a_400(bob_api: APIClient) -> None:
    response = bob_api.get(LIST, {"status": "lost"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


LIST_MAX_QUERIES = 4


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_list_costs_the_same_few_queries_for_any_page_size(
    agent_bob: Any, page_size: int, django_assert_max_num_queries: Any
) -> None:
    for i in range(page_size):
        complaint = submit_complaint(email=f"c{i}@example.com")
        if i % 2:
            complaint_reply(complaint=complaint, author=agent_bob, body="On it.")
    client = _client_for(agent_bob)

    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(LIST, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


# --- one complaint ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_has_the_timeline_and_the_letters(bob_api: APIClient, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_reply(complaint=complaint, author=agent_bob, body="We are on it.")
    complaint_note_add(complaint=complaint, author=agent_bob, body="Batch 42.")

    response = bob_api.get(_detail(complaint.reference))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == complaint.reference
    assert body["status"] == "in_progress"
    assert [e["kind"] for e in body["events"]] == ["created", "status_changed", "staff_reply", "internal_note"]
    assert body["events"][3]["is_public"] is False
    assert body["events"][3]["author"] == "bob"
    assert [letter["kind"] for letter in body["letters"]] == ["acknowledgement", "reply"]
    assert body["letters"][1]["status"] == "queued"


@pytest.mark.django_db
def test_an_unknown_reference_is_404(bob_api: APIClient) -> None:
    assert bob_api.get(_detail("RC-1999-000001")).status_code == 404
    assert bob_api.post(f"{_detail('RC-1999-000001')}transitions/", {"action": "start"}).status_code == 404


@pytest.mark.django_db
def test_outsiders_cannot_read_or_change_a_complaint(outsider_dave: Any) -> None:
    complaint = submit_complaint()
    client = _client_for(outsider_dave)

    assert client.get(_detail(complaint.reference)).status_code == 403
    assert client.post(f"{_detail(complaint.reference)}transitions/", {"action": "start"}).status_code == 403
    messages = client.post(f"{_detail(complaint.reference)}messages/", {"body": "Hi", "visibility": "public"})
    assert messages.status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW
    assert complaint.events.count() == 1


# --- messages ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_message_reaches_the_customer(bob_api: APIClient, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_api.post(
            f"{_detail(complaint.reference)}messages/", {"body": "A courier comes tomorrow.", "visibility": "public"}
        )

    assert response.status_code == 201
    assert response.json()["kind"] == "staff_reply"
    assert response.json()["is_public"] is True
    assert [m.body for m in mail.outbox if "A courier comes tomorrow." in m.body]


@pytest.mark.django_db
def test_an_internal_message_queues_no_letter(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.post(
        f"{_detail(complaint.reference)}messages/", {"body": "Courier firm is unreliable.", "visibility": "internal"}
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "internal_note"
    assert response.json()["is_public"] is False
    assert list(complaint.letters.values_list("kind", flat=True)) == ["acknowledgement"]


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"body": "", "visibility": "public"}, {"body": "Hi", "visibility": "shout"}])
def test_a_malformed_message_is_a_400(bob_api: APIClient, data: dict[str, str]) -> None:
    complaint = submit_complaint()

    response = bob_api.post(f"{_detail(complaint.reference)}messages/", data)

    assert response.status_code == 400
    assert complaint.events.count() == 1


# --- transitions ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_legal_transition_returns_the_new_status(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.post(f"{_detail(complaint.reference)}transitions/", {"action": "start"})

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_an_illegal_transition_is_a_409_with_a_uniform_body(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.post(f"{_detail(complaint.reference)}transitions/", {"action": "close"})

    assert response.status_code == 409
    assert response.json() == {
        "message": "A complaint that is “New” cannot be changed with “Close”.",
        "code": "transition_not_allowed",
        "extra": {"status": "new", "action": "close"},
    }
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_declining_without_a_comment_is_a_400(bob_api: APIClient) -> None:
    complaint = submit_complaint()

    response = bob_api.post(f"{_detail(complaint.reference)}transitions/", {"action": "reject"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["extra"] == {"field": "comment"}
    assert body["message"]
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["customer_replied", "teleport", ""])
def test_actions_staff_cannot_take_are_a_400(bob_api: APIClient, agent_bob: Any, action: str) -> None:
    complaint = submit_complaint()
    complaint_transition(complaint=complaint, action=Action.START, actor=agent_bob)
    complaint_transition(complaint=complaint, action=Action.REQUEST_INFO, actor=agent_bob, comment="Photo?")

    response = bob_api.post(f"{_detail(complaint.reference)}transitions/", {"action": action})

    assert response.status_code == 400
    assert list(response.json()) == ["action"]
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CUSTOMER


# --- schema and docs --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_openapi_schema_describes_the_complaints_api() -> None:
    response = APIClient().get("/api/schema/")

    assert response.status_code == 200
    assert "/api/v1/complaints/" in response.content.decode()


@pytest.mark.django_db
def test_the_api_docs_are_served_without_a_cdn() -> None:
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    for external in ("cdn.", "unpkg", "jsdelivr"):
        assert external not in html
