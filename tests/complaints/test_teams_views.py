"""The teams pages of the dashboard: "Teams and duty" for team leads and managers, the duty switch in the
header, sharing out a team's unassigned complaints, and the team box on the complaint page."""

import html as html_lib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from complaints.models import AgentDuty, Complaint, ComplaintEvent, Team, TeamMember
from complaints.services import agent_duty_set, complaint_assign, complaint_reply
from tests.factories import agent, submit_complaint

TEAMS = "/dashboard/teams/"
DUTY = "/dashboard/duty/"

_emails = iter(range(1_000_000))


def _team(name: str, *, default: bool = False, members: Iterable[Any] = (), leads: Iterable[Any] = ()) -> Team:
    team = Team.objects.create(name=name, is_default=default)
    for user in members:
        TeamMember.objects.create(team=team, user=user)
    for user in leads:
        TeamMember.objects.create(team=team, user=user, is_lead=True)
    return team


def _submit(**overrides: Any) -> Complaint:
    return submit_complaint(email=f"customer{next(_emails)}@example.com", **overrides)


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _section(html: str, team: Team) -> str:
    match = re.search(rf'<section class="team" data-testid="team-{team.pk}">(.*?)</section>', html, re.S)
    assert match, f"no section for {team.name}"
    return match.group(1)


def _member_row(section: str, user: Any) -> dict[str, str]:
    match = re.search(rf'<tr data-testid="member-{user.pk}">(.*?)</tr>', section, re.S)
    assert match, f"no row for {user.username}"
    row = match.group(1)
    cells = {name: re.search(rf'data-testid="{name}"[^>]*>(.*?)</', row, re.S) for name in ("duty", "open", "breached")}
    return {name: found.group(1).strip() if found else "" for name, found in cells.items()}


