# ruff: noqa: RUF001 - the Russian replies and dates are meant to be Cyrillic.
"""The reply composer: canned responses filled in for a complaint, and the apology check around sending."""

import html as html_lib
import re
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from complaints.canned import canned_groups, canned_list, canned_render
from complaints.models import CannedResponse, Complaint, ComplaintEvent
from customers.models import Customer
from tests.factories import submit_complaint

GOOD_REPLY = "We are sorry: this is our fault. A new kettle will be with you by Friday."
POOR_REPLY = "You should have read the manual."


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _messages(html: str) -> list[str]:
    return re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)


def _reply_textarea(html: str) -> str:
    match = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no reply textarea"
    return html_lib.unescape(match.group(1))


def _hint_codes(html: str) -> list[str]:
    region = re.search(r'<div id="reply-hints"[^>]*aria-live="polite"[^>]*>(.*?)</div>', html, re.S)
    assert region, "no live region for the hints"
    return re.findall(r'data-code="(\w+)"', region.group(1))


def _canned(title: str, body: str, *, language: str = "en", is_active: bool = True) -> CannedResponse:
    return CannedResponse.objects.create(title=title, body=body, language=language, is_active=is_active)


def _unsaved_complaint(**overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "reference": "RC-2026-000042",
        "customer": Customer(name="Alice Example", email="alice@example.com"),
        "language": "en",
        "resolution_due": None,
    }
    fields.update(overrides)
    return Complaint(**fields)


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


# --- filling in a canned response ----------------------------------------------------------------------------


def test_the_placeholders_are_filled_in() -> None:
    canned = CannedResponse(body="Dear {name}, about {reference}: sorry. {agent}", language="en")
    agent = User(username="bob", first_name="Bob", last_name="Agentson")

    text = canned_render(canned=canned, complaint=_unsaved_complaint(), agent=agent)

    assert text == "Dear Alice Example, about RC-2026-000042: sorry. Bob"


@pytest.mark.parametrize(
    "body",
    [
        "Hello {customer}, {0} {} { name } {{name}} {name.__class__} {name!r} {due:%Y} } {",
        "Unbalanced {reference",
        "%(name)s $name {{",
    ],
)
def test_unknown_braces_are_left_as_written(body: str) -> None:
    canned = CannedResponse(body=body, language="en")

    text = canned_render(canned=canned, complaint=_unsaved_complaint(), agent=User(username="bob"))

    assert text == body.replace("{{name}}", "{Alice Example}")


def test_a_due_time_not_set_yet_stays_a_placeholder_for_the_agent_to_fill() -> None:
    canned = CannedResponse(body="By {due}.", language="en")

    assert canned_render(canned=canned, complaint=_unsaved_complaint(), agent=User(username="bob")) == "By {due}."


def test_the_agent_without_a_first_name_signs_with_the_username() -> None:
    canned = CannedResponse(body="{agent}", language="en")

    assert canned_render(canned=canned, complaint=_unsaved_complaint(), agent=User(username="bob")) == "bob"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "12 марта 2026 г. 9:30"), ("en", "March 12, 2026, 9:30 a.m.")],
)
def test_the_due_time_is_written_in_the_complaints_language(language: str, expected: str) -> None:
    due = datetime.fromisoformat("2026-03-12T09:30:00+00:00")
    canned = CannedResponse(body="до {due}", language=language)

    text = canned_render(
        canned=canned, complaint=_unsaved_complaint(language=language, resolution_due=due), agent=User(username="b")
    )

    assert text == f"до {expected}"


@pytest.mark.django_db
def test_the_list_holds_active_responses_with_the_complaints_language_first() -> None:
    english = _canned("A reply", "Sorry.")
    russian = _canned("Ответ", "Извините.", language="ru")
    retired = _canned("Old reply", "Sorry.", is_active=False)

    mine = {english.pk, russian.pk, retired.pk}
    assert [c.pk for c in canned_list() if c.pk in mine] == [english.pk, russian.pk]
    assert [c.pk for c in canned_list(first="ru") if c.pk in mine] == [russian.pk, english.pk]
    assert [c.pk for c in canned_list(language="ru") if c.pk in mine] == [russian.pk]
    assert [group.language for group in canned_groups(first="ru")] == ["ru", "en"]


# --- who may use the composer ------------------------------------------------------------------------------


def _composer_requests(client: Client, reference: str, canned_id: int) -> list[Any]:
    return [
        client.get(f"{_page(reference)}canned/{canned_id}/"),
        client.post(f"{_page(reference)}apology-check/", {"body": POOR_REPLY}),
        client.post(f"{_page(reference)}reply/checked/", {"body": GOOD_REPLY}),
    ]


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    complaint = submit_complaint()
    canned = _canned("A reply", "Sorry, {name}.")

    for response in _composer_requests(client, complaint.reference, canned.pk):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()


