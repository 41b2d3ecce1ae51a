"""The incident pages of the dashboard: who may see and do what, what they show, and bounded queries."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from compensation.incidents.services import incident_compensate
from compensation.models import Incident, IncidentRun
from tests.factories import CustomerFactory, declare_incident, submit_complaint, subscription, subscription_product

START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def _outage(lead: Any, customers: int, code: str = "hosting") -> Incident:
    hosting = subscription_product(code)
    for n in range(customers):
        customer = CustomerFactory(email=f"{code}{n}@example.com")
        subscription(product=hosting, service_start=MARCH[0], service_end=MARCH[1], customer=customer)
    incident: Incident = declare_incident(
        actor=lead, products=[hosting], started_at=START, ended_at=END, title=f"{code} down"
    )
    return incident


def _form(product_id: int, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Mail down",
        "public_description": "Our mail servers failed; we restored them.",
        "products": [str(product_id)],
        "severity": "major",
        "started_at": "2026-03-10T01:00",
        "ended_at": "2026-03-10T05:00",
    }
    data.update(overrides)
    return data


def test_an_agent_reads_incidents_but_cannot_declare_or_compensate(
    client: Client, agent_bob: Any, lead_tess: Any
) -> None:
    incident = _outage(lead_tess, 2)
    client.force_login(agent_bob)

    listing = client.get(reverse("incidents:list"))
    detail = client.get(reverse("incidents:detail", args=[incident.pk]))
    declare = client.post(reverse("incidents:declare"), _form(incident.products.get().pk))
    compensate = client.post(reverse("incidents:compensate", args=[incident.pk]), {"confirm": "on"})

    assert listing.status_code == 200
    assert 'data-testid="nav-incidents"' in listing.content.decode()
    assert "hosting down" in listing.content.decode()
    assert 'data-testid="declare"' not in listing.content.decode()
    assert detail.status_code == 200
    assert 'data-testid="compensate"' not in detail.content.decode()
    assert (declare.status_code, compensate.status_code) == (403, 403)


def test_someone_outside_support_gets_403(client: Client, outsider_dave: Any) -> None:
    client.force_login(outsider_dave)
    assert client.get(reverse("incidents:list")).status_code == 403


def test_a_team_lead_declares_and_updates_but_cannot_compensate(client: Client, lead_tess: Any) -> None:
    product = subscription_product("mail", name="Business mail")
    client.force_login(lead_tess)

    declared = client.post(reverse("incidents:declare"), _form(product.pk, ended_at=""))
    incident = Incident.objects.get(title="Mail down")
    updated = client.post(reverse("incidents:update", args=[incident.pk]), _form(product.pk))
    refused = client.post(reverse("incidents:compensate", args=[incident.pk]), {"confirm": "on"})

    assert declared.status_code == 302
    assert updated.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.ended_at) == ("resolved", END)
    assert refused.status_code == 403
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Apologise and compensate" not in page
    assert 'data-kind="declared"' in page
    assert 'data-kind="updated"' in page


def test_a_refused_declaration_keeps_what_was_typed(client: Client, lead_tess: Any) -> None:
    product = subscription_product("mail")
    client.force_login(lead_tess)

    response = client.post(reverse("incidents:declare"), _form(product.pk, ended_at="2026-03-09T05:00"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "An incident cannot end before it starts." in html
    assert "Our mail servers failed" in html


def test_a_manager_must_confirm_then_sees_the_progress_and_cost(
    client: Client, manager_carol: Any, lead_tess: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = _outage(lead_tess, 3)
    client.force_login(manager_carol)
    unconfirmed = client.post(reverse("incidents:compensate", args=[incident.pk]), {})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("incidents:compensate", args=[incident.pk]), {"confirm": "on"})

    assert done.status_code == 302
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "3 of 3 customers, 3 letters queued, 3 credits issued." in page
    assert "11.61 RUB" in page  # three times 3.87
    assert 'http-equiv="refresh"' not in page
    listing = client.get(reverse("incidents:list")).content.decode()
    assert '<td data-testid="affected">3</td>' in listing
    assert '<td data-testid="total">11.61 RUB</td>' in listing


def test_while_a_run_goes_on_the_page_refreshes_itself_and_offers_resume(
    client: Client, manager_carol: Any, lead_tess: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = _outage(lead_tess, 2)
    with django_capture_on_commit_callbacks(execute=False):  # the tasks have not run yet
        incident_compensate(incident=incident, actor=manager_carol)
    client.force_login(manager_carol)

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    fragment = client.get(reverse("incidents:detail", args=[incident.pk]) + "?partial=1").content.decode()

    assert '<meta http-equiv="refresh" content="5">' in page
    assert "0 of 2 customers" in page
    assert ">Resume</button>" in page
    assert fragment.strip().startswith('<section id="progress"')
    assert IncidentRun.objects.get().status == "running"


@pytest.mark.parametrize("customers", [2, 25])
def test_the_pages_take_a_bounded_number_of_queries(
    client: Client,
    manager_carol: Any,
    lead_tess: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
    customers: int,
) -> None:
    incidents = [_outage(lead_tess, customers, code=f"p{n}") for n in range(3)]
    for incident in incidents:
        with django_capture_on_commit_callbacks(execute=True):
            incident_compensate(incident=incident, actor=manager_carol)
    with time_machine.travel(END + timedelta(days=1), tick=False):
        for n in range(2):
            submit_complaint(email=f"p0{n}@example.com", description="Down again?")
    client.force_login(manager_carol)

    with django_assert_max_num_queries(12):
        listing = client.get(reverse("incidents:list"))
    with django_assert_max_num_queries(16):
        detail = client.get(reverse("incidents:detail", args=[incidents[0].pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert detail.content.decode().count('<li><a href="/dashboard/complaints/RC-') == 2
    assert '<td data-testid="complaints">2</td>' in listing.content.decode()
