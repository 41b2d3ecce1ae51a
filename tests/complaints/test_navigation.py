""" "Next complaint": which complaint an agent is sent to next, and the page that sends them there.

Their own open complaints first (due soonest first), then their teams' unassigned ones, then anyone's
unassigned ones; never one waiting for the customer, nor the one they are leaving.
"""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, RootCause, Team, TeamMember
from complaints.selectors import complaint_next_for_agent
from complaints.services import complaint_assign, complaint_reply, complaint_transition
from complaints.transitions import Action
from tests.factories import ProductFactory, agent, submit_complaint

NEXT = "/dashboard/next/"
T0 = datetime.fromisoformat("2026-03-02 09:00:00+00:00")
# Every complaint below has the same priority, so the one received first is the first due.


def _page(reference: str) -> str:
    return f"/dashboard/complaints/{reference}/"


def _messages(html: str) -> list[str]:
    return re.findall(r'<li class="message [^"]*">(.*?)</li>', html, re.S)


def _submit_at(minutes: int, **fields: Any) -> Complaint:
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        return submit_complaint(email=f"c{minutes}@example.com", **fields)


def _take_and_ask_the_customer(complaint: Complaint, actor: Any) -> None:
    complaint_assign(complaint=complaint, assignee=actor, actor=actor)
    complaint_transition(complaint=complaint, action=Action.START, actor=actor)
    complaint_transition(complaint=complaint, action=Action.REQUEST_INFO, actor=actor, comment="A photo, please?")


@pytest.fixture
def eve(db: Any) -> Any:
    return agent("eve", first_name="Eve", last_name="Routerova")


@pytest.fixture
def teams(agent_bob: Any, eve: Any) -> dict[str, Any]:
    """Two product teams: Bob takes kettles, Eve takes routers. A complaint about a product goes to its team."""
    kettle: Any = ProductFactory(code="kettle")
    router: Any = ProductFactory(code="router")
    kettles, routers = Team.objects.create(name="Kettles"), Team.objects.create(name="Routers")
    kettles.products.add(kettle)
    routers.products.add(router)
    TeamMember.objects.create(team=kettles, user=agent_bob)
    TeamMember.objects.create(team=routers, user=eve)
    return {"kettles": kettles, "routers": routers}


@pytest.fixture(params=["union", "one query per tier"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """PostgreSQL answers in one UNION; SQLite (the embedded mode) cannot, and asks tier by tier: same answers."""
    if request.param != "union":
        monkeypatch.setattr(connection.features, "supports_slicing_ordering_in_compound", False)
    return str(request.param)


# --- the order --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_own_first_due_soonest_then_the_teams_unassigned_then_anyones(
    database: str, teams: dict[str, Any], agent_bob: Any, eve: Any
) -> None:
    anyone_early = _submit_at(0)
    routers_early = _submit_at(3, product_code="router")
    eves = _submit_at(5, product_code="kettle")
    kettles_early = _submit_at(10, product_code="kettle")
    mine_early = _submit_at(20)
    mine_late = _submit_at(30, product_code="router")
    kettles_late = _submit_at(40, product_code="kettle")
    anyone_late = _submit_at(50)
    complaint_assign(complaint=eves, assignee=eve, actor=eve)
    complaint_assign(complaint=mine_late, assignee=agent_bob, actor=agent_bob)
    complaint_assign(complaint=mine_early, assignee=agent_bob, actor=agent_bob)

    offered = []
    while (found := complaint_next_for_agent(user=agent_bob)) is not None:
        offered.append(found.reference)
        assert len(offered) < 10, "the same complaint keeps coming back"
        _take_and_ask_the_customer(found, agent_bob)

    expected = [mine_early, mine_late, kettles_early, kettles_late, anyone_early, routers_early, anyone_late]
    assert offered == [c.reference for c in expected]
    assert eves.reference not in offered, "someone else's complaint is theirs"


@pytest.mark.django_db
def test_an_answered_complaint_waits_for_its_resolution_time(database: str, agent_bob: Any) -> None:
    answered = _submit_at(0)
    unanswered = _submit_at(60)
    for complaint in (answered, unanswered):
        complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
    complaint_reply(complaint=answered, author=agent_bob, body="We are sorry; a new kettle is on its way.")

    found = complaint_next_for_agent(user=agent_bob)

    assert found is not None
    assert found.reference == unanswered.reference


@pytest.mark.django_db
def test_never_one_waiting_for_the_customer_nor_the_one_being_left(database: str, agent_bob: Any) -> None:
    waiting = _submit_at(0)
    current = _submit_at(10)
    following = _submit_at(20)
    for complaint in (waiting, current, following):
        complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
    complaint_transition(complaint=waiting, action=Action.START, actor=agent_bob)
    complaint_transition(complaint=waiting, action=Action.REQUEST_INFO, actor=agent_bob, comment="A photo, please?")

    first = complaint_next_for_agent(user=agent_bob)
    after_current = complaint_next_for_agent(user=agent_bob, after_reference=current.reference)

    assert first is not None
    assert first.reference == current.reference
    assert after_current is not None
    assert after_current.reference == following.reference


@pytest.mark.django_db
def test_an_agent_of_another_team_gets_their_own_teams_complaints_first(
    database: str, teams: dict[str, Any], agent_bob: Any, eve: Any
) -> None:
    kettle = _submit_at(0, product_code="kettle")
    router = _submit_at(10, product_code="router")

    for_eve = complaint_next_for_agent(user=eve)
    for_bob = complaint_next_for_agent(user=agent_bob)

    assert for_eve is not None
    assert for_eve.reference == router.reference
    assert for_bob is not None
    assert for_bob.reference == kettle.reference


@pytest.mark.django_db
def test_nothing_waiting(database: str, agent_bob: Any, eve: Any) -> None:
    theirs = _submit_at(0)
    closed = _submit_at(10)
    only = _submit_at(20)
    complaint_assign(complaint=theirs, assignee=eve, actor=eve)
    complaint_transition(
        complaint=closed,
        action=Action.REJECT,
        actor=agent_bob,
        comment="Not one of ours.",
        root_cause=RootCause.NO_FAULT,
    )

    assert complaint_next_for_agent(user=agent_bob, after_reference=only.reference) is None
    Complaint.objects.filter(pk=only.pk).delete()
    assert complaint_next_for_agent(user=agent_bob) is None


@pytest.mark.django_db
def test_two_queries_however_many_complaints(teams: dict[str, Any], agent_bob: Any) -> None:
    for count in (3, 30):
        Complaint.objects.all().delete()
        for i in range(count):
            complaint = _submit_at(i, product_code="kettle" if i % 3 else "")
            if i % 2:
                complaint_assign(complaint=complaint, assignee=agent_bob, actor=agent_bob)
        agent_bob.has_perm("complaints.view_complaint")  # permissions are read once per request, not counted
        with CaptureQueriesContext(connection) as queries:
            found = complaint_next_for_agent(user=agent_bob)
        assert found is not None
        assert found.assignee_id == agent_bob.pk
        assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]


