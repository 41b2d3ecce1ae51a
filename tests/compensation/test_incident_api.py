"""The incidents API under /api/v1/incidents/: per-role permissions, declaring, updating, compensating."""

from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation.models import Incident
from tests.factories import CustomerFactory, declare_incident, subscription, subscription_product

LIST = "/api/v1/incidents/"
START = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
END = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def hosting() -> Any:
    product = subscription_product("hosting")
    for n in range(3):
        customer = CustomerFactory(email=f"api{n}@example.com")
        subscription(product=product, service_start=MARCH[0], service_end=MARCH[1], customer=customer)
    return product


def _declaration(product: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Hosting down",
        "public_description": "A storage array failed.",
        "products": [product.pk],
        "severity": "critical",
        "started_at": START.isoformat(),
        "ended_at": END.isoformat(),
    }
    data.update(overrides)
    return data


def test_an_agent_reads_but_cannot_write(agent_bob: Any, lead_tess: Any, hosting: Any) -> None:
    incident = declare_incident(actor=lead_tess, products=[hosting], started_at=START, ended_at=END)
    bob = _client_for(agent_bob)

    listing = bob.get(LIST)
    detail = bob.get(f"{LIST}{incident.pk}/")

    assert listing.status_code == 200
    assert [row["title"] for row in listing.json()["results"]] == ["Storage array failure"]
    assert detail.json()["status"] == "resolved"
    assert bob.post(LIST, _declaration(hosting), format="json").status_code == 403
    assert bob.patch(f"{LIST}{incident.pk}/", {"title": "x"}, format="json").status_code == 403
    assert bob.post(f"{LIST}{incident.pk}/compensate/").status_code == 403


def test_anonymous_callers_are_refused() -> None:
    assert APIClient().get(LIST).status_code in (401, 403)


def test_a_team_lead_declares_and_updates_but_cannot_compensate(lead_tess: Any, hosting: Any) -> None:
    tess = _client_for(lead_tess)

    created = tess.post(LIST, _declaration(hosting, ended_at=None), format="json")
    pk = created.json()["id"]
    updated = tess.patch(f"{LIST}{pk}/", {"ended_at": END.isoformat()}, format="json")
    refused = tess.post(f"{LIST}{pk}/compensate/")

    assert created.status_code == 201
    assert created.json()["status"] == "ongoing"
    assert updated.status_code == 200
    assert updated.json()["status"] == "resolved"
    assert refused.status_code == 403
    assert Incident.objects.get(pk=pk).events.count() == 2


def test_a_refused_window_is_a_uniform_error(lead_tess: Any, hosting: Any) -> None:
    response = _client_for(lead_tess).post(LIST, _declaration(hosting, ended_at="2026-03-09T00:00:00Z"), format="json")

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "ended_at"}


def test_a_manager_compensates_twice_and_reads_the_progress(
    manager_carol: Any, lead_tess: Any, hosting: Any, django_capture_on_commit_callbacks: Any
) -> None:
    incident = declare_incident(actor=lead_tess, products=[hosting], started_at=START, ended_at=END)
    carol = _client_for(manager_carol)

    with django_capture_on_commit_callbacks(execute=True):
        first = carol.post(f"{LIST}{incident.pk}/compensate/")
    with django_capture_on_commit_callbacks(execute=True):
        second = carol.post(f"{LIST}{incident.pk}/compensate/")
    progress = carol.get(f"{LIST}{incident.pk}/progress/").json()

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["run"]["customers_total"] == 3
    assert progress["run"]["customers_total"] == 0  # the second press found nobody left to write to
    assert progress["costs"] == [{"currency": "RUB", "total": "11.61", "count": 3}]
    assert carol.get(f"{LIST}{incident.pk}/").json()["credits_issued"] == 3


def test_the_openapi_schema_describes_the_incidents_api() -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    for path in (LIST, f"{LIST}{{id}}/", f"{LIST}{{id}}/compensate/", f"{LIST}{{id}}/progress/"):
        assert f"/api/v1/incidents/{path[len(LIST) :]}" in schema["paths"], path
    assert "post" in schema["paths"][f"{LIST}{{id}}/compensate/"]


@pytest.mark.parametrize("incidents", [1, 12])
def test_the_list_takes_a_bounded_number_of_queries(
    agent_bob: Any, lead_tess: Any, hosting: Any, django_assert_max_num_queries: Any, incidents: int
) -> None:
    for n in range(incidents):
        declare_incident(actor=lead_tess, products=[hosting], started_at=START, ended_at=END, title=f"Outage {n}")
    bob = _client_for(agent_bob)

    with django_assert_max_num_queries(8):
        response = bob.get(LIST)
    with django_assert_max_num_queries(8):
        progress = bob.get(f"{LIST}{Incident.objects.first().pk}/progress/")  # type: ignore[union-attr]

    assert len(response.json()["results"]) == incidents
    assert progress.json()["run"] is None
