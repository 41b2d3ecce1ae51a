"""The managers' reports pages (/reports/): who may open them, the numbers a manager sees for a period, the
period form's errors, the print version and what a page costs."""

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from complaints.reports.registry import REPORTS
from tests.factories import REPORT_PERIOD, assert_bounded_queries, complaints_received_at, volume_history

URL = "/reports/volume/"


def table_rows(html: str, key: str) -> list[list[str]]:
    """The text of each body row of the report table ``key``, cell by cell."""
    found = re.search(rf'data-testid="rows-{key}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, f"no table {key}"
    return [
        [
            " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    ]


def figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">\s*<dt>.*?</dt>\s*<dd>(.*?)</dd>', html, re.S)
    assert found, f"no figure {key}"
    return html_lib.unescape(found.group(1)).strip()


@pytest.fixture
def carol_client(client: Client, manager_carol: Any) -> Client:
    client.force_login(manager_carol)
    return client


# --- who may open them --------------------------------------------------------------------------------------

PAGES = [
    "/reports/",
    URL,
    f"{URL}?print=1",
    f"{URL}?format=csv&table=by_category",
    f"{URL}?format=xlsx",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["agent_bob", "lead_tess", "outsider_dave"])
def test_only_managers_open_the_reports(client: Client, request: pytest.FixtureRequest, persona: str, url: str) -> None:
    client.force_login(request.getfixturevalue(persona))

    assert client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_anyone_signed_out_is_sent_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/reports/")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager_carol", "agent_bob"])
def test_the_dashboard_links_the_reports_for_managers_only(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))

    html = client.get("/dashboard/").content.decode()

    assert ('data-testid="nav-reports"' in html) is (persona == "manager_carol")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/reports/nothing-here/", f"{URL}?format=pdf", f"{URL}?format=csv&table=nope", f"{URL}?format=csv"]
)
def test_an_unknown_report_table_or_format_is_not_found(carol_client: Client, url: str) -> None:
    assert carol_client.get(url).status_code == 404


# --- what a manager sees ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_index_links_every_report(carol_client: Client) -> None:
    html = carol_client.get("/reports/").content.decode()

    for slug in REPORTS:
        assert f'href="/reports/{slug}/"' in html


@pytest.mark.django_db
def test_the_volume_report_counts_the_complaints_of_the_period(carol_client: Client) -> None:
    volume_history()

    response = carol_client.get(URL, REPORT_PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "received") == "5"  # the February complaint is outside the period
    assert figure(html, "per_day") == "0.16"  # 5 in 31 days
    assert figure(html, "backlog") == "6"  # open now, whatever the period
    assert table_rows(html, "received") == [["2026-03-10", "3"], ["2026-03-20", "2"]]
    by_category = {row[0]: row[1:] for row in table_rows(html, "by_category")}
    assert by_category["Faulty product"] == ["3", "60.0%"]
    assert by_category["Delivery"] == ["2", "40.0%"]
    assert by_category["Billing"] == ["0", "0.0%"]
    # Each table with a chart carries its data for the script, and a canvas to draw it on.
    assert '<canvas id="canvas-by_category" data-chart="chart-by_category"' in html
    assert '<script id="chart-by_category" type="application/json">' in html
    assert '"labels": ["Faulty product", "Service outage", "Delivery"' in html
    assert '"data": [3.0, 0.0, 2.0, 0.0, 0.0, 0.0]' in html
    # The downloads and the print version keep the period.
    query = "date_from=2026-03-01&amp;date_to=2026-03-31&amp;group=day"
    assert f'href="?{query}&amp;format=xlsx"' in html
    assert f'href="?{query}&amp;format=csv&amp;table=by_category"' in html
    assert f'href="?{query}&amp;print=1"' in html
    assert "Server-Timing" in response.headers


