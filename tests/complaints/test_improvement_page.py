"""The managers' page "What keeps going wrong": resolved and declined complaints by root cause and outcome, the
products each cause hits most and the latest corrective actions, over a date range."""

import html as html_lib
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from complaints.models import Complaint, Outcome, RootCause
from complaints.selectors import complaint_root_cause_summary
from complaints.services import complaint_transition
from complaints.transitions import Action
from config.exceptions import PermissionRefused
from tests.factories import ProductFactory, submit_complaint

URL = "/dashboard/improvement/"


def _settle(
    when: datetime,
    actor: Any,
    *,
    email: str,
    product: str = "",
    action: str = Action.RESOLVE,
    outcome: str = "",
    root_cause: str,
    corrective_action: str = "",
) -> Complaint:
    """A complaint submitted, started and resolved (or declined) at ``when``."""
    with time_machine.travel(when, tick=False):
        complaint = submit_complaint(email=email, product_code=product)
        complaint_transition(complaint=complaint, action=Action.START, actor=actor)
        complaint_transition(
            complaint=complaint,
            action=action,
            actor=actor,
            comment="Our answer.",
            outcome=outcome,
            root_cause=root_cause,
            corrective_action=corrective_action,
        )
    return complaint


@pytest.fixture
def history(agent_bob: Any, lead_tess: Any) -> dict[str, Any]:
    """Hand-made history: seven complaints settled in the last 30 days, one settled 40 days ago, one reopened
    since, and one still open."""
    ProductFactory(code="kettle", name="Kettle KT-200")
    ProductFactory(code="router", name="Router AX3000")
    now = timezone.now()

    def day(days_ago: int, hour: int = 0) -> datetime:
        return now - timedelta(days=days_ago, hours=hour)

    made = {
        "kettle_refund": _settle(
            day(5), agent_bob, email="a@example.com", product="kettle", outcome=Outcome.MONETARY,
            root_cause=RootCause.PRODUCT_DEFECT, corrective_action="Supplier replaced the thermostat batch.",
        ),
        "kettle_repair": _settle(
            day(3), lead_tess, email="b@example.com", product="kettle", outcome=Outcome.NON_MONETARY,
            root_cause=RootCause.PRODUCT_DEFECT, corrective_action="Every kettle is now tested before dispatch.",
        ),
        "router_swap": _settle(
            day(4), agent_bob, email="c@example.com", product="router", outcome=Outcome.NON_MONETARY,
            root_cause=RootCause.PRODUCT_DEFECT, corrective_action="Firmware 2.1 pushed to all routers.",
        ),
        "router_late": _settle(
            day(2), agent_bob, email="d@example.com", product="router", outcome=Outcome.EXPLAINED,
            root_cause=RootCause.DELIVERY, corrective_action="Courier contract now has a 3-day promise.",
        ),
        "router_late_declined": _settle(
            day(1), agent_bob, email="e@example.com", product="router", action=Action.REJECT,
            root_cause=RootCause.DELIVERY,
        ),
        "no_fault": _settle(
            day(6), agent_bob, email="f@example.com", action=Action.REJECT, root_cause=RootCause.NO_FAULT,
        ),
        "billing_closed": _settle(
            day(7), agent_bob, email="g@example.com", product="kettle", outcome=Outcome.MONETARY,
            root_cause=RootCause.BILLING_ERROR, corrective_action="Invoices are checked against the price list.",
        ),
        "old": _settle(
            day(40), agent_bob, email="h@example.com", product="router", outcome=Outcome.MONETARY,
            root_cause=RootCause.PRODUCT_DEFECT, corrective_action="An old fix.",
        ),
        "reopened": _settle(
            day(2, hour=3), agent_bob, email="i@example.com", product="kettle", outcome=Outcome.EXPLAINED,
            root_cause=RootCause.STAFF_CONDUCT, corrective_action="Coaching.",
        ),
    }  # fmt: skip
    complaint_transition(complaint=made["billing_closed"], action=Action.CLOSE, actor=agent_bob, customer_accepted=True)
    complaint_transition(complaint=made["reopened"], action=Action.REOPEN, actor=agent_bob)
    made["open"] = submit_complaint(email="j@example.com", product_code="kettle")
    return made


