"""Incidents on the staff side: the queue's incident filter, linking a complaint to an incident from its page,
the admin list and the API detail."""

import html as html_lib
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compensation.models import Incident, IncidentSeverity
from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_set_incident
from config.exceptions import ApplicationError, PermissionRefused
from tests.factories import ProductFactory, submit_complaint

QUEUE = "/dashboard/"
T0 = datetime.fromisoformat("2026-03-02 09:00:00+00:00")


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _refs(html: str) -> list[str]:
    body = re.search(r'<tbody id="queue-rows">(.*?)</tbody>', html, re.S)
    assert body, "no queue rows"
    return re.findall(r'<a href="/dashboard/complaints/(RC-\d{4}-\d{6})/">', body.group(1))


def _counts(html: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-testid="count-(\w+)">(\d+)<', html)}


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no {name} select"
    return [
        (value, html_lib.unescape(label))
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select.group(1))
    ]


def _messages(html: str) -> list[str]:
    return [html_lib.unescape(m.strip()) for m in re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)]


def _get(client: Client, params: dict[str, str] | None = None) -> str:
    response = client.get(QUEUE, params or {})
    assert response.status_code == 200
    return response.content.decode()


def _incident(title: str, *, started: datetime = T0, ended: datetime | None = None, **fields: Any) -> Incident:
    incident = Incident.objects.create(
        title=title, public_description=f"{title}: we are sorry.", started_at=started, ended_at=ended, **fields
    )
    hosting: Any = ProductFactory(code="hosting", name="Hosting")
    incident.products.add(hosting)
    return incident


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


# --- the queue filter -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_filters_by_an_incident_by_none_or_by_any(bob_client: Client, agent_bob: Any) -> None:
    outage = _incident("Mail outage")
    slow = _incident("Slow checkout", started=T0 + timedelta(hours=1))
    linked = submit_complaint(email="linked@example.com")
    other = submit_complaint(email="other@example.com")
    plain = submit_complaint(email="plain@example.com")
    complaint_set_incident(complaint=linked, incident_id=outage.pk, actor=agent_bob, reason="Mail bounced.")
    complaint_set_incident(complaint=other, incident_id=slow.pk, actor=agent_bob, reason="Checkout hung.")

    by_outage = _get(bob_client, {"incident": str(outage.pk)})
    by_none = _get(bob_client, {"incident": "none"})
    by_any = _get(bob_client, {"incident": ""})

    assert _refs(by_outage) == [linked.reference]
    assert _refs(_get(bob_client, {"incident": str(slow.pk)})) == [other.reference]
    assert _refs(by_none) == [plain.reference]
    assert _refs(by_any) == [plain.reference, other.reference, linked.reference]
    # The tab counts stay those of the whole queue; the chosen incident is shown as chosen.
    assert _counts(by_outage)["all"] == 3
    assert re.search(rf'<option value="{outage.pk}" selected>Mail outage \(2026-03-02\)</option>', by_outage)
    # An unknown incident is dropped like any invalid value: the whole queue.
    assert len(_refs(_get(bob_client, {"incident": "999999"}))) == 3
    assert len(_refs(_get(bob_client, {"incident": "abc"}))) == 3


@pytest.mark.django_db
def test_the_incident_choices_put_the_ongoing_first_and_follow_changes(bob_client: Client) -> None:
    old = _incident("Old outage", started=T0 - timedelta(days=9), ended=T0 - timedelta(days=8))
    recent = _incident("Recent outage", started=T0 - timedelta(days=3), ended=T0 - timedelta(days=2))
    going = _incident("Payments down", started=T0 - timedelta(days=20))
    newer = _incident("Mail down", started=T0)

    choices = _options(_get(bob_client), "incident")

    assert choices == [
        ("", "Any"),
        ("none", "Not linked to an incident"),
        (str(newer.pk), "Mail down (2026-03-02)"),
        (str(going.pk), "Payments down (2026-02-10)"),
        (str(recent.pk), "Recent outage (2026-02-27)"),
        (str(old.pk), "Old outage (2026-02-21)"),
    ]
    # Read from the cache until an incident changes: saved or deleted, the next page shows it.
    going.ended_at = T0
    going.save()
    old.delete()
    choices = _options(_get(bob_client), "incident")
    assert [label for _value, label in choices[2:]] == [
        "Mail down (2026-03-02)",
        "Payments down (2026-02-10)",
        "Recent outage (2026-02-27)",
    ]
    assert choices[2][0] == str(newer.pk)


