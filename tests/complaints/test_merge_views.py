"""Merging and linking as staff and customers see it: the staff complaint page, the customer's tracking page and
the API."""

import html as html_lib
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent, RootCause, Status
from complaints.services import (
    complaint_customer_reply,
    complaint_link,
    complaint_merge,
    complaint_note_add,
    complaint_reply,
    complaint_transition,
)
from complaints.tokens import tracking_path, tracking_url
from complaints.transitions import Action
from tests.factories import submit_complaint


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _messages(html: str) -> list[str]:
    return re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)


def _section(html: str, testid: str, tag: str = "ul") -> str:
    match = re.search(rf'<{tag}[^>]* data-testid="{testid}"[^>]*>(.*?)</{tag}>', html, re.S)
    assert match, f"no {testid} on the page"
    return match.group(1)


def _pair(**overrides: Any) -> tuple[Complaint, Complaint]:
    target = submit_complaint(description="The kettle stopped working after two days.", **overrides)
    duplicate = submit_complaint(description="Wrote before: the kettle is still broken.", **overrides)
    return target, duplicate


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


# --- the staff complaint page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_merge_a_duplicate_from_its_page(bob_client: Client) -> None:
    target, duplicate = _pair()
    page = bob_client.get(_page(duplicate.reference)).content.decode()
    assert 'data-testid="merge-form"' in page

    response = bob_client.post(
        f"{_page(duplicate.reference)}merge/", {"into": target.reference.lower(), "note": "Same kettle."}, follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain == [(_page(duplicate.reference), 302)]
    assert _messages(html) == [f"Merged into {target.reference}. The customer has been told by letter."]
    banner = _section(html, "merged-into", "p")
    assert f'href="{_page(target.reference)}"' in banner
    assert f"Merged into {target.reference}" in banner
    assert 'data-testid="merge-form"' not in html  # a merged complaint is closed: nothing more to merge
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, target)


