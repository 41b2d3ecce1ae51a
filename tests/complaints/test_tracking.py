"""The customer's private tracking page: /track/<signed token>/."""

import re
from typing import Any

import pytest
from django.test import Client

from complaints.models import Complaint, Status
from complaints.services import complaint_note_add, complaint_reply, complaint_transition
from complaints.tokens import tracking_path, tracking_token
from complaints.transitions import Action
from tests.factories import submit_complaint


def _status_shown(html: str) -> str:
    match = re.search(r'<strong data-testid="status">(.*?)</strong>', html)
    assert match, "no status on the page"
    return match.group(1)


def _timeline(html: str) -> str:
    match = re.search(r'<ol class="timeline" data-testid="timeline">(.*?)</ol>', html, re.S)
    assert match, "no timeline on the page"
    return match.group(1)


@pytest.mark.django_db
def test_the_page_shows_the_status_and_the_public_timeline_only(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint(description="The kettle leaks from the bottom.")
    complaint_note_add(complaint=complaint, author=agent_bob, body="Customer sounds angry; check batch 42 first.")
    complaint_reply(complaint=complaint, author=agent_bob, body="We are sorry. Could you send a photo?")

    response = client.get(tracking_path(complaint))

    html = response.content.decode()
    assert response.status_code == 200
    assert complaint.reference in html
    assert _status_shown(html) == "In progress"
    timeline = _timeline(html)
    assert "The kettle leaks from the bottom." in timeline
    assert "We are sorry. Could you send a photo?" in timeline
    assert "batch 42" not in html
    assert "angry" not in html


@pytest.mark.django_db
def test_staff_appear_by_first_name_only(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_reply(complaint=complaint, author=agent_bob, body="Looking into it now.")

    html = client.get(tracking_path(complaint)).content.decode()

    assert "Bob" in _timeline(html)
    assert "Agentson" not in html
    assert agent_bob.username not in _timeline(html)
    assert agent_bob.email not in html


@pytest.mark.django_db
def test_the_customer_can_write_and_sees_the_message_on_the_timeline(client: Client) -> None:
    complaint = submit_complaint()

    response = client.post(f"{tracking_path(complaint)}reply/", {"body": "I also have the receipt."}, follow=True)

    assert response.redirect_chain == [(tracking_path(complaint), 302)]
    html = response.content.decode()
    assert "Thank you. Your message is on its way to the team." in html
    assert "I also have the receipt." in _timeline(html)
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


@pytest.mark.django_db
def test_answering_our_question_puts_the_complaint_back_in_work(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    complaint_transition(complaint=complaint, action=Action.START, actor=agent_bob)
    complaint_transition(complaint=complaint, action=Action.REQUEST_INFO, actor=agent_bob, comment="Which model?")
    assert _status_shown(client.get(tracking_path(complaint)).content.decode()) == "Waiting for your reply"

    response = client.post(f"{tracking_path(complaint)}reply/", {"body": "Model KT-200."}, follow=True)

    html = response.content.decode()
    assert _status_shown(html) == "In progress"
    assert "Model KT-200." in _timeline(html)
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_message_is_a_field_error(client: Client, body: str) -> None:
    complaint = submit_complaint()

    response = client.post(f"{tracking_path(complaint)}reply/", {"body": body})

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_body_error"><li>[^<]+</li></ul>', html)
    assert complaint.events.count() == 1  # only "received"


def _flip(char: str) -> str:
    return "0" if char != "0" else "1"


@pytest.mark.django_db
def test_a_tampered_token_is_not_found(client: Client) -> None:
    complaint = submit_complaint()
    token = tracking_token(complaint)
    public_hex, signature = token.split(":")
    tampered_signature = f"{public_hex}:{signature[:-1]}{_flip(signature[-1])}"
    tampered_id = f"{public_hex[:-1]}{_flip(public_hex[-1])}:{signature}"

    assert client.get(f"/track/{token}/").status_code == 200
    for bad in (tampered_signature, tampered_id, public_hex, "nonsense", f"{token}x"):
        assert client.get(f"/track/{bad}/").status_code == 404, bad
        assert client.post(f"/track/{bad}/reply/", {"body": "hello"}).status_code == 404, bad
    assert complaint.events.count() == 1


@pytest.mark.django_db
def test_one_complaint_s_link_never_shows_another(client: Client) -> None:
    first = submit_complaint(email="alice@example.com", description="Alice's kettle is broken.")
    second = submit_complaint(email="bob@example.org", name="Bob Customer", description="Bob's toaster burns toast.")

    first_html = client.get(tracking_path(first)).content.decode()
    second_html = client.get(tracking_path(second)).content.decode()

    assert first.reference in first_html
    assert second.reference not in first_html
    assert "toaster" not in first_html
    assert second.reference in second_html
    assert first.reference not in second_html
    assert "kettle" not in second_html


@pytest.mark.django_db
def test_a_reply_through_one_link_lands_on_that_complaint_only(client: Client) -> None:
    first = submit_complaint(email="alice@example.com")
    second = submit_complaint(email="bob@example.org")

    client.post(f"{tracking_path(first)}reply/", {"body": "For the first one."})

    assert Complaint.objects.get(pk=first.pk).events.filter(body="For the first one.").exists()
    assert not Complaint.objects.get(pk=second.pk).events.filter(body="For the first one.").exists()
