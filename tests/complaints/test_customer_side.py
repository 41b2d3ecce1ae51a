"""The customer's side beyond the basic form: double submission, abuse limits, follow-up questions, ratings,
reopening, offers and lost links."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from compensation.models import CompensationOffer, OfferStatus
from compensation.services import offer_propose
from complaints.models import Complaint, ComplaintEvent, Status
from complaints.services import complaint_assign, complaint_reply, complaint_transition
from complaints.tokens import tracking_path
from config.exceptions import ApplicationError
from notifications.models import Letter, LetterKind
from tests.factories import ProductFactory, closing_answers, submit_complaint

URL = "/complaints/new/"
FORM: dict[str, str] = {
    "name": "Alice Example",
    "email": "alice@example.com",
    "category": "defect",
    "description": "The kettle stopped working after two days.",
    "consent": "on",
}


def _token(client: Client) -> str:
    html = client.get(URL).content.decode()
    found = re.search(r'name="submission_token" value="([^"]+)"', html)
    assert found, "the form carries a one-time submission token"
    return found.group(1)


@pytest.mark.django_db
def test_a_resubmitted_form_returns_the_same_complaint(client: Client) -> None:
    data = {**FORM, "submission_token": _token(client)}

    first = client.post(URL, data)
    second = client.post(URL, data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Complaint.objects.count() == 1
    assert Letter.objects.filter(kind=LetterKind.ACKNOWLEDGEMENT).count() == 1


@pytest.mark.django_db
def test_consent_is_required_and_the_rest_is_kept(client: Client) -> None:
    response = client.post(URL, {**FORM, "consent": ""})

    html = response.content.decode()
    assert "We need your consent to handle the complaint." in html
    assert "The kettle stopped working after two days." in html
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_a_filled_honeypot_is_refused(client: Client) -> None:
    response = client.post(URL, {**FORM, "website": "http://spam.example"})

    assert response.status_code == 200
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_too_many_complaints_from_one_email_get_a_friendly_message(client: Client, settings: Any) -> None:
    settings.COMPLAINT_LIMIT_PER_EMAIL = 2
    statuses = [
        client.post(URL, {**FORM, "description": f"Problem number {n} with my kettle."}).status_code for n in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert Complaint.objects.count() == 2


@pytest.mark.django_db
def test_too_many_complaints_from_one_address_are_limited_in_russian(client: Client, settings: Any) -> None:
    settings.COMPLAINT_LIMIT_PER_IP = 1
    client.post(URL, FORM)
    response = client.post(URL, {**FORM, "email": "bob@example.com"}, headers={"accept-language": "ru"})

    assert response.status_code == 429
    assert "Вы отправили нам несколько жалоб" in response.content.decode() or "несколько" in response.content.decode()
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_an_outage_keeps_its_follow_up_answers_and_a_product_from_the_catalogue(client: Client) -> None:
    ProductFactory(code="web-hosting", name="Web Hosting Pro", kind="subscription")
    started = (timezone.localtime() - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        URL,
        {
            **FORM,
            "category": "service_outage",
            "product": "web-hosting",
            "outage_started_at": started,
            "outage_ongoing": "yes",
            "delivery_date": "2026-01-01",  # not asked for an outage: dropped
        },
    )

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.product is not None
    assert complaint.product.code == "web-hosting"
    assert complaint.details["outage_ongoing"] == "yes"
    assert complaint.details["outage_started_at"].startswith(started[:10])
    assert "delivery_date" not in complaint.details
    assert complaint.priority == "high"


@pytest.mark.django_db
def test_an_outage_start_in_the_future_is_an_error(client: Client) -> None:
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(URL, {**FORM, "category": "service_outage", "outage_started_at": future})

    assert "The start of the outage cannot be in the future." in response.content.decode()


def _resolved(agent: Any) -> Complaint:
    complaint = submit_complaint()
    complaint_assign(complaint=complaint, assignee=agent, actor=agent)
    complaint_reply(complaint=complaint, author=agent, body="We are sorry. A new kettle is on its way.")
    complaint_transition(
        complaint=complaint, action="resolve", actor=agent, comment="Replaced.", **closing_answers("resolve")
    )
    complaint.refresh_from_db()
    return complaint


@pytest.mark.django_db
def test_the_customer_rates_the_outcome_once(client: Client, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)
    page = tracking_path(complaint)

    assert "How did we do?" in client.get(page).content.decode()
    response = client.post(f"{page}rate/", {"rating": "4", "comment": "Quick and polite."}, follow=True)

    html = response.content.decode()
    assert "Thank you for your rating." in html
    assert "How did we do?" not in html
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment) == (4, "Quick and polite.")
    again = client.post(f"{page}rate/", {"rating": "1"})
    assert "already rated" in again.content.decode()
    complaint.refresh_from_db()
    assert complaint.rating == 4


@pytest.mark.django_db
def test_an_open_complaint_cannot_be_rated_yet(client: Client) -> None:
    complaint = submit_complaint()

    response = client.post(f"{tracking_path(complaint)}rate/", {"rating": "5"})

    assert "once your complaint is resolved" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.rating is None


@pytest.mark.django_db
def test_reopen_within_14_days_tells_the_assignee(
    client: Client, agent_bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    complaint = _resolved(agent_bob)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{tracking_path(complaint)}reopen/", {"reason": "The new kettle leaks too."}, follow=True
        )

    assert "Your complaint is open again" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    event = complaint.events.filter(kind=ComplaintEvent.Kind.STATUS_CHANGED).last()
    assert event is not None
    assert event.by_customer
    assert event.body == "The new kettle leaks too."
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["alice@example.com", agent_bob.email]  # reopened letter + the assignee's notice


@pytest.mark.django_db
def test_reopen_after_14_days_is_refused_kindly(client: Client, agent_bob: Any) -> None:
    complaint = _resolved(agent_bob)

    with time_machine.travel(timezone.now() + timedelta(days=15)):
        page = client.get(tracking_path(complaint)).content.decode()
        response = client.post(f"{tracking_path(complaint)}reopen/", {"reason": "Still broken."})

    assert "Reopen my complaint" not in page
    assert "can no longer be reopened here" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED


@pytest.mark.django_db
def test_a_reply_to_our_question_notifies_the_assignee(
    client: Client, agent_bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    complaint = submit_complaint()
    complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
    complaint_transition(complaint=complaint, action="start", actor=agent_bob)
    complaint_transition(complaint=complaint, action="request_info", actor=agent_bob, comment="Which model?")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{tracking_path(complaint)}reply/", {"body": "Model KT-200."})

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    notices = [message for message in mail.outbox if message.to == [agent_bob.email]]
    assert len(notices) == 1
    assert "Model KT-200." in notices[0].body
    assert f"/dashboard/complaints/{complaint.reference}/" in notices[0].body


@pytest.mark.django_db
def test_the_customer_accepts_an_offer(client: Client, agent_bob: Any, django_capture_on_commit_callbacks: Any) -> None:
    complaint = submit_complaint()
    complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_propose(
            complaint=complaint,
            actor=agent_bob,
            kind="service_credit",
            amount=Decimal("890.005"),
            currency="rub",
            reason="A month of free service for the outage.",
        )
    assert offer.amount == Decimal("890.01")
    assert offer.currency == "RUB"
    offer_letters = [m for m in mail.outbox if "890.01 RUB" in m.body]
    assert len(offer_letters) == 1
    assert offer_letters[0].to == ["alice@example.com"]
    page = client.get(tracking_path(complaint)).content.decode()
    assert "Accept the offer" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{tracking_path(complaint)}offer/", {"offer": offer.pk, "decision": "accept"}, follow=True
        )

    assert "We have recorded your answer" in response.content.decode()
    offer.refresh_from_db()
    # A service credit is recorded for billing as soon as it is accepted.
    assert offer.status == OfferStatus.FULFILLED
    assert offer.decided_at is not None
    assert complaint.events.filter(kind=ComplaintEvent.Kind.OFFER_ACCEPTED).count() == 1
    assert any(m.to == [agent_bob.email] and "accepted" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_declining_an_offer_asks_why(client: Client, agent_bob: Any) -> None:
    complaint = submit_complaint()
    offer = offer_propose(complaint=complaint, actor=agent_bob, kind="free_period", duration_days=30, reason="Sorry.")

    refused = client.post(f"{tracking_path(complaint)}offer/", {"offer": offer.pk, "decision": "decline"})
    assert "Please tell us why" in refused.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OFFERED

    client.post(
        f"{tracking_path(complaint)}offer/",
        {"offer": offer.pk, "decision": "decline", "reason": "I need a refund, not more service."},
    )
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert offer.decline_reason == "I need a refund, not more service."


@pytest.mark.django_db
def test_an_offer_of_another_complaint_cannot_be_answered(client: Client, agent_bob: Any) -> None:
    mine = submit_complaint()
    theirs = submit_complaint(email="bob@example.com", name="Bob")
    offer = offer_propose(complaint=theirs, actor=agent_bob, kind="voucher", amount=Decimal("500"), reason="Sorry.")

    response = client.post(f"{tracking_path(mine)}offer/", {"offer": offer.pk, "decision": "accept"})

    assert "no longer available" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OFFERED


@pytest.mark.django_db
def test_offer_rules(agent_bob: Any, outsider_dave: Any) -> None:
    complaint = submit_complaint()
    with pytest.raises(ApplicationError):
        offer_propose(complaint=complaint, actor=agent_bob, kind="refund", reason="Sorry.")
    with pytest.raises(ApplicationError):
        offer_propose(complaint=complaint, actor=agent_bob, kind="free_period", reason="Sorry.")
    with pytest.raises(ApplicationError):
        offer_propose(complaint=complaint, actor=outsider_dave, kind="repair", reason="Sorry.")
    assert CompensationOffer.objects.count() == 0


@pytest.mark.django_db
def test_lost_link_answers_the_same_whether_or_not_the_email_is_known(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    complaint = submit_complaint()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/track/lost/", {"email": "ALICE@example.com"})
        unknown = client.post("/track/lost/", {"email": "nobody@example.com"})

    def _notice(response: Any) -> str:
        found = re.search(r'data-testid="lost-link-sent">(.*?)</div>', response.content.decode(), re.S)
        assert found
        return found.group(1).replace("ALICE@example.com", "X").replace("nobody@example.com", "X")

    assert known.status_code == unknown.status_code == 200
    assert _notice(known) == _notice(unknown)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert tracking_path(complaint) in mail.outbox[0].body


@pytest.mark.django_db
def test_lost_link_is_rate_limited(client: Client, settings: Any) -> None:
    settings.LOST_LINK_LIMIT = 2
    statuses = [client.post("/track/lost/", {"email": f"x{n}@example.com"}).status_code for n in range(3)]

    assert statuses == [200, 200, 429]