@pytest.mark.django_db
def test_the_target_shows_the_duplicates_timeline_and_letters_marked_with_its_reference(
    bob_client: Client, agent_bob: Any
) -> None:
    target, duplicate = _pair()
    complaint_reply(complaint=duplicate, author=agent_bob, body="Sorry, we are checking the batch.")
    complaint_note_add(complaint=duplicate, author=agent_bob, body="Batch 42 again.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob, note="Same kettle, same week.")

    html = bob_client.get(_page(target.reference)).content.decode()

    timeline = _section(html, "timeline", "ol")
    for text in ("Wrote before: the kettle is still broken.", "Sorry, we are checking the batch.", "Batch 42 again."):
        assert text in timeline
    assert "The kettle stopped working after two days." in timeline
    assert "Same kettle, same week." in timeline
    assert f"{duplicate.reference} → {target.reference}" in timeline
    marker = f"from {duplicate.reference}"
    # The duplicate's received, started, reply, note, closed and merged events; none of the target's own.
    assert timeline.count(marker) == 6
    letters = _section(html, "letters")
    assert letters.count(marker) == 3  # its acknowledgement, the reply and the "merged" letter
    assert f"Your complaint {duplicate.reference} is now part of {target.reference}" in letters
    duplicates = _section(html, "merged-duplicates")
    assert f'href="{_page(duplicate.reference)}"' in duplicates
    # The duplicate's own page shows its own timeline only.
    own = _section(bob_client.get(_page(duplicate.reference)).content.decode(), "timeline", "ol")
    assert "The kettle stopped working after two days." not in own
    assert "from RC-" not in own


def _target_with_duplicates(agent: Any, count: int) -> Complaint:
    target = submit_complaint(description="The first one.")
    for i in range(count):
        duplicate = submit_complaint(description=f"Duplicate {i}.")
        complaint_reply(complaint=duplicate, author=agent, body=f"Reply {i}.")
        complaint_note_add(complaint=duplicate, author=agent, body=f"Note {i}.")
        complaint_customer_reply(complaint=duplicate, body=f"Answer {i}.")
        complaint_merge(duplicate=duplicate, into=target, actor=agent)
        other = submit_complaint(email=f"neighbour{i}@example.com")
        complaint_link(complaint=target, other=other.reference, actor=agent)
    return target


@pytest.mark.django_db
def test_the_target_page_costs_the_same_queries_however_many_duplicates(
    bob_client: Client, agent_bob: Any, django_assert_max_num_queries: Any
) -> None:
    one = _target_with_duplicates(agent_bob, 1)
    with CaptureQueriesContext(connection) as small:
        bob_client.get(_page(one.reference))
    many = _target_with_duplicates(agent_bob, 6)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = bob_client.get(_page(many.reference))

    html = response.content.decode()
    assert "Note 5." in html
    assert _section(html, "merged-duplicates").count("<li>") == 6
    assert _section(html, "related").count("<li>") == 6


@pytest.mark.django_db
def test_an_unknown_target_reference_is_refused_and_the_input_kept(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(
        f"{_page(complaint.reference)}merge/", {"into": "RC-1999-000001", "note": "Looks the same to me."}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert _messages(html) == [html_lib.escape("There is no complaint with the reference number “RC-1999-000001”.")]
    assert 'name="into" maxlength="20" required placeholder="RC-" value="RC-1999-000001"' in html
    assert ">Looks the same to me.</textarea>" in html
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_another_customers_complaint_cannot_be_merged_and_the_page_says_to_link(bob_client: Client) -> None:
    theirs = submit_complaint(email="other.customer@example.com")
    mine = submit_complaint()

    response = bob_client.post(f"{_page(mine.reference)}merge/", {"into": theirs.reference})

    assert response.status_code == 200
    html = response.content.decode()
    (message,) = _messages(html)
    assert "link them as related instead" in message
    assert f'value="{theirs.reference}"' in html
    mine.refresh_from_db()
    assert (mine.status, mine.merged_into) == (Status.NEW, None)


@pytest.mark.django_db
def test_merging_into_a_merged_complaint_is_refused_on_the_page(bob_client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    third = submit_complaint(description="And again.")
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    response = bob_client.post(f"{_page(third.reference)}merge/", {"into": duplicate.reference})

    assert response.status_code == 200
    html = response.content.decode()
    assert _messages(html) == [
        f"{duplicate.reference} was itself merged into {target.reference}: merge into {target.reference} instead."
    ]
    assert f'value="{duplicate.reference}"' in html


@pytest.mark.django_db
def test_a_closed_complaint_cannot_be_merged_and_the_input_is_kept(bob_client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_transition(
        complaint=duplicate, action=Action.REJECT, actor=agent_bob, comment="No.", root_cause=RootCause.NO_FAULT
    )
    assert 'data-testid="merge-form"' not in bob_client.get(_page(duplicate.reference)).content.decode()

    response = bob_client.post(f"{_page(duplicate.reference)}merge/", {"into": target.reference})

    assert response.status_code == 200
    html = response.content.decode()
    assert _messages(html) == [
        html_lib.escape(f"{duplicate.reference} is “Declined”: only an open complaint can be merged into another.")
    ]
    assert f'value="{target.reference}"' in html


@pytest.mark.django_db
def test_an_empty_merge_form_is_refused(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}merge/", {"into": "", "note": "Kept."})

    assert response.status_code == 200
    assert _messages(response.content.decode()) == ["Enter the reference number of the complaint to merge into."]
    assert ">Kept.</textarea>" in response.content.decode()


@pytest.mark.django_db
def test_staff_link_and_unlink_related_complaints_from_the_page(bob_client: Client) -> None:
    mine = submit_complaint()
    theirs = submit_complaint(email="other.customer@example.com", name="Oleg Neighbour")

    response = bob_client.post(f"{_page(mine.reference)}links/", {"other": theirs.reference}, follow=True)

    html = response.content.decode()
    assert _messages(html) == [f"Linked with {theirs.reference}."]
    related = _section(html, "related")
    assert f'href="{_page(theirs.reference)}"' in related
    assert "Oleg Neighbour" in related
    assert "New" in related
    assert f'<input type="hidden" name="other" value="{theirs.reference}">' in related
    assert mine.reference in _section(bob_client.get(_page(theirs.reference)).content.decode(), "related")
    timeline = _section(html, "timeline", "ol")
    assert "Linked" in timeline
    assert theirs.reference in timeline

    response = bob_client.post(f"{_page(mine.reference)}links/remove/", {"other": theirs.reference}, follow=True)

    html = response.content.decode()
    assert _messages(html) == [f"No longer linked with {theirs.reference}."]
    assert theirs.reference not in _section(html, "related")
    assert "Link removed" in _section(html, "timeline", "ol")


@pytest.mark.django_db
def test_linking_an_unknown_reference_keeps_the_input(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}links/", {"other": "RC-1999-000077"})

    assert response.status_code == 200
    html = response.content.decode()
    assert _messages(html) == [html_lib.escape("There is no complaint with the reference number “RC-1999-000077”.")]
    assert 'id="link-other" name="other" maxlength="20" required placeholder="RC-" value="RC-1999-000077"' in html


@pytest.mark.django_db
def test_an_outsider_cannot_merge_or_link(client: Client, outsider_dave: Any) -> None:
    target, duplicate = _pair()
    client.force_login(outsider_dave)

    assert client.post(f"{_page(duplicate.reference)}merge/", {"into": target.reference}).status_code == 403
    assert client.post(f"{_page(duplicate.reference)}links/", {"other": target.reference}).status_code == 403
    assert client.post(f"{_page(duplicate.reference)}links/remove/", {"other": target.reference}).status_code == 403

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into, list(duplicate.related.all())) == (Status.NEW, None, [])


@pytest.mark.django_db
def test_the_queue_does_not_list_a_merged_duplicate_as_open(bob_client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    html = bob_client.get("/dashboard/").content.decode()

    assert _page(target.reference) in html
    assert _page(duplicate.reference) not in html


# --- the customer's tracking page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_duplicates_tracking_page_points_to_the_target(client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob, note="Internal: batch 42.")

    html = client.get(tracking_path(duplicate)).content.decode()

    banner = _section(html, "merged-into", "div")
    assert f"This complaint was merged into {target.reference}" in banner
    assert f'href="{tracking_url(target)}"' in banner
    assert f"Merged into {target.reference}" in _section(html, "timeline", "ol")
    assert f"Your message will be added to complaint {target.reference}." in html
    assert 'data-testid="rating-form"' not in html
    assert "batch 42" not in html
    # The target's own page has no such banner.
    assert 'data-testid="merged-into"' not in client.get(tracking_path(target)).content.decode()


@pytest.mark.django_db
def test_a_message_written_on_the_duplicate_lands_on_the_target(client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    response = client.post(f"{tracking_path(duplicate)}reply/", {"body": "Any news about my kettle?"}, follow=True)

    assert response.redirect_chain == [(tracking_path(target), 302)]
    html = response.content.decode()
    assert _messages(html) == [
        f"Thank you. Your complaint was merged into {target.reference}, so we added your message there."
    ]
    assert "Any news about my kettle?" in _section(html, "timeline", "ol")
    messages_on = {
        complaint.reference: list(
            complaint.events.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE).values_list("body", flat=True)
        )
        for complaint in (target, duplicate)
    }
    assert messages_on == {target.reference: ["Any news about my kettle?"], duplicate.reference: []}


@pytest.mark.django_db
def test_an_empty_message_on_the_duplicate_is_refused_on_its_own_page(client: Client, agent_bob: Any) -> None:
    target, duplicate = _pair()
    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)

    response = client.post(f"{tracking_path(duplicate)}reply/", {"body": "  "})

    assert response.status_code == 200
    assert 'data-testid="merged-into"' in response.content.decode()
    assert not ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.CUSTOMER_MESSAGE).exists()


# --- the API ----------------------------------------------------------------------------------------------


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _url(reference: str, what: str = "") -> str:
    return f"/api/v1/complaints/{reference}/{what}"


@pytest.mark.django_db
def test_the_api_merges_and_the_detail_shows_it(agent_bob: Any) -> None:
    target, duplicate = _pair()
    api = _api(agent_bob)

    response = api.post(_url(duplicate.reference, "merge/"), {"into": target.reference, "note": "Same."}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "reference": duplicate.reference,
        "status": "closed",
        "merged_into": target.reference,
        "related": [],
    }
    assert api.get(_url(duplicate.reference)).json()["merged_into"] == target.reference
    body = api.get(_url(target.reference)).json()
    assert (body["merged_into"], body["related"]) == (None, [])


@pytest.mark.django_db
def test_api_merge_refusals_are_400_or_409_naming_the_field(agent_bob: Any) -> None:
    target, duplicate = _pair()
    stranger = submit_complaint(email="other.customer@example.com")
    api = _api(agent_bob)

    missing = api.post(_url(duplicate.reference, "merge/"), {}, format="json")
    unknown = api.post(_url(duplicate.reference, "merge/"), {"into": "RC-1999-000001"}, format="json")
    other_customer = api.post(_url(duplicate.reference, "merge/"), {"into": stranger.reference}, format="json")
    itself = api.post(_url(duplicate.reference, "merge/"), {"into": duplicate.reference}, format="json")

    assert (missing.status_code, list(missing.json())) == (400, ["into"])
    for response in (unknown, other_customer, itself):
        assert response.status_code == 400
        assert response.json()["extra"] == {"field": "into"}
        assert response.json()["code"] == "invalid"

    complaint_merge(duplicate=duplicate, into=target, actor=agent_bob)
    again = api.post(_url(duplicate.reference, "merge/"), {"into": target.reference}, format="json")
    into_merged = api.post(_url(stranger.reference, "merge/"), {"into": duplicate.reference}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "transition_not_allowed")
    assert (into_merged.status_code, into_merged.json()["extra"]["field"]) == (400, "into")  # another customer's
    third = submit_complaint(description="Third.")
    into_merged = api.post(_url(third.reference, "merge/"), {"into": duplicate.reference}, format="json")
    assert (into_merged.status_code, into_merged.json()["extra"]["field"]) == (409, "into")


@pytest.mark.django_db
def test_the_plain_transition_endpoint_refuses_a_merge(agent_bob: Any) -> None:
    complaint = submit_complaint()

    response = _api(agent_bob).post(_url(complaint.reference, "transitions/"), {"action": "merge"}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == "Use merge: it needs the complaint to merge into."
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_the_api_links_and_unlinks_idempotently(agent_bob: Any) -> None:
    mine = submit_complaint()
    theirs = submit_complaint(email="other.customer@example.com")
    api = _api(agent_bob)

    first = api.post(_url(mine.reference, "links/"), {"other": theirs.reference}, format="json")
    second = api.post(_url(mine.reference, "links/"), {"other": theirs.reference}, format="json")

    assert first.status_code == second.status_code == 200
    assert first.json()["related"] == second.json()["related"] == [theirs.reference]
    assert api.get(_url(theirs.reference)).json()["related"] == [mine.reference]
    assert mine.events.filter(kind=ComplaintEvent.Kind.LINKED).count() == 1

    removed = api.delete(_url(mine.reference, "links/"), {"other": theirs.reference}, format="json")
    assert (removed.status_code, removed.json()["related"]) == (200, [])
    complaint_link(complaint=mine, other=theirs.reference, actor=agent_bob)
    by_query = api.delete(f"{_url(mine.reference, 'links/')}?other={theirs.reference}")
    assert (by_query.status_code, by_query.json()["related"]) == (200, [])

    refused = api.post(_url(mine.reference, "links/"), {"other": mine.reference}, format="json")
    assert (refused.status_code, refused.json()["extra"]) == (400, {"field": "other"})


@pytest.mark.django_db
def test_only_staff_who_handle_complaints_can_merge_or_link(outsider_dave: Any) -> None:
    target, duplicate = _pair()
    api = _api(outsider_dave)

    assert api.post(_url(duplicate.reference, "merge/"), {"into": target.reference}, format="json").status_code == 403
    assert api.post(_url(duplicate.reference, "links/"), {"other": target.reference}, format="json").status_code == 403
    assert APIClient().post(_url(duplicate.reference, "merge/"), {"into": target.reference}).status_code in (401, 403)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


@pytest.mark.django_db
def test_the_openapi_schema_describes_merge_and_links() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    merge = schema["paths"]["/api/v1/complaints/{reference}/merge/"]["post"]
    links = schema["paths"]["/api/v1/complaints/{reference}/links/"]
    assert merge["operationId"] == "complaint_merge"
    assert {"200", "400", "409"} <= set(merge["responses"])
    assert links["post"]["operationId"] == "complaint_link"
    assert links["delete"]["operationId"] == "complaint_unlink"
    assert "other" in [parameter["name"] for parameter in links["delete"]["parameters"]]
    detail = schema["components"]["schemas"]["ComplaintDetail"]["properties"]
    assert {"merged_into", "related"} <= set(detail)