@pytest.mark.django_db
def test_only_the_latest_50_ended_incidents_are_offered(bob_client: Client) -> None:
    for day in range(55):
        start = T0 - timedelta(days=100 - day)
        _incident(f"Outage {day:02d}", started=start, ended=start + timedelta(hours=1))

    labels = [label for _value, label in _options(_get(bob_client), "incident")[2:]]

    assert len(labels) == 50
    assert labels[0].startswith("Outage 54 ")
    assert labels[-1].startswith("Outage 05 ")


@pytest.mark.django_db
def test_the_incident_filter_keeps_the_queue_to_its_few_queries(
    bob_client: Client, agent_bob: Any, django_assert_max_num_queries: Any
) -> None:
    outage = _incident("Mail outage")
    _get(bob_client)  # reads the filter choices into the cache
    for i in range(6):
        complaint = submit_complaint(email=f"q{i}@example.com")
        if i % 2:
            complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=agent_bob, reason="Same.")

    for params in ({"incident": str(outage.pk)}, {"incident": "none"}):
        with django_assert_max_num_queries(8):
            html = _get(bob_client, params)
        assert len(_refs(html)) == 3


# --- linking from the complaint page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_links_a_complaint_and_the_page_and_timeline_show_it(bob_client: Client, agent_bob: Any) -> None:
    outage = _incident("Mail outage", severity=IncidentSeverity.CRITICAL)
    complaint = submit_complaint()
    page = bob_client.get(_page(complaint.reference)).content.decode()
    assert "Not linked to an incident" in page
    assert re.search(rf'<option value="{outage.pk}">Mail outage \(2026-03-02\)</option>', page)

    response = bob_client.post(
        f"{_page(complaint.reference)}incident/", {"incident": str(outage.pk), "reason": "Our mail bounced."}
    )

    assert response.status_code == 302
    assert response["Location"] == _page(complaint.reference)
    html = bob_client.get(_page(complaint.reference)).content.decode()
    assert "Incident changed; the reason is on the timeline." in _messages(html)
    box = re.search(r'<div data-testid="incident">(.*?)</div>', html, re.S)
    assert box
    assert "Mail outage" in box.group(1)
    assert "Critical" in box.group(1)
    assert "Ongoing since" in box.group(1)
    assert "Incident: — → Mail outage" in html
    assert "Our mail bounced." in html
    event = ComplaintEvent.objects.get(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED)
    assert event.author == agent_bob
    assert event.body == "Our mail bounced."
    assert event.data == {"field": "incident", "from": "", "to": "Mail outage"}
    assert event.is_public is False


@pytest.mark.django_db
def test_moving_and_unlinking_are_recorded_and_an_unchanged_link_records_nothing(agent_bob: Any) -> None:
    outage = _incident("Mail outage")
    slow = _incident("Slow checkout", started=T0 - timedelta(days=2), ended=T0 - timedelta(days=1))
    complaint = submit_complaint()

    complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=agent_bob, reason="Mail.")
    again = complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=agent_bob, reason="Again.")
    complaint_set_incident(complaint=complaint.pk, incident_id=slow.pk, actor=agent_bob, reason="Checkout, then.")
    complaint_set_incident(complaint=complaint, incident_id=None, actor=agent_bob, reason="Neither.")

    assert again.incident_id == outage.pk
    changes = ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED).order_by(
        "created_at", "id"
    )
    assert [(e.data["from"], e.data["to"], e.body) for e in changes] == [
        ("", "Mail outage", "Mail."),
        ("Mail outage", "Slow checkout", "Checkout, then."),
        ("Slow checkout", "", "Neither."),
    ]
    assert changes[2].field_change == ("incident", "Slow checkout", "—")
    complaint.refresh_from_db()
    assert complaint.incident_id is None


@pytest.mark.django_db
def test_the_page_shows_an_ended_incident_with_its_window(bob_client: Client, agent_bob: Any) -> None:
    # Older than the 50 latest ended ones: still shown, and still the select's choice.
    linked = _incident("Ancient outage", started=T0 - timedelta(days=400), ended=T0 - timedelta(days=399))
    for day in range(51):
        start = T0 - timedelta(days=100 - day)
        _incident(f"Outage {day:02d}", started=start, ended=start + timedelta(hours=1))
    complaint = submit_complaint()
    complaint_set_incident(complaint=complaint, incident_id=linked.pk, actor=agent_bob, reason="Old one.")

    html = bob_client.get(_page(complaint.reference)).content.decode()

    box = re.search(r'<div data-testid="incident">(.*?)</div>', html, re.S)
    assert box
    assert "Ancient outage" in box.group(1)
    assert "From " in box.group(1)
    assert re.search(rf'<option value="{linked.pk}" selected>Ancient outage \(', html)
    # Saving the box as it is (the old incident chosen) changes nothing and is no error.
    response = bob_client.post(f"{_page(complaint.reference)}incident/", {"incident": str(linked.pk), "reason": "x"})
    assert response.status_code == 302
    assert ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED).count() == 1