@pytest.mark.django_db
def test_an_outsider_is_forbidden(client: Client, outsider_dave: Any) -> None:
    complaint = submit_complaint()
    canned = _canned("A reply", "Sorry, {name}.")
    client.force_login(outsider_dave)

    assert [r.status_code for r in _composer_requests(client, complaint.reference, canned.pk)] == [403, 403, 403]
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()


@pytest.mark.django_db
def test_an_unknown_complaint_or_response_is_not_found(bob_client: Client) -> None:
    complaint = submit_complaint()
    retired = _canned("Old", "Sorry.", is_active=False)

    assert bob_client.get(f"{_page('RC-1999-000001')}canned/{retired.pk}/").status_code == 404
    assert bob_client.get(f"{_page(complaint.reference)}canned/{retired.pk}/").status_code == 404
    assert bob_client.post(f"{_page('RC-1999-000001')}apology-check/", {"body": "x"}).status_code == 404


# --- the JSON endpoints (the composer with JavaScript) -----------------------------------------------------------


@pytest.mark.django_db
def test_a_canned_response_comes_filled_in_for_the_complaint(bob_client: Client) -> None:
    complaint = submit_complaint()
    canned = _canned("Replacement", "Dear {name}, we are sorry. {reference} {agent} {unknown}")

    response = bob_client.get(f"{_page(complaint.reference)}canned/{canned.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": canned.pk,
        "title": "Replacement",
        "language": "en",
        "text": f"Dear Alice Example, we are sorry. {complaint.reference} Bob {{unknown}}",
    }


@pytest.mark.django_db
def test_the_apology_check_returns_its_hints(bob_client: Client) -> None:
    complaint = submit_complaint()
    url = f"{_page(complaint.reference)}apology-check/"

    poor = bob_client.post(url, {"body": "Вы должны были прочитать инструкцию."}).json()
    good = bob_client.post(url, {"body": GOOD_REPLY}).json()

    assert poor["language"] == "ru"
    assert [hint["code"] for hint in poor["hints"]] == ["no_apology", "blames_customer", "no_next_step"]
    assert poor["hints"][1]["phrase"] == "вы должны были"
    assert all(hint["message"] for hint in poor["hints"])
    assert good == {"language": "en", "hints": []}


@pytest.mark.django_db
def test_the_apology_check_needs_a_post_with_the_csrf_token(agent_bob: Any) -> None:
    complaint = submit_complaint()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_bob)
    url = f"{_page(complaint.reference)}apology-check/"

    assert client.get(url).status_code == 405
    assert client.post(url, {"body": POOR_REPLY}).status_code == 403

    page = client.get(_page(complaint.reference)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = client.post(url, {"body": POOR_REPLY}, headers={"X-CSRFToken": token.group(1)})
    assert response.status_code == 200
    assert "blames_customer" in [hint["code"] for hint in response.json()["hints"]]


# --- the complaint page (the composer without JavaScript) ----------------------------------------------------


@pytest.mark.django_db
def test_the_page_offers_canned_responses_in_both_languages_the_complaints_first(bob_client: Client) -> None:
    complaint = submit_complaint(language="ru")
    _canned("Replacement", "Sorry.")
    _canned("Замена", "Извините.", language="ru")

    html = bob_client.get(_page(complaint.reference)).content.decode()

    picker = re.search(r'<form method="get"[^>]*data-canned-picker>(.*?)</form>', html, re.S)
    assert picker, "no canned response picker"
    assert re.findall(r'<optgroup label="([^"]+)">', picker.group(1)) == ["Russian", "English"]
    assert ">Замена</option>" in picker.group(1)
    assert ">Replacement</option>" in picker.group(1)
    assert '<button type="submit">Insert</button>' in picker.group(1)
    assert f'action="{_page(complaint.reference)}reply/checked/"' in html
    assert 'aria-live="polite"' in html


@pytest.mark.django_db
def test_insert_without_javascript_starts_the_reply_from_the_response(bob_client: Client) -> None:
    complaint = submit_complaint()
    canned = _canned("Replacement", "Dear {name}, we are sorry <for> {reference}. {agent}")

    html = bob_client.get(_page(complaint.reference), {"canned": canned.pk}).content.decode()

    assert _reply_textarea(html) == f"Dear Alice Example, we are sorry <for> {complaint.reference}. Bob"
    assert "<for>" not in html, "the response's text is escaped in the page"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["not-a-number", "999999999", ""])
def test_an_unusable_canned_choice_leaves_the_reply_empty(bob_client: Client, value: str) -> None:
    complaint = submit_complaint()

    response = bob_client.get(_page(complaint.reference), {"canned": value})

    assert response.status_code == 200
    assert _reply_textarea(response.content.decode()) == ""