@pytest.mark.django_db
def test_the_numbers_follow_the_manager_s_language(carol_client: Client) -> None:
    complaints_received_at(datetime(2026, 3, 10, 9, tzinfo=UTC), 3)

    html = carol_client.get(
        URL, {**REPORT_PERIOD, "group": "month"}, headers={"accept-language": "ru"}
    ).content.decode()

    assert figure(html, "per_day") == "0,1"
    with translation.override("ru"):
        defect = gettext("Faulty product")
    assert [defect, "3", "100,0%"] in table_rows(html, "by_category")
    assert table_rows(html, "received") == [["2026-03", "3"]]


@pytest.mark.django_db
def test_the_page_opens_on_the_last_30_days(carol_client: Client) -> None:
    today = timezone.localdate()

    html = carol_client.get(URL).content.decode()

    assert f'name="date_from" value="{today - timedelta(days=29):%Y-%m-%d}"' in html
    assert f'name="date_to" value="{today:%Y-%m-%d}"' in html
    # The presets are links with their dates; the one shown is marked.
    assert f'?date_from={today - timedelta(days=6):%Y-%m-%d}&amp;date_to={today:%Y-%m-%d}"' in html
    assert f'?date_from={today - timedelta(days=29):%Y-%m-%d}&amp;date_to={today:%Y-%m-%d}" aria-current="true"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, "The start date is after the end date."),
        ({"date_from": "someday", "date_to": "2026-03-01"}, "Enter a valid date."),
        ({"date_from": "2026-02-30"}, "Enter a valid date."),
        ({"date_from": "1999-12-31"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"date_from": "2020-01-01", "date_to": "2026-03-01"}, "Choose a period of at most three years."),
        ({"group": "fortnight"}, "Select a valid choice. fortnight is not one of the available choices."),
        ({"date_from": "2026-01-01\x00", "date_to": "9" * 40}, "Enter a valid date."),
    ],
)
def test_a_period_the_form_refuses_is_explained_and_kept(
    carol_client: Client, params: dict[str, str], error: str
) -> None:
    response = carol_client.get(URL, params)

    assert response.status_code == 200
    html = html_lib.unescape(response.content.decode())
    assert error in html
    assert 'data-testid="report-figures"' not in html
    for name, value in params.items():
        if name != "group" and "\x00" not in value:
            assert f'name="{name}" value="{value}"' in html  # what was typed stays


@pytest.mark.django_db
def test_a_refused_period_is_explained_in_the_manager_s_language(carol_client: Client) -> None:
    response = carol_client.get(
        URL, {"date_from": "2026-03-31", "date_to": "2026-03-01"}, headers={"accept-language": "ru"}
    )

    with translation.override("ru"):
        expected = gettext("The start date is after the end date.")
    assert expected != "The start date is after the end date."
    html = html_lib.unescape(response.content.decode())
    assert expected in html
    assert 'value="2026-03-31"' in html


@pytest.mark.django_db
def test_the_print_version_has_the_tables_without_forms_or_navigation(carol_client: Client) -> None:
    volume_history()

    response = carol_client.get(URL, {**REPORT_PERIOD, "print": "1"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<form" not in html
    assert "<nav" not in html
    assert "format=csv" not in html
    assert figure(html, "received") == "5"
    assert ["Faulty product", "3", "60.0%"] in table_rows(html, "by_category")
    found = re.search(r'data-testid="print-period">(.*?)</p>', html, re.S)
    assert found
    period = html_lib.unescape(found.group(1))
    assert re.fullmatch(
        r"From March 1, 2026 to March 31, 2026 · By day · Generated on .+ at \d\d:\d\d UTC", " ".join(period.split())
    )


# --- cost ---------------------------------------------------------------------------------------------------

# Session, user, permissions and the navigation's duty switch (4); the report's memory for sorts (1); the volume
# report's own five queries.
REPORT_PAGE_MAX_QUERIES = 10


@pytest.mark.django_db
def test_the_page_costs_the_same_few_queries_for_few_or_many_complaints(
    carol_client: Client, django_assert_max_num_queries: Any
) -> None:
    def received() -> int:
        return int(figure(carol_client.get(URL, REPORT_PERIOD).content.decode(), "received"))

    assert_bounded_queries(
        received, limit=REPORT_PAGE_MAX_QUERIES, assert_max_num_queries=django_assert_max_num_queries
    )