# --- the page ---------------------------------------------------------------------------------------------


@pytest.fixture
def bob_client(client: Client, agent_bob: Any) -> Client:
    client.force_login(agent_bob)
    return client


@pytest.mark.django_db
def test_next_opens_the_complaint_and_skips_the_one_being_left(
    bob_client: Client, agent_bob: Any, django_assert_max_num_queries: Any
) -> None:
    first, second = _submit_at(0), _submit_at(10)

    with django_assert_max_num_queries(8):
        response = bob_client.get(NEXT)
    skipped = bob_client.get(NEXT, {"from": first.reference})

    assert response.status_code == 302
    assert response["Location"] == _page(first.reference)
    assert skipped["Location"] == _page(second.reference)


@pytest.mark.django_db
def test_with_nothing_waiting_back_to_the_queue_with_a_message(bob_client: Client) -> None:
    response = bob_client.get(NEXT, follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert _messages(response.content.decode()) == ["Nothing waiting for you."]


@pytest.mark.django_db
def test_the_complaint_page_links_to_the_next_one_past_itself(bob_client: Client) -> None:
    complaint, other = _submit_at(0), _submit_at(10)

    html = bob_client.get(_page(complaint.reference)).content.decode()
    link = re.search(r'<a class="button next-complaint" href="([^"]+)"[^>]*aria-keyshortcuts="n"', html)

    assert link is not None
    assert link.group(1) == f"{NEXT}?from={complaint.reference}"
    assert bob_client.get(link.group(1))["Location"] == _page(other.reference)


@pytest.mark.django_db
def test_the_dashboard_has_the_shortcuts_help_and_marks_the_current_page(bob_client: Client) -> None:
    html = bob_client.get("/dashboard/").content.decode()

    assert re.search(r'<a href="/dashboard/" data-shortcut="queue" aria-keyshortcuts="q" aria-current="page">', html)
    assert f'<a href="{NEXT}" data-shortcut="next" aria-keyshortcuts="n">Next complaint</a>' in html
    dialog = re.search(r'<dialog id="shortcuts-help".*?</dialog>', html, re.S)
    assert dialog is not None
    assert "<kbd>j</kbd>" in dialog.group(0)
    assert "Assign the complaint to me" in dialog.group(0)
    assert re.search(r'<script src="/static/js/shortcuts\.js[^"]*" defer>', html)


@pytest.mark.django_db
def test_a_manager_is_sent_to_anyones_unassigned_complaint(client: Client, manager_carol: Any) -> None:
    complaint = _submit_at(0)
    client.force_login(manager_carol)

    assert client.get(NEXT)["Location"] == _page(complaint.reference)


@pytest.mark.django_db
def test_only_support_staff(client: Client, outsider_dave: Any) -> None:
    _submit_at(0)

    anonymous = client.get(NEXT)
    client.force_login(outsider_dave)
    outsider = client.get(NEXT)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")
    assert outsider.status_code == 403