@pytest.mark.django_db
def test_a_bad_incident_or_a_missing_reason_keeps_what_was_typed(bob_client: Client, agent_bob: Any) -> None:
    outage = _incident("Mail outage")
    complaint = submit_complaint()
    url = f"{_page(complaint.reference)}incident/"

    bad_incident = bob_client.post(url, {"incident": str(outage.pk + 100), "reason": "Our mail bounced."})
    garbled = bob_client.post(url, {"incident": "abc", "reason": "Our mail bounced."})
    huge = bob_client.post(url, {"incident": "99999999999999999999", "reason": "Our mail bounced."})
    no_reason = bob_client.post(url, {"incident": str(outage.pk), "reason": "   "})

    for response in (bad_incident, garbled, huge, no_reason):
        assert response.status_code == 200
        assert "Choose the incident and say why." in _messages(response.content.decode())
        assert "<details open>" in response.content.decode()
    assert 'value="Our mail bounced."' in bad_incident.content.decode()
    assert re.search(rf'<option value="{outage.pk}" selected>Mail outage', no_reason.content.decode())
    complaint.refresh_from_db()
    assert complaint.incident_id is None
    with pytest.raises(ApplicationError, match="no such incident"):
        complaint_set_incident(complaint=complaint, incident_id=outage.pk + 100, actor=agent_bob, reason="x")
    with pytest.raises(ApplicationError, match="reason"):
        complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=agent_bob, reason=" ")
    assert not ComplaintEvent.objects.filter(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED).exists()


@pytest.mark.django_db
def test_outsiders_may_not_link_and_a_manager_may(client: Client, outsider_dave: Any, manager_carol: Any) -> None:
    outage = _incident("Mail outage")
    complaint = submit_complaint()
    url = f"{_page(complaint.reference)}incident/"
    client.force_login(outsider_dave)

    refused = client.post(url, {"incident": str(outage.pk), "reason": "Mine now."})

    assert refused.status_code == 403
    with pytest.raises(PermissionRefused):
        complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=outsider_dave, reason="Mine now.")
    assert Complaint.objects.get(pk=complaint.pk).incident_id is None
    client.force_login(manager_carol)
    assert client.post(url, {"incident": str(outage.pk), "reason": "Mail."}).status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).incident_id == outage.pk


# --- admin and API ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_incidents_and_records_who_declared_one(client: Client) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    _incident("Mail outage", severity=IncidentSeverity.MINOR)
    _incident("Old outage", started=T0 - timedelta(days=2), ended=T0 - timedelta(days=1))
    hosting: Any = ProductFactory(code="hosting", name="Hosting")

    listing = client.get(reverse("admin:compensation_incident_changelist"))
    added = client.post(
        reverse("admin:compensation_incident_add"),
        {
            "title": "Payments down",
            "public_description": "Card payments failed; we are sorry.",
            "products": [str(hosting.pk)],
            "severity": "critical",
            "started_at_0": "2026-03-02",
            "started_at_1": "10:00:00",
            "ended_at_0": "",
            "ended_at_1": "",
            "created_at_0": "2026-03-02",
            "created_at_1": "10:05:00",
        },
    )

    html = listing.content.decode()
    assert listing.status_code == 200
    assert "Mail outage" in html
    assert "Old outage" in html
    assert "Minor" in html
    assert added.status_code == 302, added.content.decode()[:2000]
    assert Incident.objects.get(title="Payments down").created_by == root
    # Declared through the service, as on the dashboard: on the incident's timeline, ongoing without an end.
    declared = Incident.objects.get(title="Payments down")
    assert (declared.status, list(declared.events.values_list("kind", flat=True))) == ("ongoing", ["declared"])
    form = client.get(reverse("admin:compensation_incident_add")).content.decode()
    assert "selectfilter" in form  # the products pick as two side-by-side lists


@pytest.mark.django_db
def test_the_api_detail_shows_the_linked_incident(agent_bob: Any) -> None:
    outage = _incident("Mail outage")
    complaint = submit_complaint()
    api = APIClient()
    api.force_authenticate(agent_bob)
    url = f"/api/v1/complaints/{complaint.reference}/"

    assert api.get(url).json()["incident"] is None
    complaint_set_incident(complaint=complaint, incident_id=outage.pk, actor=agent_bob, reason="Mail.")
    body = api.get(url).json()

    assert body["incident"] == {"id": outage.pk, "title": "Mail outage"}
    assert "incident" not in api.get("/api/v1/complaints/").json()["results"][0]
