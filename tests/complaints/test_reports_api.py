"""The reports over the API (/api/v1/reports/): managers only, the same numbers as the pages, plain values, and
a refused period explained per field."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from complaints.reports.api import PlainValueField
from complaints.reports.registry import REPORTS
from tests.api_clients import token_client
from tests.factories import REPORT_PERIOD, assert_bounded_queries, volume_history

LIST_URL = "/api/v1/reports/"
URL = "/api/v1/reports/volume/"


@pytest.fixture
def carol_api(manager_carol: Any) -> APIClient:
    return token_client(manager_carol)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, URL])
@pytest.mark.parametrize("persona", ["agent_bob", "lead_tess", "outsider_dave"])
def test_only_managers_read_the_reports(request: pytest.FixtureRequest, persona: str, url: str) -> None:
    assert token_client(request.getfixturevalue(persona)).get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, URL])
def test_without_credentials_the_api_asks_for_them(url: str) -> None:
    assert APIClient().get(url).status_code == 401


@pytest.mark.django_db
def test_a_manager_s_session_is_enough(client: Any, manager_carol: Any) -> None:
    client.force_login(manager_carol)

    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_the_list_names_every_report(carol_api: APIClient) -> None:
    response = carol_api.get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == [{"slug": spec.slug, "title": str(spec.title)} for spec in REPORTS.values()]


@pytest.mark.django_db
def test_a_report_as_json(carol_api: APIClient) -> None:
    volume_history()

    response = carol_api.get(URL, REPORT_PERIOD)

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "volume"
    assert body["title"] == "Volume"
    assert body["period"] == {"date_from": "2026-03-01", "date_to": "2026-03-31", "group": "day", "days": 31}
    figures = {figure["key"]: figure for figure in body["figures"]}
    assert figures["received"] == {
        "key": "received",
        "label": "Received in the period",
        "value": 5,
        "kind": "count",
        "note": "",
        "currency": "",
    }
    assert figures["per_day"]["value"] == 0.16
    tables = {table["key"]: table for table in body["tables"]}
    by_category = tables["by_category"]
    assert by_category["columns"] == [
        {"key": "category", "label": "Category", "kind": "text"},
        {"key": "received", "label": "Complaints", "kind": "count"},
        {"key": "share", "label": "Share", "kind": "percent"},
    ]
    assert {"category": "Faulty product", "received": 3, "share": 60.0} in by_category["rows"]
    assert by_category["chart"] == {"kind": "bar", "label_key": "category", "series": ["received"]}
    assert tables["received"]["rows"] == [
        {"bucket": "2026-03-10", "received": 3},
        {"bucket": "2026-03-20", "received": 2},
    ]
    assert tables["backlog_age"]["note"] == "Counted now, whatever the period chosen."


@pytest.mark.django_db
def test_labels_follow_the_request_s_language(carol_api: APIClient) -> None:
    body = carol_api.get(URL, REPORT_PERIOD, headers={"accept-language": "ru"}).json()

    with translation.override("ru"):
        assert body["tables"][1]["columns"][0]["label"] == gettext("Category") == "Категория"


def test_money_and_dates_are_strings_and_no_value_is_null() -> None:
    field = PlainValueField()

    assert field.to_representation(Decimal("1234.50")) == "1234.50"
    assert field.to_representation(datetime(2026, 3, 1, tzinfo=UTC).date()) == "2026-03-01"
    assert field.to_representation(12.5) == 12.5
    assert field.to_representation(3) == 3
    assert field.to_representation(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"date_from": "2026-03-31", "date_to": "2026-03-01"},
            "non_field_errors",
            "The start date is after the end date.",
        ),
        ({"date_from": "someday"}, "date_from", "Enter a valid date."),
        ({"group": "fortnight"}, "group", "Select a valid choice. fortnight is not one of the available choices."),
        (
            {"date_from": "2020-01-01", "date_to": "2026-03-01"},
            "non_field_errors",
            "Choose a period of at most three years.",
        ),
    ],
)
def test_a_refused_period_is_a_400_per_field(
    carol_api: APIClient, params: dict[str, str], field: str, message: str
) -> None:
    response = carol_api.get(URL, params)

    assert response.status_code == 400
    assert response.json() == {field: [message]}


@pytest.mark.django_db
def test_the_errors_are_in_the_request_s_language(carol_api: APIClient) -> None:
    response = carol_api.get(URL, {"date_from": "someday"}, headers={"accept-language": "ru"})

    with translation.override("ru"):
        expected = gettext("Enter a valid date.")
    assert expected != "Enter a valid date."
    assert response.json() == {"date_from": [expected]}


@pytest.mark.django_db
def test_an_unknown_report_is_not_found(carol_api: APIClient) -> None:
    assert carol_api.get("/api/v1/reports/nothing-here/").status_code == 404


@pytest.mark.django_db
def test_the_schema_describes_the_reports() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    rows = schema["components"]["schemas"]["Table"]["properties"]["rows"]
    assert rows["items"] == {
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "string", "nullable": True}, {"type": "number"}]},
    }
    responses = schema["paths"]["/api/v1/reports/{slug}/"]["get"]["responses"]
    assert set(responses) >= {"200", "400", "401", "403", "404"}


# Token, user, permissions (2); the report's memory for sorts (1); the volume report's own five queries.
REPORT_API_MAX_QUERIES = 9


@pytest.mark.django_db
def test_the_api_costs_the_same_few_queries_for_few_or_many_complaints(
    carol_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    def received() -> int:
        return int(carol_api.get(URL, REPORT_PERIOD).json()["figures"][0]["value"])

    assert_bounded_queries(received, limit=REPORT_API_MAX_QUERIES, assert_max_num_queries=django_assert_max_num_queries)