@pytest.mark.django_db
def test_a_retired_canned_response_is_not_inserted(bob_client: Client) -> None:
    complaint = submit_complaint()
    retired = _canned("Old", "Old text", is_active=False)

    html = bob_client.get(_page(complaint.reference), {"canned": retired.pk}).content.decode()

    assert _reply_textarea(html) == ""
    assert ">Old</option>" not in html


@pytest.mark.django_db
def test_a_good_reply_goes_straight_through(bob_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(f"{_page(complaint.reference)}reply/checked/", {"body": GOOD_REPLY})

    assert response.status_code == 302
    assert response["Location"] == _page(complaint.reference)
    assert "Reply sent to the customer." in _messages(bob_client.get(response["Location"]).content.decode())
    assert [m.to for m in mail.outbox if GOOD_REPLY in m.body] == [["alice@example.com"]]


@pytest.mark.django_db
def test_a_reply_with_hints_is_held_back_with_the_text_and_the_hints(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}reply/checked/", {"body": POOR_REPLY})

    assert response.status_code == 200
    html = response.content.decode()
    assert _messages(html) == [
        html_lib.escape(
            "Not sent yet: have a look at the advice beside the reply. Tick “Send anyway” to send it as it is."
        )
    ]
    assert _reply_textarea(html) == POOR_REPLY
    assert _hint_codes(html) == ["no_apology", "blames_customer", "no_next_step"]
    assert re.search(
        r'<p class="confirm-send" data-confirm-send>\s*<input type="checkbox"[^>]*name="confirm_send"', html
    )
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()
    assert not complaint.letters.filter(kind="reply").exists()


@pytest.mark.django_db
def test_send_anyway_sends_the_reply_as_written(bob_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            f"{_page(complaint.reference)}reply/checked/", {"body": POOR_REPLY, "confirm_send": "1"}
        )

    assert response.status_code == 302
    assert complaint.events.get(kind=ComplaintEvent.Kind.STAFF_REPLY).body == POOR_REPLY
    assert [m.to for m in mail.outbox if POOR_REPLY in m.body] == [["alice@example.com"]]


@pytest.mark.django_db
def test_the_send_anyway_box_stays_out_of_the_way_until_there_is_advice(bob_client: Client) -> None:
    complaint = submit_complaint()

    html = bob_client.get(_page(complaint.reference)).content.decode()

    assert '<p class="confirm-send" data-confirm-send hidden>' in html
    assert _hint_codes(html) == []


@pytest.mark.django_db
def test_an_empty_reply_is_refused_by_the_reply_view(bob_client: Client) -> None:
    complaint = submit_complaint()

    response = bob_client.post(f"{_page(complaint.reference)}reply/checked/", {"body": "  "})

    assert "The reply is empty or too long." in _messages(response.content.decode())
    assert not complaint.events.filter(kind=ComplaintEvent.Kind.STAFF_REPLY).exists()


@pytest.mark.django_db
def test_a_russian_reply_on_an_english_complaint_is_checked_in_russian(bob_client: Client) -> None:
    complaint = submit_complaint(language="en")

    response = bob_client.post(f"{_page(complaint.reference)}reply/checked/", {"body": "Это ваша вина."})

    assert _hint_codes(response.content.decode()) == ["no_apology", "blames_customer", "no_next_step"]


@pytest.mark.django_db
def test_inserting_a_canned_response_costs_one_query_more(
    bob_client: Client, django_assert_max_num_queries: Any
) -> None:
    from tests.complaints.test_dashboard import DETAIL_MAX_QUERIES

    complaint = submit_complaint()
    canned = _canned("Replacement", "Dear {name}, sorry.")

    with django_assert_max_num_queries(DETAIL_MAX_QUERIES + 1):
        response = bob_client.get(_page(complaint.reference), {"canned": canned.pk})

    assert _reply_textarea(response.content.decode()) == "Dear Alice Example, sorry."


@pytest.mark.django_db
def test_the_due_time_in_a_russian_complaints_response(bob_client: Client) -> None:
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        complaint = submit_complaint(language="ru")
    canned = _canned("Срок", "Решим до {due}.", language="ru")

    text = bob_client.get(f"{_page(complaint.reference)}canned/{canned.pk}/").json()["text"]

    assert re.fullmatch(r"Решим до \d{1,2} марта 2026 г\. \d{1,2}:\d{2}\.", text)


@pytest.mark.django_db
def test_a_viewer_who_may_not_reply_is_refused_not_a_server_error(client: Client) -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer: Any = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    client.force_login(viewer)
    complaint = submit_complaint()

    response = client.post(f"{_page(complaint.reference)}apology-check/", {"body": "Sorry, a refund is on its way."})

    assert response.status_code == 403
