"""Every response says how long the app spent on it and how many SQL queries it ran (``Server-Timing``)."""

import re
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from config.middleware import ServerTimingMiddleware
from tests.factories import submit_complaint

TIMING = re.compile(r'^app;dur=(\d+\.\d), db;dur=(\d+\.\d);desc="(\d+) queries"$')


@pytest.mark.django_db
def test_a_page_reports_its_time_and_its_queries(client: Client, agent_bob: Any) -> None:
    submit_complaint()
    client.force_login(agent_bob)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/")

    found = TIMING.match(response.headers["Server-Timing"])
    assert found, response.headers["Server-Timing"]
    app_ms, db_ms, count = float(found.group(1)), float(found.group(2)), int(found.group(3))
    assert count == len(queries) > 0
    assert 0 < db_ms <= app_ms


@pytest.mark.django_db
def test_a_public_page_carries_it_too(client: Client) -> None:
    response = client.get("/complaints/new/")

    found = TIMING.match(response.headers["Server-Timing"])
    assert found
    assert response.status_code == 200


def test_a_timing_the_view_gave_is_kept() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response.headers["Server-Timing"] = 'cache;desc="hit"'
        return response

    response = ServerTimingMiddleware(view)(RequestFactory().get("/"))

    assert re.match(r'^cache;desc="hit", app;dur=\d+\.\d, db;dur=0\.0;desc="0 queries"$', response["Server-Timing"])