def _messages(html: str) -> list[str]:
    return [html_lib.unescape(m.strip()) for m in re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)]


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for response in (client.get(TEAMS), client.post(DUTY, {"on_duty": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_a_plain_agent_may_not_see_the_teams_page_or_run_a_team(client: Client, agent_bob: Any) -> None:
    anna = agent("anna")
    shop = _team("Shop", default=True, members=[agent_bob, anna])
    client.force_login(agent_bob)

    assert client.get(TEAMS).status_code == 403
    assert client.post(f"/dashboard/teams/duty/{anna.pk}/", {"on_duty": "on"}).status_code == 403
    assert client.post(f"/dashboard/teams/{shop.pk}/distribute/").status_code == 403
    assert not AgentDuty.objects.filter(user=anna).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["lead_tess", "manager_carol"])
def test_team_leads_and_managers_see_the_teams_page(client: Client, persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    _team("Shop", default=True, members=[agent("anna")], leads=[user])
    client.force_login(user)

    response = client.get(TEAMS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Teams and duty</h1>" in html
    assert "Shop" in html


@pytest.mark.django_db
def test_a_lead_sees_the_teams_they_lead_and_a_manager_every_team(
    client: Client, lead_tess: Any, manager_carol: Any
) -> None:
    led = _team("Shop", leads=[lead_tess])
    member_only = _team("Web", members=[lead_tess])
    other = _team("Field")

    client.force_login(lead_tess)
    lead_html = client.get(TEAMS).content.decode()
    client.force_login(manager_carol)
    manager_html = client.get(TEAMS).content.decode()

    assert f'data-testid="team-{led.pk}"' in lead_html
    assert f'data-testid="team-{member_only.pk}"' not in lead_html
    assert f'data-testid="team-{other.pk}"' not in lead_html
    for team in (led, member_only, other):
        assert f'data-testid="team-{team.pk}"' in manager_html


# --- the figures ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_workload_figures_match_the_complaints(client: Client, lead_tess: Any) -> None:
    anna, boris = agent("anna"), agent("boris")
    shop = _team("Shop", default=True, members=[anna, boris], leads=[lead_tess])
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        overdue = [_submit(), _submit()]  # the promised reply was due long ago
        waiting_overdue = _submit()
    for complaint in overdue:
        complaint_assign(complaint=complaint, assignee=anna, actor=anna)
    complaint_reply(complaint=overdue[1], author=anna, body="We are on it.")  # still past its resolution due time
    agent_duty_set(user=anna, on_duty=True, actor=anna)
    fresh = _submit()  # anna is the only one on duty
    agent_duty_set(user=anna, on_duty=False, actor=anna)
    _submit()  # nobody on duty: waits unassigned
    complaint_assign(complaint=_submit(), assignee=boris, actor=boris)
    client.force_login(lead_tess)

    section = _section(client.get(TEAMS).content.decode(), shop)

    assert fresh.assignee == anna
    assert waiting_overdue.assignee is None
    assert _member_row(section, anna) == {"duty": "No", "open": "3", "breached": "2"}
    assert _member_row(section, boris) == {"duty": "No", "open": "1", "breached": "0"}
    assert _member_row(section, lead_tess) == {"duty": "No", "open": "0", "breached": "0"}
    assert re.search(r"6 open complaints", section)
    assert re.search(r'data-testid="unassigned">\s*2 unassigned', section)
    assert re.search(r'data-testid="overdue">\s*3 overdue', section)
    assert "Distribute unassigned" in section


# Session, user, permissions (2), teams, members with their duty, the members' counts, the teams' counts,
# and the header's duty switch.
TEAMS_MAX_QUERIES = 9


@pytest.mark.django_db
def test_the_teams_page_costs_the_same_few_queries_for_2_or_6_teams(
    client: Client, manager_carol: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(manager_carol)
    for count in (2, 6):
        Complaint.objects.all().delete()
        Team.objects.all().delete()
        for i in range(count):
            members = [agent(f"t{count}-{i}-{j}") for j in range(3)]
            team = _team(f"Team {count}-{i}", default=(i == 0), members=members)
            agent_duty_set(user=members[0], on_duty=True, actor=members[0])
            _submit()
            Team.objects.filter(pk=team.pk).update(is_default=False)
        with django_assert_max_num_queries(TEAMS_MAX_QUERIES):
            html = client.get(TEAMS).content.decode()
        assert html.count('<section class="team"') == count


# --- duty -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_switches_their_own_duty_from_the_header(client: Client, agent_bob: Any) -> None:
    client.force_login(agent_bob)
    queue = client.get("/dashboard/").content.decode()
    assert re.search(r'<button type="submit" name="on_duty" value="on"[^>]*aria-pressed="false"[^>]*>Off duty', queue)
    assert 'name="csrfmiddlewaretoken"' in queue

    response = client.post(DUTY, {"on_duty": "on", "next": "/dashboard/?tab=mine"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?tab=mine"
    assert AgentDuty.objects.get(user=agent_bob).on_duty is True
    html = client.get("/dashboard/?tab=mine").content.decode()
    assert "On duty: new complaints of your teams come to you." in _messages(html)
    assert re.search(r'<button type="submit" name="on_duty" value="off"[^>]*aria-pressed="true"[^>]*>On duty', html)

    client.post(DUTY, {"on_duty": "off", "next": "https://evil.example.com/"})
    assert AgentDuty.objects.get(user=agent_bob).on_duty is False


@pytest.mark.django_db
def test_a_bad_duty_request_changes_nothing(client: Client, agent_bob: Any) -> None:
    client.force_login(agent_bob)

    response = client.post(DUTY, {"on_duty": "maybe"}, follow=True)

    assert response.status_code == 200
    assert "Choose on duty or off duty." in _messages(response.content.decode())
    assert not AgentDuty.objects.filter(user=agent_bob).exists()


@pytest.mark.django_db
def test_the_lead_puts_a_member_on_duty_and_shares_out_the_unassigned(client: Client, lead_tess: Any) -> None:
    anna = agent("anna")
    shop = _team("Shop", default=True, members=[anna], leads=[lead_tess])
    outsider = agent("vera")
    waiting = [_submit(), _submit()]
    client.force_login(lead_tess)

    on = client.post(f"/dashboard/teams/duty/{anna.pk}/", {"on_duty": "on"}, follow=True)
    refused = client.post(f"/dashboard/teams/duty/{outsider.pk}/", {"on_duty": "on"}, follow=True)
    shared = client.post(f"/dashboard/teams/{shop.pk}/distribute/", follow=True)

    assert f"{anna.get_full_name()} is on duty." in _messages(on.content.decode())
    assert _messages(refused.content.decode()) == [
        "You may switch duty only for yourself and for the members of teams you lead."
    ]
    assert not AgentDuty.objects.filter(user=outsider).exists()
    assert "2 complaints shared out." in _messages(shared.content.decode())
    assert all(c.assignee == anna for c in Complaint.objects.filter(pk__in=[w.pk for w in waiting]))
    section = _section(shared.content.decode(), shop)
    assert _member_row(section, anna) == {"duty": "Yes", "open": "2", "breached": "0"}
    assert "Distribute unassigned" not in section


@pytest.mark.django_db
def test_sharing_out_with_nobody_on_duty_says_so(client: Client, manager_carol: Any) -> None:
    shop = _team("Shop", default=True, members=[agent("anna")])
    _submit()
    client.force_login(manager_carol)

    response = client.post(f"/dashboard/teams/{shop.pk}/distribute/", follow=True)

    assert _messages(response.content.decode()) == [
        "Nothing was shared out. 1 still waits unassigned (is anyone on duty?)."
    ]


# --- the navigation ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_teams_link_is_only_for_team_leads_and_managers(
    client: Client, agent_bob: Any, lead_tess: Any, manager_carol: Any
) -> None:
    seen = {}
    for user in (agent_bob, lead_tess, manager_carol):
        client.force_login(user)
        seen[user.username] = 'data-testid="nav-teams"' in client.get("/dashboard/").content.decode()

    assert seen == {"bob": False, "tess": True, "carol": True}


@pytest.mark.django_db
def test_the_improvement_link_is_for_managers_only(client: Client, lead_tess: Any, manager_carol: Any) -> None:
    client.force_login(lead_tess)
    assert 'data-testid="nav-improvement"' not in client.get("/dashboard/").content.decode()
    client.force_login(manager_carol)
    assert 'href="/dashboard/improvement/" data-testid="nav-improvement"' in client.get("/dashboard/").content.decode()


# --- the complaint page's team box ------------------------------------------------------------------------


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


@pytest.mark.django_db
def test_the_complaint_page_shows_the_team_and_moves_it(bob_client: Client, agent_bob: Any) -> None:
    _team("Shop", default=True)
    web = _team("Web")
    complaint = _submit()
    page = bob_client.get(_page(complaint.reference)).content.decode()
    assert re.search(r'<p data-testid="team">Shop</p>', page)

    response = bob_client.post(
        f"{_page(complaint.reference)}team/", {"team": str(web.pk), "reason": "It is about hosting."}
    )

    assert response.status_code == 302
    assert response["Location"] == _page(complaint.reference)
    html = bob_client.get(_page(complaint.reference)).content.decode()
    assert "Moved; the reason is on the timeline." in _messages(html)
    assert re.search(r'<p data-testid="team">Web</p>', html)
    assert "Team: Shop → Web" in html
    assert "It is about hosting." in html
    event = ComplaintEvent.objects.get(complaint=complaint, kind=ComplaintEvent.Kind.FIELD_CHANGED)
    assert event.author == agent_bob


@pytest.mark.django_db
def test_a_refused_team_change_keeps_what_was_typed(bob_client: Client) -> None:
    _team("Shop", default=True)
    web = _team("Web")
    complaint = _submit()
    url = f"{_page(complaint.reference)}team/"

    no_reason = bob_client.post(url, {"team": str(web.pk), "reason": "   "})
    bad_team = bob_client.post(url, {"team": str(web.pk + 100), "reason": "It is about hosting."})

    for response in (no_reason, bad_team):
        assert response.status_code == 200
        assert "Choose the team and say why." in _messages(response.content.decode())
    no_reason_html = no_reason.content.decode()
    assert re.search(rf'<option value="{web.pk}" selected>Web</option>', no_reason_html)
    assert "<details open>" in no_reason_html
    assert 'value="It is about hosting."' in bad_team.content.decode()
    complaint.refresh_from_db()
    assert complaint.team is not None
    assert complaint.team.name == "Shop"


@pytest.mark.django_db
def test_without_any_team_the_complaint_page_has_no_team_box(bob_client: Client) -> None:
    complaint = _submit()

    html = bob_client.get(_page(complaint.reference)).content.decode()

    assert 'data-testid="team"' not in html
    assert 'data-testid="change-team"' not in html
