"""Complaints from customers an incident affected: linked to it on submission, and both the staff page and the
customer's tracking page say what was already given."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from compensation.incidents.services import incident_compensate
from complaints.models import ComplaintEvent
from complaints.tokens import tracking_path
from tests.factories import CustomerFactory, declare_incident, submit_complaint, subscription, subscription_product

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture
def outage(manager_carol: Any, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    hosting = subscription_product("hosting")
    alice = CustomerFactory(email="alice@example.com", name="Alice Example", language="en")
    subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=alice)
    bystander = CustomerFactory(email="other@example.com", name="Other")
    subscription(product=hosting, service_start=MARCH[0], service_end=START, customer=bystander)
    with time_machine.travel(END + timedelta(hours=2), tick=False):
        incident = declare_incident(actor=manager_carol, products=[hosting], started_at=START, ended_at=END)
        with django_capture_on_commit_callbacks(execute=True):
            incident_compensate(incident=incident, actor=manager_carol)
    return {"incident": incident}


def test_a_complaint_from_an_affected_customer_is_linked_to_the_incident(outage: dict[str, Any]) -> None:
    with time_machine.travel(END + timedelta(days=1), tick=False):
        complaint = submit_complaint(email="alice@example.com", category="service_outage", description="Site down!")

    assert complaint.incident_id == outage["incident"].pk
    event = complaint.events.get(kind=ComplaintEvent.Kind.FIELD_CHANGED)
    assert event.author is None
    assert event.data["to"] == "Storage array failure"
    assert "Affected by the outage" in event.body


def test_a_complaint_from_someone_else_or_long_after_is_not_linked(outage: dict[str, Any]) -> None:
    with time_machine.travel(END + timedelta(days=1), tick=False):
        other = submit_complaint(email="other@example.com", description="Unrelated.")
    with time_machine.travel(END + timedelta(days=30), tick=False):
        late = submit_complaint(email="alice@example.com", description="Another thing.")

    assert other.incident_id is None
    assert late.incident_id is None


def test_the_tracking_page_says_we_already_apologised_and_credited(outage: dict[str, Any], client: Client) -> None:
    with time_machine.travel(END + timedelta(days=1), tick=False):
        complaint = submit_complaint(email="alice@example.com", description="Site down!")

    html = client.get(tracking_path(complaint), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "We have already apologised for this outage and credited 3.87 RUB to your account." in html


def test_the_tracking_page_says_it_in_russian(outage: dict[str, Any], client: Client) -> None:
    with time_machine.travel(END + timedelta(days=1), tick=False):
        complaint = submit_complaint(email="alice@example.com", description="Сайт не работал", language="ru")

    html = client.get(tracking_path(complaint), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    with translation.override("ru"):
        expected = translation.gettext(
            "We have already apologised for this outage and credited %(amount)s to your account."
        ) % {"amount": "3.87 RUB"}
    assert '<html lang="ru">' in html
    assert expected in html


def test_the_staff_page_shows_what_was_already_given(outage: dict[str, Any], client: Client, agent_bob: Any) -> None:
    with time_machine.travel(END + timedelta(days=1), tick=False):
        complaint = submit_complaint(email="alice@example.com", description="Site down!")
    client.force_login(agent_bob)

    html = client.get(reverse("dashboard:complaint", args=[complaint.reference])).content.decode()

    assert "Already given: apology sent" in html
    assert "credit 3.87 RUB." in html