def _rows(html: str, attribute: str) -> dict[str, list[str]]:
    """The cells of each table row marked ``data-<attribute>``, as text."""
    rows: dict[str, list[str]] = {}
    for key, row in re.findall(rf'<tr data-{attribute}="([a-z_]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows[key] = [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]
    return rows


@pytest.fixture
def carol_client(client: Client, manager_carol: Any) -> Client:
    client.force_login(manager_carol)
    return client


# --- what a manager sees ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_sees_the_figures_of_the_last_30_days(carol_client: Client, history: dict[str, Any]) -> None:
    response = carol_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "7 complaints resolved or declined from" in html
    by_root_cause = _rows(html, "root-cause")
    # Root cause, total, then per outcome (explained, non-monetary, monetary, rejected), then the top products.
    assert by_root_cause == {
        "product_defect": ["Product defect", "3", "0", "2", "1", "0", "Kettle KT-200: 2 Router AX3000: 1"],
        "delivery": ["Delivery or logistics", "2", "1", "0", "0", "1", "Router AX3000: 2"],
        "billing_error": ["Billing error", "1", "0", "0", "1", "0", "Kettle KT-200: 1"],
        "no_fault": ["No fault found", "1", "0", "0", "0", "1", "No product: 1"],
    }
    assert list(by_root_cause) == ["product_defect", "delivery", "billing_error", "no_fault"]  # most first
    assert _rows(html, "outcome") == {
        "explained": ["Explained, no relief", "1"],
        "non_monetary": ["Non-monetary relief", "2"],
        "monetary": ["Monetary relief", "2"],
        "rejected": ["Rejected with reasons", "2"],
    }
    actions = re.search(r'<section data-testid="actions-product_defect">(.*?)</section>', html, re.S)
    assert actions, "no corrective actions for product defects"
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", actions.group(1))).split())
    # The latest first, with who settled it.
    assert text.index(history["kettle_repair"].reference) < text.index(history["router_swap"].reference)
    assert text.index(history["router_swap"].reference) < text.index(history["kettle_refund"].reference)
    assert "Every kettle is now tested before dispatch." in text
    assert "Tess Leadova" in text
    assert "Bob Agentson" in text
    assert "An old fix." not in html
    assert "Coaching." not in html  # reopened: it counts again once settled again


@pytest.mark.django_db
def test_a_chosen_range_reaches_further_back(carol_client: Client, history: dict[str, Any]) -> None:
    today = timezone.localdate()
    params = {
        "date_from": (today - timedelta(days=45)).isoformat(),
        "date_to": (today - timedelta(days=35)).isoformat(),
    }

    html = carol_client.get(URL, params).content.decode()

    assert _rows(html, "root-cause") == {
        "product_defect": ["Product defect", "1", "0", "0", "1", "0", "Router AX3000: 1"],
    }
    assert "An old fix." in html
    assert history["old"].reference in html


@pytest.mark.django_db
def test_a_range_with_nothing_in_it_says_so(carol_client: Client, history: dict[str, Any]) -> None:
    html = carol_client.get(URL, {"date_from": "2001-01-01", "date_to": "2001-12-31"}).content.decode()

    assert "No complaint was resolved or declined in these dates." in html
    assert "0 complaints resolved or declined" in html


@pytest.mark.django_db
def test_the_selector_matches_the_hand_made_data(manager_carol: Any, history: dict[str, Any]) -> None:
    today = timezone.localdate()

    summary = complaint_root_cause_summary(user=manager_carol, date_from=today - timedelta(days=29), date_to=today)

    assert summary.total == 7
    assert {line.root_cause: line.total for line in summary.lines} == {
        "product_defect": 3,
        "delivery": 2,
        "billing_error": 1,
        "no_fault": 1,
    }
    defects = summary.lines[0]
    assert [(p.name, p.count) for p in defects.top_products] == [("Kettle KT-200", 2), ("Router AX3000", 1)]
    assert [a.reference for a in defects.latest_actions] == [
        history[name].reference for name in ("kettle_repair", "router_swap", "kettle_refund")
    ]
    assert [a.agent for a in defects.latest_actions] == ["Tess Leadova", "Bob Agentson", "Bob Agentson"]


# --- who may see it ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["agent_bob", "lead_tess", "outsider_dave"])
def test_agents_team_leads_and_outsiders_are_refused(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(URL).status_code == 403
    with pytest.raises(PermissionRefused):
        complaint_root_cause_summary(user=user, date_from=timezone.localdate(), date_to=timezone.localdate())


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.django_db
def test_only_get_is_allowed(carol_client: Client) -> None:
    assert carol_client.post(URL).status_code == 405


# --- bad dates --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"date_from": "2026-13-45"}, "Enter a valid date."),
        ({"date_to": "yesterday"}, "Enter a valid date."),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "The start date is after the end date."),
        ({"date_from": "0001-01-01"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"date_to": "9999-12-31"}, "Choose a date between 2000-01-01 and 2100-12-31."),
    ],
)
def test_bad_dates_are_explained_not_a_server_error(carol_client: Client, params: dict[str, str], error: str) -> None:
    response = carol_client.get(URL, params)

    assert response.status_code == 200
    html = html_lib.unescape(response.content.decode())
    assert error in html
    assert 'data-testid="improvement-total"' not in html
    for value in params.values():
        assert f'value="{value}"' in html  # what was typed stays


@pytest.mark.django_db
def test_a_bad_date_is_explained_in_the_manager_s_language(carol_client: Client) -> None:
    response = carol_client.get(URL, {"date_from": "someday"}, headers={"accept-language": "ru"})

    assert response.status_code == 200
    with translation.override("ru"):
        expected = gettext("Enter a valid date.")
    assert expected != "Enter a valid date."
    assert expected in html_lib.unescape(response.content.decode())


# --- cost -------------------------------------------------------------------------------------------------

# Session, user, the user's and the groups' permissions (4); the summary: one pass for the counts per root cause,
# outcome and product, the products' names, the latest corrective actions of each of the ten root causes, and the
# agents who took them; the dashboard navigation's duty switch.
IMPROVEMENT_MAX_QUERIES = 4 + 2 + len(RootCause.values) + 1 + 1


@pytest.mark.django_db
def test_the_page_costs_the_same_few_queries_for_few_or_many_complaints(
    carol_client: Client, agent_bob: Any, django_assert_max_num_queries: Any
) -> None:
    ProductFactory(code="kettle", name="Kettle KT-200")
    causes = list(RootCause.values)
    for count in (3, 30):
        for i in range(count):
            _settle(
                timezone.now() - timedelta(days=1, minutes=i),
                agent_bob,
                email=f"n{count}-{i}@example.com",
                product="kettle" if i % 2 else "",
                outcome=Outcome.MONETARY,
                root_cause=causes[i % len(causes)],
                corrective_action=f"Fix number {i}.",
            )
        with django_assert_max_num_queries(IMPROVEMENT_MAX_QUERIES):
            response = carol_client.get(URL)
        assert response.status_code == 200
